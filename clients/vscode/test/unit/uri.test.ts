import { describe, expect, it } from "vitest";
import {
  absolutePath,
  baseName,
  fromComponents,
  parseUriString,
  relativeToProject,
  toComponents,
  toUriString,
} from "../../src/uri";
import { transcript } from "./examples";

const S = "claude:f2d6f4b6-9e33-45d2-bedd-760d95df010b";

describe("mantra: URIs", () => {
  it("builds mantra://<session>/<seq>/<path>", () => {
    expect(toComponents({ session: S, seq: 11, path: "calc/cli.py" })).toEqual({
      scheme: "mantra",
      authority: S,
      path: "/11/calc/cli.py",
    });
    expect(toUriString({ session: S, seq: 11, path: "calc/cli.py" })).toBe(
      `mantra://${S}/11/calc/cli.py`,
    );
  });

  it("matches the uri the server puts in fileAt results", () => {
    for (const t of transcript("fileAt")) {
      if (t.request?.method !== "mantra/fileAt") continue;
      const r = (
        t.response as { result?: { session: string; seq: number; path: string; uri: string } }
      ).result;
      if (!r) continue;
      expect(toUriString({ session: r.session, seq: r.seq, path: r.path })).toBe(r.uri);
      expect(parseUriString(r.uri)).toEqual({ session: r.session, seq: r.seq, path: r.path });
    }
  });

  it("round-trips absolute paths, step 0 and odd characters", () => {
    for (const ref of [
      { session: S, seq: 0, path: "README.md" },
      { session: S, seq: 7, path: "/etc/hosts" },
      { session: "codex:01a2", seq: 3, path: "dir with space/ü#?.txt" },
    ]) {
      expect(fromComponents(toComponents(ref))).toEqual(ref);
      expect(parseUriString(toUriString(ref).replace(/ /g, "%20"))).toEqual(ref);
    }
    expect(toComponents({ session: S, seq: 7, path: "/etc/hosts" }).path).toBe("/7//etc/hosts");
  });

  it("rejects what is not a mantra file URI", () => {
    expect(fromComponents({ scheme: "file", authority: "", path: "/x" })).toBeUndefined();
    expect(fromComponents({ scheme: "mantra", authority: S, path: "/x/y" })).toBeUndefined();
    expect(fromComponents({ scheme: "mantra", authority: S, path: "/11" })).toBeUndefined();
    expect(fromComponents({ scheme: "mantra", authority: "", path: "/1/a" })).toBeUndefined();
    expect(parseUriString("mantra:/nope")).toBeUndefined();
    expect(parseUriString("mantra://s/1/%E0%A4%A")).toBeUndefined();
    expect(() => toComponents({ session: S, seq: -1, path: "a" })).toThrow();
    expect(() => toComponents({ session: S, seq: 1.5, path: "a" })).toThrow();
    expect(() => toComponents({ session: "", seq: 1, path: "a" })).toThrow();
  });

  it("maps paths between the project and the disk", () => {
    expect(relativeToProject("/w/p/calc/cli.py", "/w/p")).toBe("calc/cli.py");
    expect(relativeToProject("/w/p/calc/cli.py", "/w/p/")).toBe("calc/cli.py");
    expect(relativeToProject("/w/px/a.py", "/w/p")).toBe("/w/px/a.py");
    expect(relativeToProject("/etc/hosts", "")).toBe("/etc/hosts");
    expect(absolutePath("calc/cli.py", "/w/p/")).toBe("/w/p/calc/cli.py");
    expect(absolutePath("/etc/hosts", "/w/p")).toBe("/etc/hosts");
    expect(baseName("calc/cli.py")).toBe("cli.py");
    expect(baseName("/w/p/")).toBe("p");
  });
});

describe("command arguments", () => {
  it("reads (session, seq, path) and tree nodes alike", async () => {
    const { stepArgs } = await import("../../src/args");
    expect(stepArgs(S, 11, "calc/cli.py")).toEqual({ session: S, seq: 11, path: "calc/cli.py" });
    expect(stepArgs(S)).toEqual({ session: S, seq: undefined, path: undefined });
    expect(stepArgs()).toEqual({ session: undefined, seq: undefined, path: undefined });
    expect(stepArgs(S, "11", 3)).toEqual({ session: S, seq: undefined, path: undefined });
    expect(stepArgs({ kind: "session", session: { id: S } })).toEqual({
      session: S,
      seq: undefined,
      path: undefined,
    });
    expect(
      stepArgs({ kind: "step", session: { id: S }, event: { seq: 9 }, changed: ["calc/cli.py"] }),
    ).toEqual({ session: S, seq: 9, path: "calc/cli.py" });
  });
});
