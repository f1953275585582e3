// Replay: walk a session step by step (prompts, edits, commands). Each move highlights the step
// in the session view and, when the step changed files, shows its diff beside it.
//   mantra.replaySession [session?]   starts at the first step (asks which session)
//   mantra.replayNext / mantra.replayPrevious   (alt+] / alt+[ while replaying)
//   mantra.replayStop
import * as vscode from "vscode";
import { Ctx } from "../ctx";
import * as proto from "../protocol";
import { STEP_KINDS, stepLabel } from "../render";
import { Documents } from "./documents";
import { stepArgs } from "../args";
import { pickSession } from "./pickers";
import { SessionViews } from "./sessionView";

interface State {
  session: proto.Session;
  steps: proto.Event[];
  changed: Map<number, string[]>;
  index: number;
}

export class Replay {
  private state?: State;
  private readonly item: vscode.StatusBarItem;

  constructor(
    private readonly ctx: Ctx,
    private readonly docs: Documents,
    private readonly views: SessionViews,
  ) {
    this.item = vscode.window.createStatusBarItem(
      "mantra.replay",
      vscode.StatusBarAlignment.Left,
      50,
    );
    this.item.name = "Mantra Replay";
    ctx.subscriptions.push(this.item);
    ctx.command(
      "mantra.replaySession",
      (a?: unknown, b?: unknown) => {
        const { session, seq } = stepArgs(a, b);
        return this.start(session, seq);
      },
      "Replay Session",
    );
    ctx.command("mantra.replayNext", () => this.move(+1), "Replay");
    ctx.command("mantra.replayPrevious", () => this.move(-1), "Replay");
    ctx.command("mantra.replayStop", () => this.stop(), "Replay");
  }

  async start(id?: string, seq?: number): Promise<void> {
    const session = id
      ? (await this.ctx.session(id)).session
      : await pickSession(this.ctx, "Replay Session: which session?", this.views.active);
    if (!session) return;
    const [full, files] = await Promise.all([
      this.ctx.session(session.id),
      this.ctx.files(session.id),
    ]);
    const changed = new Map<number, string[]>();
    for (const f of files?.files ?? [])
      for (const s of f.changedAt) changed.set(s, [...(changed.get(s) ?? []), f.path]);
    const steps = full.events.filter((e) => STEP_KINDS.has(e.kind) || changed.has(e.seq));
    if (steps.length === 0) {
      void vscode.window.showInformationMessage("Mantra: this session has no step to replay.");
      return;
    }
    let index =
      seq === undefined
        ? 0
        : Math.max(
            0,
            steps.findIndex((e) => e.seq >= seq),
          );
    this.state = { session: full.session, steps, changed, index };
    await vscode.commands.executeCommand("setContext", "mantra.replaying", true);
    await this.views.open(full.session.id, steps[index].seq, vscode.ViewColumn.One);
    await this.show();
  }

  async move(delta: number): Promise<void> {
    const s = this.state;
    if (!s) {
      await this.start(this.views.active);
      return;
    }
    const next = s.index + delta;
    if (next < 0 || next >= s.steps.length) {
      vscode.window.setStatusBarMessage(`Mantra: ${next < 0 ? "first" : "last"} step`, 2000);
      return;
    }
    s.index = next;
    await this.show();
  }

  async stop(): Promise<void> {
    this.state = undefined;
    this.item.hide();
    await vscode.commands.executeCommand("setContext", "mantra.replaying", false);
  }

  private async show(): Promise<void> {
    const s = this.state;
    if (!s) return;
    const e = s.steps[s.index];
    if (!this.views.has(s.session.id))
      await this.views.open(s.session.id, e.seq, vscode.ViewColumn.One, true);
    this.views.focus(s.session.id, e.seq);
    const paths = s.changed.get(e.seq) ?? (e.kind === "edit" && e.path ? [e.path] : []);
    if (paths.length)
      await this.docs.diffStep(s.session.id, e.seq, paths[0], {
        viewColumn: vscode.ViewColumn.Two,
        preserveFocus: true,
      });
    const label = stepLabel(e, s.session.project);
    this.item.text = `$(debug-step-over) ${s.index + 1}/${s.steps.length} · ${label.label}`;
    this.item.tooltip = "Mantra replay: alt+] next, alt+[ previous; click to stop";
    this.item.command = "mantra.replayStop";
    this.item.show();
  }
}
