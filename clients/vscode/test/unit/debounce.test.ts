import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CancellationToken } from "vscode-jsonrpc";
import { LatestOnly } from "../../src/debounce";

describe("LatestOnly (search as you type)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs only the last input once typing pauses", async () => {
    const calls: string[] = [];
    const l = new LatestOnly<string, string>(150, async (q) => {
      calls.push(q);
      return q.toUpperCase();
    });
    const a = l.schedule("v");
    await vi.advanceTimersByTimeAsync(50);
    const b = l.schedule("ve");
    await vi.advanceTimersByTimeAsync(50);
    const c = l.schedule("ver");
    expect(await a).toEqual({ kind: "superseded" });
    expect(await b).toEqual({ kind: "superseded" });
    await vi.advanceTimersByTimeAsync(149);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await c).toEqual({ kind: "done", value: "VER" });
    expect(calls).toEqual(["ver"]);
  });

  it("cancels the running request when a new input comes", async () => {
    const tokens: CancellationToken[] = [];
    const resolvers: ((v: string) => void)[] = [];
    const l = new LatestOnly<string, string>(100, (_q, token) => {
      tokens.push(token);
      return new Promise((r) => resolvers.push(r));
    });
    const first = l.schedule("verb");
    await vi.advanceTimersByTimeAsync(100);
    expect(tokens).toHaveLength(1);
    const second = l.schedule("verbose");
    expect(tokens[0].isCancellationRequested).toBe(true);
    expect(await first).toEqual({ kind: "superseded" });
    await vi.advanceTimersByTimeAsync(100);
    expect(tokens[1].isCancellationRequested).toBe(false);
    resolvers[0]("late answer for verb"); // ignored
    resolvers[1]("verbose!");
    expect(await second).toEqual({ kind: "done", value: "verbose!" });
  });

  it("cancel() drops the pending input and cancels the running one", async () => {
    const tokens: CancellationToken[] = [];
    const l = new LatestOnly<string, string>(100, (_q, t) => {
      tokens.push(t);
      return new Promise(() => undefined);
    });
    const p = l.schedule("a", 0);
    l.cancel();
    expect(tokens[0].isCancellationRequested).toBe(true);
    expect(await p).toEqual({ kind: "superseded" });
    const q = l.schedule("b");
    l.cancel();
    await vi.advanceTimersByTimeAsync(500);
    expect(tokens).toHaveLength(1);
    expect(await q).toEqual({ kind: "superseded" });
  });

  it("rejects with the latest request's error, swallows a superseded one's", async () => {
    let n = 0;
    const rejecters: ((e: Error) => void)[] = [];
    const l = new LatestOnly<string, string>(0, () => {
      n++;
      return new Promise((_r, reject) => rejecters.push(reject));
    });
    const a = l.schedule("x");
    const b = l.schedule("y");
    rejecters[0](new Error("old"));
    rejecters[1](new Error("params.query: unclosed quote at column 1"));
    expect(await a).toEqual({ kind: "superseded" });
    await expect(b).rejects.toThrow("unclosed quote");
    expect(n).toBe(2);
  });
});
