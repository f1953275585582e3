import { describe, expect, it } from "vitest";
import { Backoff } from "../../src/backoff";
import { expandHome, serverArgs } from "../../src/config";

describe("Backoff", () => {
  it("doubles the delay, caps it, and gives up after too many crashes in the window", () => {
    const b = new Backoff({ initialMs: 500, maxMs: 3000, maxCrashes: 4, windowMs: 60_000 });
    expect([0, 1, 2, 3].map((i) => b.crashed(i * 1000))).toEqual([500, 1000, 2000, 3000]);
    expect(b.crashed(5000)).toBeUndefined();
  });

  it("forgets crashes older than the window, and on reset", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, maxCrashes: 2, windowMs: 1000 });
    expect(b.crashed(0)).toBe(100);
    expect(b.crashed(500)).toBe(200);
    expect(b.crashed(1200)).toBe(200); // the crash at 0 left the window, the one at 500 not
    b.reset();
    expect(b.crashed(1700)).toBe(100);
  });
});

describe("settings → mantra serve arguments", () => {
  it("passes the database and each redaction pattern", () => {
    expect(serverArgs({ databasePath: "", redactPatterns: [] })).toEqual([]);
    expect(
      serverArgs({
        databasePath: " /tmp/x.db ",
        redactPatterns: ["-----BEGIN", "acme=ACME-[0-9]{6}", ""],
      }),
    ).toEqual([
      "--db",
      "/tmp/x.db",
      "--redact-pattern=-----BEGIN",
      "--redact-pattern=acme=ACME-[0-9]{6}",
    ]);
  });

  it("expands ~", () => {
    expect(expandHome("~/m.db", "/home/u")).toBe("/home/u/m.db");
    expect(expandHome("~", "/home/u")).toBe("/home/u");
    expect(expandHome("/a/~/b", "/home/u")).toBe("/a/~/b");
  });
});
