// The context every feature gets: the client, the output channel, settings, the session data
// shared between views (cached until the server says the session changed), and error reporting.
// Errors of actions the user started are shown; the rest go to the output channel only.
import * as vscode from "vscode";
import { MantraClient, ServerOptions, errorMessage, isCancelled } from "./client";
import { Settings, defaults, expandHome, restartKeys, serverArgs } from "./config";
import * as proto from "./protocol";

export class Ctx implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  readonly client: MantraClient;
  readonly subscriptions: vscode.Disposable[] = [];
  private readonly sessionCache = new Map<string, Promise<proto.SessionResult>>();
  private readonly filesCache = new Map<string, Promise<proto.FilesResult | undefined>>();
  private readonly changedEmitter = new vscode.EventEmitter<string[] | "all">();
  /** Fires with the ids of changed sessions ("all" after a restart or a reindex). */
  readonly onSessionsChanged = this.changedEmitter.event;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel("Mantra", { log: true });
    this.client = new MantraClient(this.serverOptions(), {
      info: (m) => this.output.info(m),
      error: (m) => this.output.error(m),
    });
    this.subscriptions.push(
      this.output,
      this.changedEmitter,
      this.client.onNotification(proto.sessionsChanged, (p) => this.invalidate(p.sessions)),
      this.client.onDidChangeState((s) => {
        if (s.kind === "running") this.invalidate("all");
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (restartKeys.some((k) => e.affectsConfiguration(k))) {
          this.output.info("settings changed: restarting the server");
          void this.client.restart(this.serverOptions());
        }
      }),
    );
  }

  settings(): Settings {
    const c = vscode.workspace.getConfiguration("mantra");
    return {
      serverPath: c.get<string>("serverPath", defaults.serverPath) || defaults.serverPath,
      databasePath: c.get<string>("databasePath", defaults.databasePath),
      hoverEnabled: c.get<boolean>("hover.enabled", defaults.hoverEnabled),
      extraSources: c
        .get<string[]>("extraSources", defaults.extraSources)
        .map((p) => expandHome(p)),
      redactPatterns: c.get<string[]>("redact.patterns", defaults.redactPatterns),
      backgroundIndex: c.get<boolean>("index.background", defaults.backgroundIndex),
      trace: c.get<Settings["trace"]>("trace.server", defaults.trace),
    };
  }

  serverOptions(): ServerOptions {
    const s = this.settings();
    const folders = vscode.workspace.workspaceFolders ?? [];
    return {
      command: expandHome(s.serverPath),
      args: serverArgs(s),
      cwd: folders[0]?.uri.scheme === "file" ? folders[0].uri.fsPath : undefined,
      clientVersion: String(this.extension.extension.packageJSON.version ?? "0"),
      workspaceFolders: folders.map((f) => ({
        uri: f.uri.toString(),
        name: f.name,
        path: f.uri.fsPath,
      })),
      initializationOptions: { backgroundIndex: s.backgroundIndex },
      trace: s.trace,
    };
  }

  /** Workspace folder paths on disk (the history panel's projects). */
  workspacePaths(): string[] {
    return (vscode.workspace.workspaceFolders ?? [])
      .filter((f) => f.uri.scheme === "file")
      .map((f) => f.uri.fsPath);
  }

  /** A session's metadata and all its steps (cached until it changes). */
  session(id: string): Promise<proto.SessionResult> {
    let p = this.sessionCache.get(id);
    if (!p) {
      p = this.client.request(proto.session, { session: id });
      this.sessionCache.set(id, p);
      p.then(
        (r) => {
          if (r.session.id !== id) this.sessionCache.set(r.session.id, p!);
        },
        () => this.sessionCache.delete(id),
      );
    }
    return p;
  }

  /** The files a session touched, or undefined when the server has no mantra/files. */
  files(id: string): Promise<proto.FilesResult | undefined> {
    if (!this.client.has(proto.files.method)) return Promise.resolve(undefined);
    let p = this.filesCache.get(id);
    if (!p) {
      p = this.client.request(proto.files, { session: id });
      this.filesCache.set(id, p);
      p.catch(() => this.filesCache.delete(id));
    }
    return p;
  }

  invalidate(ids: string[] | "all"): void {
    if (ids === "all") {
      this.sessionCache.clear();
      this.filesCache.clear();
    } else {
      for (const id of ids) {
        this.sessionCache.delete(id);
        this.filesCache.delete(id);
      }
    }
    this.changedEmitter.fire(ids);
  }

  /** Reports a failed user action: a notification with "Show Output"; cancellations are silent. */
  async userError(action: string, e: unknown): Promise<void> {
    if (isCancelled(e)) return;
    const msg = `Mantra: ${action}: ${errorMessage(e)}`;
    this.output.error(msg);
    const pick = await vscode.window.showErrorMessage(msg, "Show Output");
    if (pick === "Show Output") this.output.show(true);
  }

  /** Registers a command whose failures are reported with userError. */
  command(id: string, fn: (...args: any[]) => unknown, action = id): void {
    this.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (e) {
          await this.userError(action, e);
          return undefined;
        }
      }),
    );
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0).reverse()) d.dispose();
  }
}
