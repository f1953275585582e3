// "Mantra: Find Session": a quick pick that searches as the user types. Each keystroke
// supersedes the previous query (debounced; a running request is cancelled, which sends
// $/cancelRequest). The query goes to the server as typed, so its query language (words,
// "phrases", prefix*, -word, OR, file:, agent:, failed, after:7d, …) works here unchanged;
// `project:.` means the first workspace folder. One entry per session, at its best step.
import * as vscode from "vscode";
import { errorCode, errorMessage, isCancelled } from "../client";
import { Ctx } from "../ctx";
import { LatestOnly } from "../debounce";
import * as proto from "../protocol";
import { workspaceSessions } from "./pickers";
import { relativeTime, sessionDescription, sessionHitLabel, sessionTitle } from "../render";

type Item = vscode.QuickPickItem & { session?: string; seq?: number };

export const DEBOUNCE_MS = 150;

export function activate(ctx: Ctx): void {
  ctx.command(
    "mantra.findSession",
    (initial?: string) => findSession(ctx, initial),
    "Find Session",
  );
}

async function findSession(ctx: Ctx, initial?: string): Promise<void> {
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = "Mantra: Find Session";
  qp.placeholder =
    'Search sessions: words, "a phrase", prefix*, -word, file:path, agent:, cmd:, failed, after:7d';
  qp.matchOnDescription = false;
  qp.matchOnDetail = false;
  const now = () => new Date();
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const search = new LatestOnly<string, proto.SearchResult>(DEBOUNCE_MS, (query, token) =>
    ctx.client.request(proto.search, { query, limit: 50, ...(cwd ? { cwd } : {}) }, token),
  );

  const showRecent = async () => {
    try {
      const list = await workspaceSessions(ctx, 30);
      if (qp.value.trim()) return;
      qp.items = list.map((s) => ({
        label: sessionTitle(s),
        description: sessionDescription(s),
        detail: `${relativeTime(s.ended ?? s.started, now())} · ${s.events} steps`,
        alwaysShow: true,
        session: s.id,
      }));
    } catch (e) {
      if (!isCancelled(e)) qp.items = [{ label: `$(error) ${errorMessage(e)}`, alwaysShow: true }];
    } finally {
      if (!qp.value.trim()) qp.busy = false;
    }
  };

  const run = async (value: string) => {
    const query = value.trim();
    if (!query) {
      search.cancel();
      qp.busy = true;
      await showRecent();
      return;
    }
    qp.busy = true;
    try {
      const outcome = await search.schedule(query);
      if (outcome.kind === "superseded") return;
      const found = "sessions" in outcome.value ? outcome.value.sessions : [];
      qp.items = found.length
        ? found.map((s) => ({
            ...sessionHitLabel(s, now()),
            alwaysShow: true,
            session: s.session.id,
            seq: s.steps[0]?.seq,
          }))
        : [{ label: "No session matches", description: query, alwaysShow: true }];
      qp.busy = false;
    } catch (e) {
      if (isCancelled(e)) return;
      qp.busy = false;
      // A malformed query (-32602) is the user's typo: say it in the list, not in a notification.
      const msg =
        errorCode(e) === proto.ErrorCode.InvalidParams
          ? errorMessage(e).replace(/^params\.query: /, "")
          : errorMessage(e);
      qp.items = [{ label: `$(warning) ${msg}`, alwaysShow: true }];
      if (errorCode(e) !== proto.ErrorCode.InvalidParams)
        ctx.output.error(`search '${query}': ${msg}`);
    }
  };

  qp.onDidChangeValue((v) => void run(v));
  qp.onDidAccept(async () => {
    const item = qp.selectedItems[0];
    if (!item?.session) return;
    qp.hide();
    await vscode.commands.executeCommand("mantra.openSession", item.session, item.seq);
  });
  qp.onDidHide(() => {
    search.cancel();
    qp.dispose();
  });
  qp.show();
  if (initial) qp.value = initial;
  void run(qp.value);
}
