// Entry point: builds the context (which owns the client and every disposable), activates each
// feature, then starts the server. Nothing here talks to the server itself.
import * as vscode from "vscode";
import { Ctx } from "./ctx";
import { Documents } from "./features/documents";
import * as findSession from "./features/findSession";
import * as fileHistory from "./features/fileHistory";
import { HistoryTree } from "./features/history";
import { OriginHover } from "./features/hover";
import { Replay } from "./features/replay";
import { SessionViews } from "./features/sessionView";
import { Status } from "./features/status";

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): void {
  ctx = new Ctx(context);
  new Status(ctx);
  const docs = new Documents(ctx);
  const views = new SessionViews(ctx, docs);
  new Replay(ctx, docs, views);
  new HistoryTree(ctx);
  new OriginHover(ctx);
  findSession.activate(ctx);
  fileHistory.activate(ctx);
  ctx.client.start();
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  if (!c) return;
  await c.client.stop();
  c.dispose();
}
