// The session view: a webview per session with the conversation rendered by render.ts (strict
// CSP: nothing loads, only the nonce'd inline style and script run). Its links post messages
// back: open the file at a step, diff a step, compare with disk.
//   mantra.openSession [session, seq?]   opens (or reveals) the view, scrolled to step seq
import * as crypto from "node:crypto";
import * as vscode from "vscode";
import { Ctx } from "../ctx";
import * as proto from "../protocol";
import { filesBySeq, renderSessionHtml, sessionTitle, truncate } from "../render";
import type { Documents } from "./documents";

interface Panel {
  panel: vscode.WebviewPanel;
  session: proto.Session;
  current?: number;
}

type Message = { cmd: "open" | "diff" | "disk"; seq: number; path: string } | { cmd: "ready" };

export class SessionViews {
  private readonly panels = new Map<string, Panel>();
  /** The session of the last focused session view. */
  active?: string;

  constructor(
    private readonly ctx: Ctx,
    private readonly docs: Documents,
  ) {
    ctx.command(
      "mantra.openSession",
      (id: string, seq?: number) => this.open(id, seq),
      "open session",
    );
    ctx.subscriptions.push(
      ctx.onSessionsChanged((ids) => {
        for (const [id, p] of this.panels)
          if (ids === "all" || ids.includes(id)) void this.render(p);
      }),
      { dispose: () => this.panels.forEach((p) => p.panel.dispose()) },
    );
  }

  /** Opens or reveals the view of a session; scrolls to `seq` when given. */
  async open(
    id: string,
    seq?: number,
    column = vscode.ViewColumn.One,
    preserveFocus = false,
  ): Promise<void> {
    const { session } = await this.ctx.session(id);
    let p = this.panels.get(session.id);
    if (p) {
      p.panel.reveal(column, preserveFocus);
      if (seq !== undefined) this.focus(session.id, seq);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      "mantra.session",
      truncate(sessionTitle(session), 40),
      { viewColumn: column, preserveFocus },
      { enableScripts: true, enableFindWidget: true, localResourceRoots: [] },
    );
    panel.iconPath = vscode.Uri.joinPath(this.ctx.extension.extensionUri, "media", "mantra.svg");
    p = { panel, session, current: seq };
    const entry = p;
    this.panels.set(session.id, p);
    this.active = session.id;
    panel.onDidDispose(() => {
      this.panels.delete(session.id);
      if (this.active === session.id) this.active = undefined;
    });
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.active = session.id;
    });
    panel.webview.onDidReceiveMessage((m: Message) => this.onMessage(entry, m));
    await this.render(p);
  }

  /** Moves the highlight to step `seq` (replay). */
  focus(id: string, seq: number): void {
    const p = this.panels.get(id);
    if (!p) return;
    p.current = seq;
    void p.panel.webview.postMessage({ type: "focus", seq });
  }

  has(id: string): boolean {
    return this.panels.has(id);
  }

  private async render(p: Panel): Promise<void> {
    try {
      const [full, files] = await Promise.all([
        this.ctx.session(p.session.id),
        this.ctx.files(p.session.id).catch(() => undefined),
      ]);
      p.session = full.session;
      p.panel.title = truncate(sessionTitle(full.session), 40);
      p.panel.webview.html = renderSessionHtml(full.session, full.events, {
        nonce: crypto.randomBytes(16).toString("base64"),
        cspSource: p.panel.webview.cspSource,
        changed: filesBySeq(files?.files ?? []),
        current: p.current,
      });
    } catch (e) {
      await this.ctx.userError(`cannot show session ${p.session.id}`, e);
    }
  }

  private async onMessage(p: Panel, m: Message): Promise<void> {
    if (m.cmd === "ready") {
      if (p.current !== undefined)
        void p.panel.webview.postMessage({ type: "focus", seq: p.current });
      return;
    }
    try {
      if (m.cmd === "open")
        await this.docs.openFileAtStep(p.session.id, m.seq, m.path, vscode.ViewColumn.Beside);
      else if (m.cmd === "diff")
        await this.docs.diffStep(p.session.id, m.seq, m.path, {
          viewColumn: vscode.ViewColumn.Beside,
        });
      else if (m.cmd === "disk")
        await this.docs.compareWithDisk(p.session.id, m.seq, m.path, vscode.ViewColumn.Beside);
    } catch (e) {
      await this.ctx.userError(m.cmd === "open" ? "open file at step" : m.cmd, e);
    }
  }
}
