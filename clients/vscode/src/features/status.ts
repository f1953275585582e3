// The server's state in the UI: a status bar item (sessions count, indexing, trouble), index
// runs as window.withProgress, the missing-server message, and the commands
// Reindex, Show Status, Restart Server, Show Output.
import * as path from "node:path";
import * as vscode from "vscode";
import { State, errorMessage } from "../client";
import { Ctx } from "../ctx";
import * as proto from "../protocol";
import { formatTime } from "../render";

interface Run {
  resolve: () => void;
  progress?: vscode.Progress<{ message?: string; increment?: number }>;
  percentage: number;
}

export class Status {
  private readonly item: vscode.StatusBarItem;
  private readonly runs = new Map<number, Run>();
  /** Runs that ended, with their end notification (so a late waiter does not hang). */
  private readonly ended = new Map<number, proto.IndexProgressEnd>();
  private readonly endWaiters = new Map<number, ((e: proto.IndexProgressEnd) => void)[]>();
  private sessions?: number;
  private extraPending = false;

  constructor(private readonly ctx: Ctx) {
    this.item = vscode.window.createStatusBarItem(
      "mantra.status",
      vscode.StatusBarAlignment.Right,
      100,
    );
    this.item.name = "Mantra";
    this.item.command = "mantra.showStatus";
    ctx.subscriptions.push(
      this.item,
      ctx.client.onNotification(proto.indexProgress, (p) => this.onProgress(p)),
      ctx.client.onDidChangeState((s) => this.onState(s)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("mantra.extraSources")) void this.indexExtraSources();
      }),
    );
    ctx.command("mantra.reindex", () => this.reindex(), "Reindex");
    ctx.command("mantra.showStatus", () => this.showStatus(), "Show Status");
    ctx.command(
      "mantra.restartServer",
      () => ctx.client.restart(ctx.serverOptions()),
      "Restart Server",
    );
    ctx.command("mantra.showOutput", () => ctx.output.show());
    this.render();
    this.item.show();
  }

  private onState(s: State): void {
    this.render();
    void vscode.commands.executeCommand("setContext", "mantra.serverState", s.kind);
    if (s.kind === "running") {
      void this.refreshCount();
      const settings = this.ctx.settings();
      if (settings.extraSources.length) {
        // After the background run over the default folders (run 1), or at once without one.
        this.extraPending = settings.backgroundIndex;
        if (!settings.backgroundIndex) void this.indexExtraSources();
      }
    } else if (s.kind === "failed") {
      for (const r of this.runs.values()) r.resolve();
      this.runs.clear();
      void this.showFailure(s);
    }
  }

  private async showFailure(s: Extract<State, { kind: "failed" }>): Promise<void> {
    if (s.reason === "missing") {
      const pick = await vscode.window.showErrorMessage(
        `Mantra: the server '${this.ctx.settings().serverPath}' was not found. Install Mantra and put 'mantra' on your PATH, or set "mantra.serverPath".`,
        "How to Install",
        "Open Settings",
      );
      if (pick === "How to Install") {
        await vscode.commands.executeCommand("markdown.showPreview", await this.readme());
      } else if (pick === "Open Settings") {
        await vscode.commands.executeCommand("workbench.action.openSettings", "mantra.serverPath");
      }
      return;
    }
    const pick = await vscode.window.showErrorMessage(
      `Mantra: ${s.message}`,
      "Restart",
      "Show Output",
    );
    if (pick === "Restart") await this.ctx.client.restart(this.ctx.serverOptions());
    else if (pick === "Show Output") this.ctx.output.show();
  }

  /** The extension's README (vsce packages it as readme.md). */
  private async readme(): Promise<vscode.Uri> {
    for (const name of ["README.md", "readme.md"]) {
      const uri = vscode.Uri.joinPath(this.ctx.extension.extensionUri, name);
      try {
        await vscode.workspace.fs.stat(uri);
        return uri;
      } catch {
        // try the next spelling
      }
    }
    return vscode.Uri.joinPath(this.ctx.extension.extensionUri, "readme.md");
  }

  private render(): void {
    const s = this.ctx.client.state;
    const indexing: Run | undefined = this.runs.values().next().value;
    if (s.kind === "failed") {
      this.item.text = "$(warning) Mantra";
      this.item.tooltip = `Mantra: ${s.message}`;
    } else if (s.kind !== "running") {
      this.item.text = "$(loading~spin) Mantra";
      this.item.tooltip = "Mantra: starting the server";
    } else if (indexing) {
      this.item.text = `$(sync~spin) Mantra ${indexing.percentage}%`;
      this.item.tooltip = "Mantra: indexing sessions";
    } else {
      const n = this.sessions;
      this.item.text = `$(history) ${n === undefined ? "Mantra" : `${n} session${n === 1 ? "" : "s"}`}`;
      this.item.tooltip = `Mantra · database ${s.info.database}`;
    }
  }

  private async refreshCount(): Promise<void> {
    try {
      const st = await this.ctx.client.request(proto.status);
      this.sessions = st.sessions;
      this.render();
    } catch (e) {
      this.ctx.output.warn(`status: ${errorMessage(e)}`);
    }
  }

  private onProgress(p: proto.IndexProgressParams): void {
    if (p.state === "begin") {
      const run: Run = { resolve: () => undefined, percentage: 0 };
      this.runs.set(p.run, run);
      void vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: "Mantra: indexing" },
        (progress) => {
          run.progress = progress;
          return new Promise<void>((resolve) => (run.resolve = resolve));
        },
      );
    } else if (p.state === "report") {
      const run = this.runs.get(p.run);
      if (run) {
        run.progress?.report({
          message: `${p.filesDone}/${p.filesTotal} files`,
          increment: Math.max(0, p.percentage - run.percentage),
        });
        run.percentage = p.percentage;
      }
    } else {
      this.runs.get(p.run)?.resolve();
      this.runs.delete(p.run);
      this.ended.set(p.run, p);
      for (const w of this.endWaiters.get(p.run) ?? []) w(p);
      this.endWaiters.delete(p.run);
      this.logEnd(p);
      void this.refreshCount();
      this.ctx.invalidate("all");
      if (this.extraPending) {
        this.extraPending = false;
        void this.indexExtraSources();
      }
    }
    this.render();
  }

  private logEnd(p: proto.IndexProgressEnd): void {
    const r = p.report;
    this.ctx.output.info(
      `index run ${p.run}: ${p.outcome}${p.message ? ` (${p.message})` : ""}` +
        (r
          ? `; ${r.sessions} sessions, ${r.events} steps, ${r.added} new, ${r.filesRead} files read in ${r.seconds.toFixed(2)} s`
          : ""),
    );
    for (const e of r?.errors ?? [])
      this.ctx.output.warn(`index: ${e.file}:${e.line}: ${e.message}`);
    if (p.outcome === "failed")
      void vscode.window
        .showErrorMessage(
          `Mantra: indexing failed: ${p.message ?? "see the output"}`,
          "Show Output",
          "Retry",
        )
        .then((pick) => {
          if (pick === "Show Output") this.ctx.output.show();
          else if (pick === "Retry") void vscode.commands.executeCommand("mantra.reindex");
        });
  }

  private waitForEnd(run: number): Promise<proto.IndexProgressEnd> {
    const done = this.ended.get(run);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) =>
      this.endWaiters.set(run, [...(this.endWaiters.get(run) ?? []), resolve]),
    );
  }

  /** Starts a run over `paths` (default folders when undefined); waits for a running one first. */
  private async runIndex(paths: string[] | undefined): Promise<proto.IndexProgressEnd> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.ctx.client.request(proto.reindex, paths ? { paths } : {});
      const end = await this.waitForEnd(r.run);
      if (r.started || attempt >= 2) return end;
    }
  }

  private async indexExtraSources(): Promise<void> {
    const extra = this.ctx.settings().extraSources;
    if (!extra.length || this.ctx.client.state.kind !== "running") return;
    try {
      const end = await this.runIndex(extra);
      this.ctx.output.info(`extra sources (${extra.join(", ")}): ${end.outcome}`);
    } catch (e) {
      this.ctx.output.error(`indexing the extra sources: ${errorMessage(e)}`);
    }
  }

  /** The Reindex command: the default folders, then mantra.extraSources. */
  private async reindex(): Promise<void> {
    const extra = this.ctx.settings().extraSources;
    const ends = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "Mantra: reindexing" },
      async (progress) => {
        const out: proto.IndexProgressEnd[] = [];
        progress.report({ message: "agents' folders" });
        out.push(await this.runIndex(undefined));
        if (extra.length) {
          progress.report({ message: extra.map((p) => path.basename(p)).join(", ") });
          out.push(await this.runIndex(extra));
        }
        return out;
      },
    );
    const failed = ends.find((e) => e.outcome === "failed");
    if (failed) return; // logEnd showed it
    const last = ends[ends.length - 1].report;
    const added = ends.reduce((n, e) => n + (e.report?.added ?? 0), 0);
    void vscode.window.showInformationMessage(
      last
        ? `Mantra: ${last.sessions} sessions, ${last.events} steps (${added} new).`
        : `Mantra: reindex ${ends[ends.length - 1].outcome}.`,
    );
  }

  private async showStatus(): Promise<void> {
    const st = await this.ctx.client.request(proto.status);
    this.sessions = st.sessions;
    this.render();
    const out = this.ctx.output;
    out.info(
      `status: database ${st.database} (${(st.bytes / 1048576).toFixed(1)} MiB, schema ${st.schemaVersion}); ` +
        `${st.sessions} sessions, ${st.events} steps, ${st.sources} source files; indexing: ${st.indexing}, watching: ${st.watching}`,
    );
    for (const a of st.agents)
      out.info(
        `  ${a.agent}: ${a.sessions} sessions, ${a.events} steps, ${a.sources} files, last indexed ${formatTime(a.lastIndexed) || "never"}`,
      );
    if (st.archived.sessions)
      out.info(
        `  archived: ${st.archived.sessions} sessions whose ${st.archived.missingFiles} files are gone`,
      );
    const agents = st.agents.map((a) => `${a.agent} ${a.sessions}`).join(", ");
    const pick = await vscode.window.showInformationMessage(
      `Mantra: ${st.sessions} sessions, ${st.events} steps${agents ? ` (${agents})` : ""}${st.indexing ? ", indexing…" : ""}. Database: ${st.database}`,
      "Show Details",
      "Reindex",
    );
    if (pick === "Show Details") out.show();
    else if (pick === "Reindex") await vscode.commands.executeCommand("mantra.reindex");
  }
}
