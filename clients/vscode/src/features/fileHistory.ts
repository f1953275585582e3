// "Mantra: Show History for This File": every step of the workspace's sessions that changed the
// active file; picking one opens its diff.
//
// The server has no "sessions that touched PATH" method yet, so this asks mantra/files of each
// recent session of the file's workspace folder (at most SESSION_LIMIT, 4 at a time).
import * as vscode from "vscode";
import { Ctx } from "../ctx";
import * as proto from "../protocol";
import { formatTime, sessionTitle } from "../render";
import { relativeToProject } from "../uri";
import { refOf } from "./documents";

const SESSION_LIMIT = 100;

type Item = vscode.QuickPickItem & { session?: string; seq?: number; path?: string };

export function activate(ctx: Ctx): void {
  ctx.command(
    "mantra.showFileHistory",
    (uri?: vscode.Uri) => showFileHistory(ctx, uri),
    "Show History for This File",
  );
}

async function showFileHistory(ctx: Ctx, uri?: vscode.Uri): Promise<void> {
  uri ??= vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    void vscode.window.showInformationMessage("Mantra: open a file first.");
    return;
  }
  const ref = uri.scheme === "mantra" ? refOf(uri) : undefined;
  let file: string;
  let projects: string[];
  if (ref) {
    const { session } = await ctx.session(ref.session);
    file = ref.path.startsWith("/") ? ref.path : `${session.project}/${ref.path}`;
    projects = [session.project];
  } else if (uri.scheme === "file") {
    file = uri.fsPath;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    projects = folder ? [folder.uri.fsPath] : [];
  } else {
    void vscode.window.showInformationMessage("Mantra: history is available for files on disk.");
    return;
  }
  if (!ctx.client.has(proto.files.method))
    throw new Error("this server does not list a session's files (mantra/files)");

  const items = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: "Mantra: looking for the file's history" },
    async () => {
      const lists = projects.length
        ? await Promise.all(
            projects.map((project) =>
              ctx.client.request(proto.sessions, { project, limit: SESSION_LIMIT }),
            ),
          )
        : [await ctx.client.request(proto.sessions, { limit: SESSION_LIMIT })];
      const sessions = lists.flatMap((l) => l.sessions);
      const found: { session: proto.Session; path: string; seq: number }[] = [];
      await forEachLimited(sessions, 4, async (s) => {
        const files = await ctx.files(s.id);
        const rel = relativeToProject(file, s.project);
        for (const f of files?.files ?? [])
          if (f.path === rel || f.path === file)
            for (const seq of f.changedAt) found.push({ session: s, path: f.path, seq });
      });
      return found;
    },
  );
  if (items.length === 0) {
    void vscode.window.showInformationMessage(
      `Mantra: no session of this workspace changed ${vscode.workspace.asRelativePath(file)}.`,
    );
    return;
  }
  const full = await Promise.all(
    items.map((i) => ctx.session(i.session.id).then((r) => r.events.find((e) => e.seq === i.seq))),
  );
  const picks: Item[] = items
    .map((i, k) => ({ i, e: full[k] }))
    .sort(
      (a, b) =>
        (Date.parse(b.e?.time ?? "") || 0) - (Date.parse(a.e?.time ?? "") || 0) ||
        b.i.seq - a.i.seq,
    )
    .map(({ i, e }) => ({
      label: `$(${e?.kind === "edit" ? "edit" : "terminal"}) step ${i.seq}${e?.tool ? ` · ${e.tool}` : ""}`,
      description: sessionTitle(i.session),
      detail: [i.session.agent, formatTime(e?.time), e?.kind === "shell" ? e.command : undefined]
        .filter(Boolean)
        .join(" · "),
      session: i.session.id,
      seq: i.seq,
      path: i.path,
    }));
  const pick = await vscode.window.showQuickPick(picks, {
    title: `Mantra: history of ${vscode.workspace.asRelativePath(file)}`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (pick?.session)
    await vscode.commands.executeCommand("mantra.diffStep", pick.session, pick.seq, pick.path);
}

async function forEachLimited<T>(
  list: T[],
  limit: number,
  fn: (t: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < list.length) await fn(list[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, list.length) }, worker));
}
