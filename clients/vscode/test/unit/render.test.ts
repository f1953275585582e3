import { describe, expect, it } from "vitest";
import { result } from "./examples";
import type {
  Event,
  FilesResult,
  OriginResult,
  SearchResult,
  Session,
  SessionResult,
} from "../../src/protocol";
import {
  commandUri,
  dayLabel,
  diffTitle,
  escapeHtml,
  filesBySeq,
  firstLine,
  groupByDay,
  groupHits,
  highlight,
  hitLabel,
  originContext,
  originMarkdown,
  relativeTime,
  renderSessionHtml,
  renderStep,
  stepLabel,
} from "../../src/render";

const shown: SessionResult = result("session", "mantra/session");
const session = shown.session;
const files: FilesResult = result("files", "mantra/files");
const now = new Date("2026-11-25T18:00:00Z"); // TZ=UTC (vitest.config.mts)

const mk = (id: string, ended: string | null, started: string | null = ended): Session => ({
  id,
  agent: "claude",
  project: "/p",
  title: id,
  branch: "",
  started,
  ended,
  events: 1,
});

describe("time and day groups", () => {
  it("labels days relative to now", () => {
    expect(dayLabel("2026-11-25T01:00:00Z", now)).toBe("Today");
    expect(dayLabel("2026-11-24T23:59:00Z", now)).toBe("Yesterday");
    expect(dayLabel("2026-11-20T10:00:00Z", now)).toBe("Fri 20 Nov 2026");
    expect(dayLabel(null, now)).toBe("Undated");
    expect(dayLabel("garbage", now)).toBe("Undated");
  });

  it("groups sessions by day of last activity, newest first", () => {
    const groups = groupByDay(
      [
        mk("a", "2026-11-20T10:00:00Z"),
        mk("b", "2026-11-25T09:00:00Z"),
        mk("c", null, "2026-11-25T12:00:00Z"),
        mk("d", null, null),
        mk("e", "2026-11-24T08:00:00Z"),
      ],
      now,
    );
    expect(groups.map((g) => [g.label, g.sessions.map((s) => s.id)])).toEqual([
      ["Today", ["c", "b"]],
      ["Yesterday", ["e"]],
      ["Fri 20 Nov 2026", ["a"]],
      ["Undated", ["d"]],
    ]);
  });

  it("says how long ago", () => {
    expect(relativeTime("2026-11-25T17:59:30Z", now)).toBe("just now");
    expect(relativeTime("2026-11-25T17:15:00Z", now)).toBe("45 min ago");
    expect(relativeTime("2026-11-25T10:00:00Z", now)).toBe("8 h ago");
    expect(relativeTime("2026-11-24T10:00:00Z", now)).toBe("1 day ago");
    expect(relativeTime("2026-11-21T10:00:00Z", now)).toBe("4 days ago");
    expect(relativeTime("2026-10-01T10:00:00Z", now)).toBe("1 Oct 2026");
  });
});

describe("steps", () => {
  const shell = (exitCode?: number, isError?: boolean): Event => ({
    seq: 15,
    kind: "shell",
    command: "python3 -m unittest\nmore",
    exitCode,
    isError,
    time: "2026-11-25T11:45:10.994Z",
  });

  it("shows a command's exit status as its icon", () => {
    expect(stepLabel(shell(0), "/p").icon).toEqual({ id: "pass", color: "testing.iconPassed" });
    expect(stepLabel(shell(1, true), "/p").icon).toEqual({
      id: "error",
      color: "testing.iconFailed",
    });
    expect(stepLabel(shell(undefined, true), "/p").icon.id).toBe("error");
    expect(stepLabel(shell(), "/p").icon).toEqual({ id: "terminal" });
    expect(stepLabel(shell(1, true), "/p")).toMatchObject({
      label: "python3 -m unittest",
      description: "#15 · 11:45:10 · exit 1",
    });
  });

  it("names edits by their path relative to the project", () => {
    const e: Event = { seq: 9, kind: "edit", tool: "Edit", path: "/p/calc/cli.py" };
    expect(stepLabel(e, "/p")).toEqual({
      label: "Edit calc/cli.py",
      description: "#9",
      icon: { id: "edit" },
    });
    expect(stepLabel(shown.events[0], session.project).label).toBe(firstLine(shown.events[0].text));
  });

  it("maps steps to the files they changed", () => {
    const m = filesBySeq(files.files);
    expect(m.get(11)).toEqual(["calc/cli.py"]);
    expect(m.get(23)?.sort()).toEqual(["calc/compat.py", "calc/operations.py", "calc/ops.py"]);
    expect(m.has(6)).toBe(false); // a read is no change
  });

  it("titles a diff like `app.py (step 4 ↔ 5) — <title>`", () => {
    expect(diffTitle("src/app.py", 4, 5, "fix the bug")).toBe("app.py (step 4 ↔ 5) — fix the bug");
    expect(diffTitle("app.py", 5, "disk", "x\ny")).toBe("app.py (step 5 ↔ disk) — x y");
    expect(diffTitle("a.py", 1, 2, "t".repeat(100))).toMatch(/^a\.py \(step 1 ↔ 2\) — t{59}…$/);
  });
});

describe("search results", () => {
  const res: SearchResult = result("search", "mantra/search");

  it("keeps one entry per session at its best hit", () => {
    const hits = [
      res.hits[0],
      { ...res.hits[0], seq: 40, score: 1 },
      { ...res.hits[0], session: "codex:x", seq: 2 },
    ];
    const g = groupHits(hits);
    expect(g.map((x) => [x.best.session, x.best.seq, x.count])).toEqual([
      [res.hits[0].session, res.hits[0].seq, 2],
      ["codex:x", 2, 1],
    ]);
    const label = hitLabel(g[0], now);
    expect(label.label).toBe(res.hits[0].title);
    expect(label.description).toBe("claude · work-rich-claude · 6 h ago");
    expect(label.detail).toBe(`#1 user: ${res.hits[0].snippet} (+1 more)`);
  });

  it("marks highlights by code point", () => {
    expect(
      highlight(
        "add a --verbose flag",
        [
          [8, 15],
          [16, 20],
        ],
        "[",
        "]",
      ),
    ).toBe("add a --[verbose] [flag]");
    expect(highlight("é😀 ok", [[3, 5]], "<", ">")).toBe("é😀 <ok>");
    expect(
      highlight(
        "abc",
        [
          [2, 1],
          [0, 1],
          [0, 2],
        ],
        "<",
        ">",
      ),
    ).toBe("<a>bc");
  });
});

describe("session view HTML", () => {
  const html = renderSessionHtml(session, shown.events, {
    nonce: "N0nce",
    cspSource: "vscode-webview://x",
    changed: filesBySeq(files.files),
    current: 3,
  });

  it("has a strict CSP and nonce'd inline code only", () => {
    expect(html).toContain(
      `content="default-src 'none'; style-src 'nonce-N0nce'; script-src 'nonce-N0nce';`,
    );
    expect(html).toContain('<style nonce="N0nce">');
    expect(html).toContain('<script nonce="N0nce">');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain("if (3 > 0) focusStep(3);");
  });

  it("renders every step with its kind", () => {
    for (const e of shown.events)
      expect(html).toContain(`<li id="step-${e.seq}" class="step ${e.kind}"`);
    expect(html).toContain(escapeHtml(session.title));
  });

  it("escapes what the agent wrote", () => {
    const evil: Event = {
      seq: 5,
      kind: "assistant",
      text: `<img src=x onerror="alert(1)"> & </pre>`,
    };
    const li = renderStep(evil, "/p", undefined);
    expect(li).not.toContain("<img");
    expect(li).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;/pre&gt;");
  });

  it("links each changed file to 'open file at this step' and 'diff'", () => {
    const li = renderStep(
      { seq: 11, kind: "edit", tool: "Edit", path: "/p/calc/cli.py", text: "x" },
      "/p",
      ["calc/cli.py"],
    );
    expect(li).toContain(
      'data-cmd="open" data-seq="11" data-path="calc/cli.py">open file at this step</a>',
    );
    expect(li).toContain('data-cmd="diff" data-seq="11" data-path="calc/cli.py">diff</a>');
  });

  it("shows a command with its exit code and output", () => {
    const li = renderStep(
      {
        seq: 15,
        kind: "shell",
        command: "pytest",
        exitCode: 1,
        isError: true,
        stdout: "F",
        stderr: "boom",
        durationMs: 156,
      },
      "/p",
      undefined,
    );
    expect(li).toContain('<pre class="command">$ pytest</pre>');
    expect(li).toContain('<span class="exit fail">exit 1</span>');
    expect(li).toContain("156 ms");
    expect(li).toContain("<details open>");
    expect(li).toContain('<pre class="stderr">boom</pre>');
  });
});

describe("hover", () => {
  const r: OriginResult = result("origin", "mantra/origin");

  it("shows the prompt, the agent, the time and links to the session", () => {
    const md = originMarkdown(r.origin!, 0);
    expect(md).toContain("**Mantra** · claude · 25 Nov 2026 11:45");
    expect(md).toContain("> add a \\-\\-verbose flag to the calc CLI and a test for it");
    expect(md).toContain(
      `[Open session at step 9](${commandUri("mantra.openSession", [r.origin!.session, 9])})`,
    );
    expect(md).toContain("_I'll add the flag to the parser first\\._");
    expect(md).not.toContain("since");
    const fuzzy = originMarkdown({ ...r.origin!, confidence: "fuzzy" }, 2, "/elsewhere/cli2.py");
    expect(fuzzy).toContain("edited since (similar line)");
    expect(fuzzy).toContain("written in `cli.py`");
    expect(fuzzy).toContain("2 other candidates");
    expect(originMarkdown({ ...r.origin!, confidence: "moved" }, 0)).toContain("moved here since");
  });

  it("sends three lines of context each way, nearest next to the line", () => {
    const doc = ["a", "b", "c", "d", "e", "f", "g", "h"];
    expect(originContext((i) => doc[i], doc.length, 4)).toEqual({
      above: ["b", "c", "d"],
      below: ["f", "g", "h"],
    });
    expect(originContext((i) => doc[i], doc.length, 0)).toEqual({
      above: [],
      below: ["b", "c", "d"],
    });
    expect(originContext((i) => doc[i], doc.length, 7)).toEqual({
      above: ["e", "f", "g"],
      below: [],
    });
  });

  it("encodes command arguments as JSON", () => {
    expect(decodeURIComponent(commandUri("x", ["a b", 3]).split("?")[1])).toBe('["a b",3]');
  });
});
