// MantraClient against the real `mantra serve` (the binary from the C++ build): lifecycle,
// typed requests, cancellation, restart after a crash, a missing executable, a clean stop.
// Skipped when no binary is found (set MANTRA_BIN, or build ../../build/mantra).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancellationTokenSource } from "vscode-jsonrpc";
import { CancelledError, MantraClient, ServerOptions, State, errorCode } from "../../src/client";
import * as proto from "../../src/protocol";

const root = resolve(__dirname, "../../../..");
const binary = [
  process.env.MANTRA_BIN,
  join(root, "build/mantra"),
  join(root, "build-vscode/mantra"),
].find((b) => b && existsSync(b));
const fixture = join(root, "tests/fixtures/generated/claude/home");

const quiet = { info: () => undefined, error: () => undefined };

function options(db: string, command = binary!): ServerOptions {
  return {
    command,
    args: ["--db", db],
    clientVersion: "test",
    workspaceFolders: [],
    initializationOptions: { backgroundIndex: false },
  };
}

function until(c: MantraClient, kind: State["kind"], timeoutMs = 10000): Promise<State> {
  if (c.state.kind === kind) return Promise.resolve(c.state);
  return new Promise((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`state is ${c.state.kind}, not ${kind}`)),
      timeoutMs,
    );
    const sub = c.onDidChangeState((s) => {
      if (s.kind === kind) {
        clearTimeout(t);
        sub.dispose();
        resolve(s);
      }
    });
  });
}

describe.skipIf(!binary)(`MantraClient with ${binary ?? "no mantra binary"}`, () => {
  let dir: string;
  let db: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mantra-client-"));
    db = join(dir, "m.db");
    execFileSync(binary!, ["index", "--db", db, fixture], { stdio: "ignore" });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("initializes, answers typed requests, and stops cleanly", async () => {
    const c = new MantraClient(options(db), quiet);
    c.start();
    const s = await until(c, "running");
    expect(s.kind === "running" && s.info.capabilities.methods).toContain("mantra/sessions");
    expect(c.has("mantra/search")).toBe(true);
    expect(c.has("mantra/nope")).toBe(false);
    const r = await c.request(proto.sessions, { limit: 5 });
    expect(r.sessions.map((x) => x.agent)).toEqual(["claude"]);
    const st = await c.request(proto.status);
    expect(st.sessions).toBe(1);
    await expect(c.request(proto.session, { session: "nosuch" })).rejects.toSatisfy(
      (e) => errorCode(e) === proto.ErrorCode.NotFound,
    );
    await c.stop();
    expect(c.state.kind).toBe("stopped");
    expect(c.pid).toBeUndefined();
  });

  it("a cancelled request rejects at once and the connection stays usable", async () => {
    const c = new MantraClient(options(db), quiet);
    c.start();
    await until(c, "running");
    const src = new CancellationTokenSource();
    const p = c.request(proto.search, { query: "verbose flag" }, src.token);
    src.cancel();
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    const pre = new CancellationTokenSource();
    pre.cancel();
    await expect(c.request(proto.search, { query: "verbose" }, pre.token)).rejects.toBeInstanceOf(
      CancelledError,
    );
    const found = await c.request(proto.search, { query: "verbose flag" });
    expect("sessions" in found && found.sessions.length).toBeGreaterThan(0);
    await c.stop();
  });

  it("restarts the server after a crash, and requests wait for it", async () => {
    const logs: string[] = [];
    const c = new MantraClient(options(db), {
      info: (m) => logs.push(m),
      error: (m) => logs.push(m),
    });
    c.start();
    await until(c, "running");
    const pid = c.pid!;
    const restarted = new Promise<void>((resolve) => {
      let sawStarting = false;
      c.onDidChangeState((s) => {
        if (s.kind === "starting") sawStarting = true;
        if (s.kind === "running" && sawStarting) resolve();
      });
    });
    process.kill(pid, "SIGKILL");
    await until(c, "starting");
    const during = c.request(proto.status); // sent while it restarts
    await restarted;
    expect(c.pid).not.toBe(pid);
    expect((await during).sessions).toBe(1);
    expect(logs.some((l) => l.includes("exited (signal SIGKILL)"))).toBe(true);
    await c.stop();
  });

  it("reports a missing executable once, without retrying", async () => {
    const c = new MantraClient(options(db, join(dir, "no-such-mantra")), quiet);
    const states: string[] = [];
    c.onDidChangeState((s) => states.push(s.kind === "failed" ? `failed:${s.reason}` : s.kind));
    c.start();
    await until(c, "failed");
    expect(states).toEqual(["starting", "failed:missing"]);
    await expect(c.request(proto.status)).rejects.toThrow(/not found/);
  });
});
