// The history panel: the workspace's sessions grouped by day (newest first) → their steps.
// Refreshed when the server says sessions changed. Selecting an edit opens its diff; any other
// step opens the session view at it.
import * as vscode from "vscode";
import { errorMessage } from "../client";
import { Ctx } from "../ctx";
import * as proto from "../protocol";
import {
  STEP_KINDS,
  groupByDay,
  sessionDescription,
  sessionTitle,
  sessionTooltip,
  stepLabel,
} from "../render";
import { workspaceSessions } from "./pickers";

type Node =
  | { kind: "day"; label: string; sessions: proto.Session[] }
  | { kind: "session"; session: proto.Session }
  | { kind: "step"; session: proto.Session; event: proto.Event; changed: string[] }
  | { kind: "message"; text: string; icon: string };

export class HistoryTree implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly ctx: Ctx) {
    const view = vscode.window.createTreeView("mantra.history", {
      treeDataProvider: this,
      showCollapseAll: true,
    });
    ctx.subscriptions.push(
      view,
      this.emitter,
      ctx.onSessionsChanged(() => this.refreshSoon()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refreshSoon()),
      { dispose: () => this.timer && clearTimeout(this.timer) },
    );
    ctx.command("mantra.refreshHistory", () => this.emitter.fire(undefined), "refresh");
    ctx.command("mantra.openStep", (session: string, seq: number, path?: string) =>
      path
        ? vscode.commands.executeCommand("mantra.diffStep", session, seq, path)
        : vscode.commands.executeCommand("mantra.openSession", session, seq),
    );
  }

  /** Coalesces bursts of sessionsChanged (an index run sends many). */
  private refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.emitter.fire(undefined);
    }, 300);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    try {
      if (!node) return await this.roots();
      if (node.kind === "day")
        return node.sessions.map((session) => ({ kind: "session", session }));
      if (node.kind === "session") return await this.steps(node.session);
      return [];
    } catch (e) {
      this.ctx.output.error(`history: ${errorMessage(e)}`);
      return [{ kind: "message", text: errorMessage(e), icon: "error" }];
    }
  }

  private async roots(): Promise<Node[]> {
    if (this.ctx.client.state.kind === "failed") return [];
    const sessions = await workspaceSessions(this.ctx);
    if (sessions.length === 0) return []; // viewsWelcome shows what to do
    return groupByDay(sessions, new Date()).map((g) => ({
      kind: "day",
      label: g.label,
      sessions: g.sessions,
    }));
  }

  private async steps(session: proto.Session): Promise<Node[]> {
    const [full, files] = await Promise.all([
      this.ctx.session(session.id),
      this.ctx.files(session.id).catch(() => undefined),
    ]);
    const changed = new Map<number, string[]>();
    for (const f of files?.files ?? [])
      for (const s of f.changedAt) changed.set(s, [...(changed.get(s) ?? []), f.path]);
    return full.events
      .filter((e) => STEP_KINDS.has(e.kind) || changed.has(e.seq))
      .map((event) => ({
        kind: "step",
        session: full.session,
        event,
        changed: changed.get(event.seq) ?? [],
      }));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case "day": {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `day:${node.label}`;
        item.description = `${node.sessions.length} session${node.sessions.length > 1 ? "s" : ""}`;
        item.contextValue = "day";
        return item;
      }
      case "session": {
        const s = node.session;
        const item = new vscode.TreeItem(
          sessionTitle(s),
          vscode.TreeItemCollapsibleState.Collapsed,
        );
        item.id = `session:${s.id}`;
        item.description = sessionDescription(s);
        item.tooltip = sessionTooltip(s);
        item.iconPath = new vscode.ThemeIcon("history");
        item.contextValue = "session";
        return item;
      }
      case "step": {
        const l = stepLabel(node.event, node.session.project);
        const item = new vscode.TreeItem(l.label, vscode.TreeItemCollapsibleState.None);
        item.id = `step:${node.session.id}:${node.event.seq}`;
        item.description = l.description;
        item.iconPath = new vscode.ThemeIcon(
          l.icon.id,
          l.icon.color ? new vscode.ThemeColor(l.icon.color) : undefined,
        );
        item.tooltip = node.event.text ? node.event.text.slice(0, 2000) : l.label;
        item.contextValue = node.changed.length ? "step.edit" : "step";
        const path = node.changed[0];
        item.command = {
          command: "mantra.openStep",
          title: path ? "Show Diff" : "Open Session at Step",
          arguments: path
            ? [node.session.id, node.event.seq, path]
            : [node.session.id, node.event.seq],
        };
        return item;
      }
      case "message": {
        const item = new vscode.TreeItem(node.text);
        item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
    }
  }
}
