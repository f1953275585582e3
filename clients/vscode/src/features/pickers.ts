// Quick picks shared by several commands.
import * as vscode from "vscode";
import { Ctx } from "../ctx";
import * as proto from "../protocol";
import { relativeTime, sessionDescription, sessionTitle } from "../render";

/** Recent sessions of the workspace's folders (all sessions when no folder is open), newest first. */
export async function workspaceSessions(
  ctx: Ctx,
  limit = 200,
  token?: vscode.CancellationToken,
): Promise<proto.Session[]> {
  const folders = ctx.workspacePaths();
  const lists = folders.length
    ? await Promise.all(
        folders.map((project) => ctx.client.request(proto.sessions, { project, limit }, token)),
      )
    : [await ctx.client.request(proto.sessions, { limit }, token)];
  const seen = new Map<string, proto.Session>();
  for (const l of lists) for (const s of l.sessions) seen.set(s.id, s);
  const time = (s: proto.Session) => Date.parse(s.ended ?? s.started ?? "") || 0;
  return [...seen.values()].sort((a, b) => time(b) - time(a));
}

/** Asks for one of the workspace's sessions; the active one (session view, replay) first. */
export async function pickSession(
  ctx: Ctx,
  title: string,
  preferred?: string,
): Promise<proto.Session | undefined> {
  const now = new Date();
  const items = vscode.window.createQuickPick<vscode.QuickPickItem & { session: proto.Session }>();
  items.title = title;
  items.busy = true;
  items.matchOnDescription = true;
  items.placeholder = "Filter sessions by title, agent or project";
  items.show();
  try {
    const list = await workspaceSessions(ctx);
    list.sort((a, b) => Number(b.id === preferred) - Number(a.id === preferred));
    items.items = list.map((s) => ({
      label: sessionTitle(s),
      description: sessionDescription(s),
      detail: `${relativeTime(s.ended ?? s.started, now)} · ${s.events} steps · ${s.id}`,
      session: s,
    }));
    items.busy = false;
    return await new Promise<proto.Session | undefined>((resolve) => {
      items.onDidAccept(() => resolve(items.selectedItems[0]?.session));
      items.onDidHide(() => resolve(undefined));
    });
  } finally {
    items.dispose();
  }
}
