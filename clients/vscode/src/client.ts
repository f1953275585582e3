// The connection to `mantra serve`: spawns it, speaks JSON-RPC over its stdio with
// vscode-jsonrpc (LSP framing), runs the lifecycle (initialize → initialized … shutdown → exit),
// and restarts it with backoff when it crashes. No vscode import: the extension passes a logger
// and listens to the events.
import * as cp from "node:child_process";
import {
  CancellationToken,
  Disposable,
  Emitter,
  Event,
  MessageConnection,
  NotificationType,
  RequestType,
  RequestType0,
  ResponseError,
  Trace,
  createMessageConnection,
} from "vscode-jsonrpc/node";
import { StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { Backoff } from "./backoff";
import * as proto from "./protocol";

export interface Logger {
  info(message: string): void;
  error(message: string): void;
}

export interface ServerOptions {
  /** The executable (`mantra`, or a path). */
  command: string;
  /** Arguments after `serve`. */
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  clientVersion: string;
  workspaceFolders: { uri: string; name: string; path: string }[];
  initializationOptions: { backgroundIndex?: boolean } & Record<string, unknown>;
  /** Logs every message in and out when "messages" or "verbose". */
  trace?: "off" | "messages" | "verbose";
}

export type State =
  | { kind: "starting" }
  | { kind: "running"; info: proto.InitializeResult }
  | { kind: "stopped" }
  /** Gave up: `missing` = the executable was not found; `crashed` = too many crashes. */
  | { kind: "failed"; reason: "missing" | "crashed" | "error"; message: string };

/** Thrown by request() when its token was cancelled before the answer came. */
export class CancelledError extends Error {
  constructor() {
    super("cancelled");
    this.name = "CancelledError";
  }
}

export function isCancelled(e: unknown): boolean {
  return (
    e instanceof CancelledError ||
    (e instanceof ResponseError && e.code === proto.ErrorCode.RequestCancelled)
  );
}

/** The server's error code of a failed request, or undefined for other failures. */
export function errorCode(e: unknown): number | undefined {
  return e instanceof ResponseError ? e.code : undefined;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A notification handler, and its registration on the current connection. */
type Handler = {
  type: NotificationType<unknown>;
  fn: (params: unknown) => void;
  registration?: Disposable;
};

export class MantraClient implements Disposable {
  private proc?: cp.ChildProcess;
  private conn?: MessageConnection;
  private state_: State = { kind: "stopped" };
  private readonly handlers: Handler[] = [];
  private readonly backoff = new Backoff();
  private restartTimer?: ReturnType<typeof setTimeout>;
  private stopping = false;
  private readonly stateEmitter = new Emitter<State>();
  /** Fires at every state change (starting, running, stopped, failed). */
  readonly onDidChangeState: Event<State> = this.stateEmitter.event;

  constructor(
    private options: ServerOptions,
    private readonly log: Logger,
  ) {}

  get state(): State {
    return this.state_;
  }

  /** The server's process id while it runs (tests, the status report). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Whether the running server lists `method` in its capabilities. */
  has(method: string): boolean {
    return this.state_.kind === "running" && this.state_.info.capabilities.methods.includes(method);
  }

  /** Starts the server (again); a no-op while it is starting or running. */
  start(): void {
    if (this.state_.kind === "starting" || this.state_.kind === "running") return;
    this.stopping = false;
    this.launch();
  }

  /** Stops it, then starts it with new options; clears the crash history. */
  async restart(options?: ServerOptions): Promise<void> {
    if (options) this.options = options;
    await this.stop();
    this.backoff.reset();
    this.start();
  }

  /** shutdown + exit; SIGTERM when it has not exited 2 s later, SIGKILL 2 s after that. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const conn = this.conn;
    const proc = this.proc;
    if (conn && this.state_.kind === "running") {
      try {
        await withTimeout(conn.sendRequest(proto.shutdown), 2000);
        await conn.sendNotification(proto.exit);
      } catch {
        // killed below
      }
    }
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      const term = setTimeout(() => proc.kill("SIGTERM"), conn ? 2000 : 0);
      const kill = setTimeout(() => proc.kill("SIGKILL"), 4000);
      await exited;
      clearTimeout(term);
      clearTimeout(kill);
    }
    this.teardown();
    this.setState({ kind: "stopped" });
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }

  /** Registers a notification handler; it stays across restarts. */
  onNotification<P>(type: NotificationType<P>, fn: (params: P) => void): Disposable {
    const h: Handler = { type: type as NotificationType<unknown>, fn: fn as (p: unknown) => void };
    this.handlers.push(h);
    h.registration = this.conn?.onNotification(h.type, h.fn);
    return Disposable.create(() => {
      h.registration?.dispose();
      const i = this.handlers.indexOf(h);
      if (i >= 0) this.handlers.splice(i, 1);
    });
  }

  /**
   * Sends a request once the server is running. With a token: cancelling it sends
   * $/cancelRequest and rejects at once with CancelledError (the late answer is dropped).
   */
  request<R>(type: RequestType0<R, void>, token?: CancellationToken): Promise<R>;
  request<P, R>(type: RequestType<P, R, void>, params: P, token?: CancellationToken): Promise<R>;
  async request(
    type: RequestType<unknown, unknown, void> | RequestType0<unknown, void>,
    a?: unknown,
    b?: unknown,
  ): Promise<unknown> {
    const zeroParams = type instanceof RequestType0;
    const params = zeroParams ? undefined : a;
    const token = (zeroParams ? a : b) as CancellationToken | undefined;
    if (token?.isCancellationRequested) throw new CancelledError();
    const conn = await this.connection();
    if (token?.isCancellationRequested) throw new CancelledError();
    const sent = zeroParams
      ? conn.sendRequest(type as RequestType0<unknown, void>, token)
      : conn.sendRequest(type as RequestType<unknown, unknown, void>, params, token);
    if (!token) return sent;
    return new Promise((resolve, reject) => {
      const sub = token.onCancellationRequested(() => {
        sub.dispose();
        reject(new CancelledError());
      });
      sent.then(
        (v) => {
          sub.dispose();
          resolve(v);
        },
        (e) => {
          sub.dispose();
          reject(e);
        },
      );
    });
  }

  /** The connection once the server runs; waits through a start or a restart after a crash. */
  private connection(): Promise<MessageConnection> {
    if (this.state_.kind === "running" && this.conn) return Promise.resolve(this.conn);
    if (this.state_.kind === "failed") return Promise.reject(new Error(this.state_.message));
    if (this.state_.kind === "stopped") this.start();
    return new Promise((resolve, reject) => {
      const sub = this.onDidChangeState((s) => {
        if (s.kind === "running" && this.conn) {
          sub.dispose();
          resolve(this.conn);
        } else if (s.kind === "failed" || s.kind === "stopped") {
          sub.dispose();
          reject(new Error(s.kind === "failed" ? s.message : "the Mantra server was stopped"));
        }
      });
    });
  }

  private setState(s: State): void {
    this.state_ = s;
    this.stateEmitter.fire(s);
  }

  private launch(): void {
    const { command, args, cwd, env } = this.options;
    this.setState({ kind: "starting" });
    this.log.info(`starting ${command} serve ${args.join(" ")}`);
    let proc: cp.ChildProcess;
    try {
      proc = cp.spawn(command, ["serve", ...args], {
        cwd,
        env: env ?? process.env,
        stdio: ["pipe", "pipe", "pipe"],
      });
    } catch (e) {
      this.fail("error", `cannot start ${command}: ${errorMessage(e)}`);
      return;
    }
    this.proc = proc;
    let stderrTail = "";
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4000);
      for (const line of chunk.split("\n")) if (line.trim()) this.log.info(`[server] ${line}`);
    });
    let spawned = false;
    proc.on("error", (e: NodeJS.ErrnoException) => {
      // Before 'spawn': the executable could not be started (ENOENT, EACCES); no 'exit' follows.
      if (!spawned) this.exited(proc, null, null, e, stderrTail);
      else this.log.error(`server process: ${e.message}`);
    });
    proc.on("exit", (code, signal) => this.exited(proc, code, signal, undefined, stderrTail));
    proc.once("spawn", () => {
      spawned = true;
      if (this.proc !== proc) return;
      this.connect(proc);
    });
  }

  /** Opens the JSON-RPC connection over the process's stdio and runs the handshake. */
  private connect(proc: cp.ChildProcess): void {
    const conn = createMessageConnection(
      new StreamMessageReader(proc.stdout!),
      new StreamMessageWriter(proc.stdin!),
    );
    this.conn = conn;
    proc.stdin!.on("error", (e) => this.log.error(`writing to the server: ${e.message}`));
    for (const h of this.handlers) h.registration = conn.onNotification(h.type, h.fn);
    conn.onError(([e]) => this.log.error(`connection: ${errorMessage(e)}`));
    if (this.options.trace && this.options.trace !== "off")
      void conn.trace(this.options.trace === "verbose" ? Trace.Verbose : Trace.Messages, {
        log: (m: string, data?: string) => this.log.info(data ? `${m}\n${data}` : m),
      });
    conn.listen();
    this.handshake(conn, proc).catch((e) => {
      if (this.proc !== proc) return;
      this.log.error(`initialize failed: ${errorMessage(e)}`);
      proc.kill("SIGTERM"); // exited() restarts it with backoff
    });
  }

  private async handshake(conn: MessageConnection, proc: cp.ChildProcess): Promise<void> {
    const info = await conn.sendRequest(proto.initialize, {
      clientInfo: { name: "mantra-vscode", version: this.options.clientVersion },
      workspaceFolders: this.options.workspaceFolders,
      initializationOptions: this.options.initializationOptions,
    });
    await conn.sendNotification(proto.initialized, {});
    if (this.proc !== proc) throw new Error("the Mantra server was restarted");
    this.log.info(
      `server ${info.serverInfo.name} ${info.serverInfo.version}, database ${info.database}; methods: ${info.capabilities.methods.join(", ")}`,
    );
    this.setState({ kind: "running", info });
  }

  private exited(
    proc: cp.ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
    spawnError: NodeJS.ErrnoException | undefined,
    stderrTail: string,
  ): void {
    if (this.proc !== proc) return;
    this.teardown();
    if (this.stopping) return;
    if (spawnError?.code === "ENOENT") {
      this.fail("missing", `the Mantra server '${this.options.command}' was not found`);
      return;
    }
    if (spawnError) {
      this.fail("error", `cannot start '${this.options.command}': ${spawnError.message}`);
      return;
    }
    const why = signal ? `signal ${signal}` : `code ${code}`;
    const last = stderrTail.trim().split("\n").pop() ?? "";
    this.log.error(`mantra serve exited (${why})${last ? `: ${last}` : ""}`);
    const delay = this.backoff.crashed(Date.now());
    if (delay === undefined) {
      this.fail("crashed", `mantra serve keeps exiting (${why})${last ? `: ${last}` : ""}`);
      return;
    }
    this.log.info(`restarting in ${delay} ms`);
    this.setState({ kind: "starting" });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopping) this.launch();
    }, delay);
  }

  private fail(reason: "missing" | "crashed" | "error", message: string): void {
    this.log.error(message);
    this.teardown();
    this.setState({ kind: "failed", reason, message });
  }

  private teardown(): void {
    this.conn?.dispose();
    this.conn = undefined;
    this.proc = undefined;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timed out")), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
