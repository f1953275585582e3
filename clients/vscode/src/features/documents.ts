// Past file versions: the read-only `mantra:` documents (mantra://<session>/<seq>/<path>), and
// the commands that open one or compare two with vscode.diff.
//   mantra.openFileAtStep [session, seq, path]   the file after step seq (asks when args are missing)
//   mantra.diffStep [session, seq, path?]        step seq-1 ↔ seq (asks for the file when several)
//   mantra.compareWithDisk [session, seq, path]  step seq ↔ the file on disk now
import * as vscode from "vscode";
import { Ctx } from "../ctx";
import * as proto from "../protocol";
import { diffTitle, relativeTime, sessionTitle } from "../render";
import {
  FileRef,
  SCHEME,
  absolutePath,
  fromComponents,
  relativeToProject,
  toComponents,
} from "../uri";
import { stepArgs } from "../args";
import { pickSession } from "./pickers";

export function mantraUri(ref: FileRef): vscode.Uri {
  return vscode.Uri.from(toComponents(ref));
}

export function refOf(uri: vscode.Uri): FileRef | undefined {
  return fromComponents(uri);
}

class Provider implements vscode.TextDocumentContentProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  /** The last answer per document, for its reason and language. */
  readonly results = new Map<string, proto.FileAtResult>();

  constructor(private readonly ctx: Ctx) {}

  async provideTextDocumentContent(
    uri: vscode.Uri,
    token: vscode.CancellationToken,
  ): Promise<string> {
    const ref = refOf(uri);
    if (!ref) throw new Error(`not a Mantra file URI: ${uri.toString(true)}`);
    const r = await this.ctx.client.request(
      proto.fileAt,
      { session: ref.session, seq: ref.seq, path: ref.path },
      token,
    );
    this.results.set(uri.toString(), r);
    if (r.content === null)
      this.ctx.output.info(
        `${uri.toString(true)}: no content (${r.reason ?? (r.exists ? "unknown" : "the file does not exist at this step")})`,
      );
    return r.content ?? "";
  }

  /** Re-reads the open documents of these sessions. */
  refresh(ids: string[] | "all"): void {
    for (const doc of vscode.workspace.textDocuments) {
      const ref = doc.uri.scheme === SCHEME ? refOf(doc.uri) : undefined;
      if (ref && (ids === "all" || ids.includes(ref.session))) this.emitter.fire(doc.uri);
    }
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

export class Documents {
  private readonly provider: Provider;

  constructor(private readonly ctx: Ctx) {
    this.provider = new Provider(ctx);
    ctx.subscriptions.push(
      this.provider,
      vscode.workspace.registerTextDocumentContentProvider(SCHEME, this.provider),
      ctx.onSessionsChanged((ids) => this.provider.refresh(ids)),
    );
    ctx.command(
      "mantra.openFileAtStep",
      (a?: unknown, b?: unknown, c?: unknown) => {
        const { session, seq, path } = stepArgs(a, b, c);
        return this.openFileAtStep(session, seq, path);
      },
      "Open File at Step",
    );
    ctx.command(
      "mantra.diffStep",
      (s: string, seq: number, path?: string) => this.diffStep(s, seq, path),
      "diff",
    );
    ctx.command(
      "mantra.compareWithDisk",
      (s: string, seq: number, path: string) => this.compareWithDisk(s, seq, path),
      "compare with disk",
    );
  }

  /** The server's name for `path` in session `s`: relative to its project when inside it. */
  private serverPath(session: proto.Session, path: string): string {
    return relativeToProject(path, session.project);
  }

  /** Opens the file after step `seq`; asks for whatever is missing. */
  async openFileAtStep(
    sessionId?: string,
    seq?: number,
    path?: string,
    column?: vscode.ViewColumn,
  ): Promise<void> {
    const session = sessionId
      ? (await this.ctx.session(sessionId)).session
      : await pickSession(this.ctx, "Open File at Step: which session?");
    if (!session) return;
    if (path === undefined) {
      const picked = await this.pickFile(session, seq);
      if (!picked) return;
      path = picked;
    }
    path = this.serverPath(session, path);
    if (seq === undefined) {
      seq = await this.pickStep(session, path);
      if (seq === undefined) return;
    }
    const uri = mantraUri({ session: session.id, seq, path });
    const doc = await vscode.workspace.openTextDocument(uri);
    const r = this.provider.results.get(uri.toString());
    if (r && r.languageId && doc.languageId !== r.languageId) {
      const known = await vscode.languages.getLanguages();
      if (known.includes(r.languageId))
        await vscode.languages.setTextDocumentLanguage(doc, r.languageId);
    }
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: column });
    if (r && r.content === null)
      void vscode.window.showInformationMessage(
        `Mantra: ${path} at step ${seq}: ${r.reason ?? (r.exists ? "content unknown" : "the file does not exist at this step")}.`,
      );
    else if (r && !r.exact && r.reason)
      void vscode.window.showInformationMessage(
        `Mantra: ${path} at step ${seq} may be inexact: ${r.reason}.`,
      );
  }

  /** vscode.diff between the file before step `seq` and after it. */
  async diffStep(
    sessionId: string,
    seq: number,
    path?: string,
    options: vscode.TextDocumentShowOptions = {},
  ): Promise<boolean> {
    const { session } = await this.ctx.session(sessionId);
    if (path === undefined) {
      const files = await this.ctx.files(session.id);
      const changed =
        files?.files.filter((f) => f.changedAt.includes(seq)).map((f) => f.path) ?? [];
      if (changed.length === 0) {
        void vscode.window.showInformationMessage(`Mantra: step ${seq} changed no file.`);
        return false;
      }
      path =
        changed.length === 1
          ? changed[0]
          : await vscode.window.showQuickPick(changed, {
              title: `Diff of step ${seq}: which file?`,
            });
      if (!path) return false;
    }
    path = this.serverPath(session, path);
    const left = mantraUri({ session: session.id, seq: Math.max(0, seq - 1), path });
    const right = mantraUri({ session: session.id, seq, path });
    await vscode.commands.executeCommand(
      "vscode.diff",
      left,
      right,
      diffTitle(path, Math.max(0, seq - 1), seq, sessionTitle(session)),
      { preview: true, ...options },
    );
    return true;
  }

  /** vscode.diff between the file after step `seq` and the file on disk now. */
  async compareWithDisk(
    sessionId: string,
    seq: number,
    path: string,
    column?: vscode.ViewColumn,
  ): Promise<void> {
    const { session } = await this.ctx.session(sessionId);
    path = this.serverPath(session, path);
    const left = mantraUri({ session: session.id, seq, path });
    const right = vscode.Uri.file(absolutePath(path, session.project));
    await vscode.commands.executeCommand(
      "vscode.diff",
      left,
      right,
      diffTitle(path, seq, "disk", sessionTitle(session)),
      { preview: true, viewColumn: column },
    );
  }

  private async pickFile(session: proto.Session, seq?: number): Promise<string | undefined> {
    const files = await this.ctx.files(session.id);
    if (!files) throw new Error("this server does not list a session's files (mantra/files)");
    const list =
      seq === undefined
        ? files.files
        : files.files.filter((f) => f.changedAt.includes(seq) || f.reads.includes(seq));
    if (list.length === 0) {
      void vscode.window.showInformationMessage(
        `Mantra: "${sessionTitle(session)}" changed no file.`,
      );
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      list.map((f) => ({
        label: f.path,
        description: `changed at ${f.changedAt.join(", ") || "—"}${f.reads.length ? ` · read at ${f.reads.join(", ")}` : ""}`,
        detail: f.status,
      })),
      {
        title: `Open File at Step: which file of "${sessionTitle(session)}"?`,
        matchOnDescription: true,
      },
    );
    return pick?.label;
  }

  private async pickStep(session: proto.Session, path: string): Promise<number | undefined> {
    const [files, full] = await Promise.all([
      this.ctx.files(session.id),
      this.ctx.session(session.id),
    ]);
    const f = files?.files.find((x) => x.path === path);
    const steps = new Set<number>([...(f?.changedAt ?? []), ...(f?.reads ?? [])]);
    const bySeq = new Map(full.events.map((e) => [e.seq, e]));
    const items = [...steps]
      .sort((a, b) => a - b)
      .map((seq) => {
        const e = bySeq.get(seq);
        const changed = f?.changedAt.includes(seq);
        return {
          label: `after step ${seq}`,
          description: `${changed ? "changed" : "read"}${e ? ` by ${e.tool ?? e.kind}` : ""}`,
          detail: e?.time ? relativeTime(e.time, new Date()) : undefined,
          seq,
        };
      });
    const first = f?.changedAt[0];
    if (first !== undefined && first > 0)
      items.unshift({
        label: `before step ${first}`,
        description: "as the session found it",
        detail: undefined,
        seq: first - 1,
      });
    const pick = await vscode.window.showQuickPick(items, { title: `Open ${path} at which step?` });
    return pick?.seq;
  }
}
