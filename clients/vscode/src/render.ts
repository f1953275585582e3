// Turning protocol data into what the UI shows: labels, day groups, titles, the session view's
// HTML and the hover's Markdown. Pure (no vscode import) so every piece is unit-tested.
import type { Event, FilesResult, Origin, SearchHit, Session } from "./protocol";
import { baseName, relativeToProject } from "./uri";

// --- text helpers ------------------------------------------------------------------------------

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** The first non-empty line, cut to `max` characters with an ellipsis. */
export function firstLine(s: string | undefined, max = 80): string {
  const line = (s ?? "").split("\n").find((l) => l.trim() !== "") ?? "";
  return truncate(line.trim(), max);
}

export function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : chars.slice(0, max - 1).join("") + "…";
}

/** Collapses runs of whitespace (newlines included) to one space. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

// --- time --------------------------------------------------------------------------------------

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const pad = (n: number) => String(n).padStart(2, "0");

function parse(iso: string | null | undefined): Date | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** "25 Nov 2026 11:45" in local time; "" for a missing time. */
export function formatTime(iso: string | null | undefined): string {
  const d = parse(iso);
  if (!d) return "";
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "11:45:06" in local time. */
export function clockTime(iso: string | null | undefined): string {
  const d = parse(iso);
  return d ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` : "";
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", then the date. */
export function relativeTime(iso: string | null | undefined, now: Date): string {
  const d = parse(iso);
  if (!d) return "";
  const s = (now.getTime() - d.getTime()) / 1000;
  if (s < 0) return formatTime(iso);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86400) return `${Math.floor(s / 86400)} day${s < 2 * 86400 ? "" : "s"} ago`;
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
}

function dayStart(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** The heading of the local day of `iso`: "Today", "Yesterday", "Wed 25 Nov 2026", "Undated". */
export function dayLabel(iso: string | null | undefined, now: Date): string {
  const d = parse(iso);
  if (!d) return "Undated";
  const days = Math.round((dayStart(now) - dayStart(d)) / 86400000);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  return `${DAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
}

/** When a session was last active: its end, else its start. */
export function lastActive(s: Session): string | null {
  return s.ended ?? s.started;
}

export interface DayGroup {
  label: string;
  sessions: Session[];
}

/** Sessions grouped by local day of last activity, newest day and newest session first. */
export function groupByDay(sessions: Session[], now: Date): DayGroup[] {
  const time = (s: Session) => parse(lastActive(s))?.getTime() ?? -Infinity;
  const sorted = [...sessions].sort((a, b) => time(b) - time(a) || a.id.localeCompare(b.id));
  const groups: DayGroup[] = [];
  for (const s of sorted) {
    const label = dayLabel(lastActive(s), now);
    const last = groups[groups.length - 1];
    if (last && last.label === label) last.sessions.push(s);
    else groups.push({ label, sessions: [s] });
  }
  return groups;
}

// --- sessions and steps ------------------------------------------------------------------------

export function sessionTitle(s: Pick<Session, "title" | "id">): string {
  return s.title.trim() || s.id;
}

/** "claude · calc · 11:45" — the description next to a session's title in lists. */
export function sessionDescription(s: Session): string {
  const parts = [
    s.agent,
    baseName(s.project || "") || undefined,
    clockTime(lastActive(s)).slice(0, 5),
  ];
  return parts.filter(Boolean).join(" · ");
}

export function sessionTooltip(s: Session): string {
  const lines = [
    sessionTitle(s),
    `${s.agent}${s.model ? ` (${s.model})` : ""} · ${s.events} steps`,
    s.project ? `project: ${s.project}${s.branch ? ` (${s.branch})` : ""}` : "",
    s.started ? `${formatTime(s.started)} – ${formatTime(s.ended)}` : "",
    s.id,
  ];
  return lines.filter(Boolean).join("\n");
}

/** The kinds the history tree and replay step through. */
export const STEP_KINDS: ReadonlySet<Event["kind"]> = new Set(["user", "edit", "shell"]);

export interface IconRef {
  id: string;
  /** A theme color id, e.g. "testing.iconFailed". */
  color?: string;
}

export interface StepLabel {
  label: string;
  description: string;
  icon: IconRef;
}

/** Exit status of a shell step: true = success, false = failure, undefined = unknown. */
export function shellOk(e: Event): boolean | undefined {
  if (e.exitCode !== undefined) return e.exitCode === 0 && !e.isError;
  if (e.isError) return false;
  return undefined;
}

export function stepLabel(e: Event, project: string): StepLabel {
  const when = clockTime(e.time);
  const description = [`#${e.seq}`, when].filter(Boolean).join(" · ");
  switch (e.kind) {
    case "user":
      return { label: firstLine(e.text) || "(empty prompt)", description, icon: { id: "comment" } };
    case "assistant":
      return { label: firstLine(e.text), description, icon: { id: "hubot" } };
    case "edit":
      return {
        label: `${e.tool ?? "Edit"} ${e.path ? relativeToProject(e.path, project) : ""}`.trim(),
        description,
        icon: { id: "edit" },
      };
    case "shell": {
      const ok = shellOk(e);
      const icon: IconRef =
        ok === true
          ? { id: "pass", color: "testing.iconPassed" }
          : ok === false
            ? { id: "error", color: "testing.iconFailed" }
            : { id: "terminal" };
      const exit = e.exitCode !== undefined ? ` · exit ${e.exitCode}` : "";
      return {
        label: firstLine(e.command ?? e.text) || "(command)",
        description: description + exit,
        icon,
      };
    }
    case "tool_call":
      return {
        label:
          `${e.tool ?? "tool"} ${e.path ? relativeToProject(e.path, project) : firstLine(e.text, 60)}`.trim(),
        description,
        icon: { id: "tools" },
      };
    default:
      return { label: firstLine(e.text) || e.kind, description, icon: { id: "circle-small" } };
  }
}

/** seq → the files (server paths) whose content changed at that step. */
export function filesBySeq(files: FilesResult["files"]): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const f of files)
    for (const seq of f.changedAt) {
      const list = m.get(seq) ?? [];
      list.push(f.path);
      m.set(seq, list);
    }
  return m;
}

/** `app.py (step 4 ↔ 5) — <session title>`; `to` may be "disk". */
export function diffTitle(path: string, from: number, to: number | "disk", title: string): string {
  const right = to === "disk" ? "disk" : String(to);
  return `${baseName(path)} (step ${from} ↔ ${right}) — ${truncate(oneLine(title), 60)}`;
}

// --- search ------------------------------------------------------------------------------------

export interface HitGroup {
  best: SearchHit;
  /** How many hits the session has in the result. */
  count: number;
}

/** One entry per session, at its best hit, in the server's order (best first). */
export function groupHits(hits: SearchHit[]): HitGroup[] {
  const by = new Map<string, HitGroup>();
  for (const h of hits) {
    const g = by.get(h.session);
    if (g) g.count++;
    else by.set(h.session, { best: h, count: 1 });
  }
  return [...by.values()];
}

export interface PickLabel {
  label: string;
  description: string;
  detail: string;
}

export function hitLabel(g: HitGroup, now: Date): PickLabel {
  const h = g.best;
  const more = g.count > 1 ? ` (+${g.count - 1} more)` : "";
  return {
    label: truncate(oneLine(h.title) || h.session, 100),
    description: [h.agent, baseName(h.project) || undefined, relativeTime(h.time, now)]
      .filter(Boolean)
      .join(" · "),
    detail: `#${h.seq} ${h.kind}: ${truncate(oneLine(h.snippet), 160)}${more}`,
  };
}

/** The snippet with its [start, end) code-point highlights wrapped in `open`/`close`. */
export function highlight(
  snippet: string,
  ranges: number[][],
  open: string,
  close: string,
): string {
  const chars = Array.from(snippet);
  const sorted = ranges.filter((r) => r.length === 2 && r[0] < r[1]).sort((a, b) => a[0] - b[0]);
  let out = "";
  let at = 0;
  for (const [s, e] of sorted) {
    if (s < at) continue;
    out += chars.slice(at, s).join("") + open + chars.slice(s, e).join("") + close;
    at = e;
  }
  return out + chars.slice(at).join("");
}

// --- hover -------------------------------------------------------------------------------------

/** A `command:` URI with JSON arguments, as Markdown links want it. */
export function commandUri(command: string, args: unknown[]): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify(args))}`;
}

/** What the hover says about how sure the answer is. */
const CONFIDENCE: Record<Origin["confidence"], string> = {
  exact: "",
  moved: " · moved here since",
  fuzzy: " · edited since (similar line)",
};

/** The hover for a line an agent wrote. */
export function originMarkdown(o: Origin, others: number, filePath?: string): string {
  const prompt = truncate(o.prompt.trim(), 600)
    .split("\n")
    .map((l) => `> ${escapeMarkdown(l)}`)
    .join("\n");
  const open = commandUri("mantra.openSession", [o.session, o.seq]);
  const diff = commandUri("mantra.diffStep", [o.session, o.seq, o.path]);
  const where =
    filePath && o.path !== filePath ? ` · written in \`${o.path.split("/").pop() ?? o.path}\`` : "";
  const lines = [
    `**Mantra** · ${escapeMarkdown(o.agent)}${o.time ? ` · ${formatTime(o.time)}` : ""}` +
      `${CONFIDENCE[o.confidence] ?? ""}${where}`,
    "",
    prompt || "> (no prompt)",
  ];
  if (o.explanation?.trim())
    lines.push("", `_${escapeMarkdown(truncate(o.explanation.trim().split("\n")[0], 200))}_`);
  lines.push(
    "",
    `[Open session at step ${o.seq}](${open}) · [Diff of step ${o.seq}](${diff})` +
      (others > 0 ? ` · ${others} other candidate${others > 1 ? "s" : ""}` : ""),
  );
  return lines.join("\n");
}

/** The lines around `line` (0-based) that mantra/origin uses: three above (nearest last) and
 * three below (nearest first). */
export function originContext(
  lineAt: (i: number) => string,
  lineCount: number,
  line: number,
): { above: string[]; below: string[] } {
  const above: string[] = [];
  const below: string[] = [];
  for (let i = Math.max(0, line - 3); i < line; i++) above.push(lineAt(i));
  for (let i = line + 1; i < Math.min(lineCount, line + 4); i++) below.push(lineAt(i));
  return { above, below };
}

export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, "\\$&");
}

// --- session view ------------------------------------------------------------------------------

export interface SessionViewOptions {
  /** CSP nonce for the inline style and script. */
  nonce: string;
  /** The webview's cspSource (for images/fonts, if any). */
  cspSource: string;
  /** Files changed at each step (from mantra/files), for the "open"/"diff" links. */
  changed: Map<number, string[]>;
  /** The step to highlight and scroll to. */
  current?: number;
  /** Steps not loaded (the session is longer than what was fetched). */
  truncatedAfter?: number;
}

const KIND_NAMES: Record<Event["kind"], string> = {
  user: "Prompt",
  assistant: "Answer",
  reasoning: "Reasoning",
  shell: "Command",
  edit: "Edit",
  tool_call: "Tool",
  tool_result: "Result",
  summary: "Summary",
  meta: "Meta",
};

function fileLinks(seq: number, paths: string[]): string {
  return paths
    .map((p) => {
      const a = escapeHtml(p);
      return (
        `<div class="file"><code>${a}</code> ` +
        `<a href="#" data-cmd="open" data-seq="${seq}" data-path="${a}">open file at this step</a> · ` +
        `<a href="#" data-cmd="diff" data-seq="${seq}" data-path="${a}">diff</a> · ` +
        `<a href="#" data-cmd="disk" data-seq="${seq}" data-path="${a}">compare with disk</a></div>`
      );
    })
    .join("");
}

function block(text: string | undefined, cls: string): string {
  return text ? `<pre class="${cls}">${escapeHtml(text)}</pre>` : "";
}

/** One step as an <li>; `project` makes paths relative. */
export function renderStep(e: Event, project: string, changed: string[] | undefined): string {
  const head =
    `<div class="head"><a class="seq" href="#step-${e.seq}">#${e.seq}</a> ` +
    `<span class="kind">${escapeHtml(KIND_NAMES[e.kind] ?? e.kind)}` +
    `${e.tool && e.kind !== "shell" && e.tool !== KIND_NAMES[e.kind] ? ` · ${escapeHtml(e.tool)}` : ""}</span>` +
    `${e.time ? ` <time datetime="${escapeHtml(e.time)}">${clockTime(e.time)}</time>` : ""}</div>`;
  let body = "";
  switch (e.kind) {
    case "shell": {
      const ok = shellOk(e);
      const status =
        e.exitCode !== undefined
          ? `<span class="exit ${ok ? "ok" : "fail"}">exit ${e.exitCode}</span>`
          : ok === false
            ? `<span class="exit fail">failed</span>`
            : "";
      const dur =
        e.durationMs !== undefined
          ? ` <span class="dur">${Math.round(e.durationMs)} ms</span>`
          : "";
      const output =
        e.stdout !== undefined || e.stderr !== undefined
          ? block(e.stdout, "stdout") + block(e.stderr, "stderr")
          : block(e.text, "stdout");
      body =
        `<pre class="command">$ ${escapeHtml(e.command ?? "")}</pre>` +
        `<div class="status">${status}${dur}${e.cwd ? ` <span class="cwd">in ${escapeHtml(e.cwd)}</span>` : ""}</div>` +
        (output
          ? `<details${ok === false ? " open" : ""}><summary>output</summary>${output}</details>`
          : "");
      break;
    }
    case "edit":
      body =
        `<div class="path">${escapeHtml(e.path ? relativeToProject(e.path, project) : "")}</div>` +
        `<details><summary>edit</summary>${block(e.text, "text")}</details>`;
      break;
    case "reasoning":
    case "tool_result":
    case "meta":
    case "summary":
      body = e.text
        ? `<details><summary>${escapeHtml(firstLine(e.text, 100))}</summary>${block(e.text, "text")}</details>`
        : "";
      break;
    case "tool_call":
      body = `<div class="path">${escapeHtml(e.path ? relativeToProject(e.path, project) : firstLine(e.text, 200))}</div>`;
      break;
    default:
      body = block(e.text, "text");
  }
  const files =
    changed && changed.length ? `<div class="files">${fileLinks(e.seq, changed)}</div>` : "";
  return `<li id="step-${e.seq}" class="step ${e.kind}" data-seq="${e.seq}">${head}${body}${files}</li>`;
}

export function renderSessionHtml(s: Session, events: Event[], o: SessionViewOptions): string {
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${o.nonce}'`,
    `script-src 'nonce-${o.nonce}'`,
    `img-src ${o.cspSource} data:`,
    `font-src ${o.cspSource}`,
  ].join("; ");
  const meta = [
    escapeHtml(s.agent + (s.model ? ` (${s.model})` : "")),
    s.project
      ? `<code>${escapeHtml(s.project)}</code>${s.branch ? ` on ${escapeHtml(s.branch)}` : ""}`
      : "",
    s.started ? `${formatTime(s.started)} – ${formatTime(s.ended)}` : "",
    `${s.events} steps`,
  ]
    .filter(Boolean)
    .join(" · ");
  const steps = events.map((e) => renderStep(e, s.project, o.changed.get(e.seq))).join("\n");
  const more =
    o.truncatedAfter !== undefined
      ? `<p class="more">Only the first ${o.truncatedAfter} steps are shown.</p>`
      : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(sessionTitle(s))}</title>
<style nonce="${o.nonce}">${STYLE}</style>
</head>
<body data-session="${escapeHtml(s.id)}">
<header><h1>${escapeHtml(sessionTitle(s))}</h1><p class="meta">${meta}</p><p class="id">${escapeHtml(s.id)}</p></header>
<ol class="steps">
${steps}
</ol>
${more}
<script nonce="${o.nonce}">${SCRIPT.replaceAll("__CURRENT__", String(o.current ?? 0))}</script>
</body>
</html>`;
}

const STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 1.5em 2em; line-height: 1.45; }
header h1 { font-size: 1.4em; margin-bottom: .2em; }
.meta, .id, .head time, .dur, .cwd { color: var(--vscode-descriptionForeground); }
.id { font-family: var(--vscode-editor-font-family); font-size: .85em; margin-top: 0; }
ol.steps { list-style: none; padding: 0; }
.step { border-left: 3px solid transparent; padding: .35em .8em; margin: .3em 0; }
.step.user { border-left-color: var(--vscode-textLink-foreground); background: var(--vscode-textBlockQuote-background); }
.step.current { outline: 1px solid var(--vscode-focusBorder); background: var(--vscode-editor-selectionHighlightBackground); }
.head { font-size: .85em; margin-bottom: .2em; }
.seq { color: var(--vscode-descriptionForeground); text-decoration: none; margin-right: .3em; }
.kind { font-weight: 600; }
pre { white-space: pre-wrap; word-break: break-word; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); margin: .2em 0; }
.step.user pre.text, .step.assistant pre.text { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
pre.command { background: var(--vscode-textCodeBlock-background); padding: .3em .5em; }
pre.stderr { color: var(--vscode-errorForeground); }
.exit { font-weight: 600; }
.exit.ok { color: var(--vscode-testing-iconPassed); }
.exit.fail { color: var(--vscode-testing-iconFailed); }
.path, .file code { font-family: var(--vscode-editor-font-family); }
.files { margin-top: .3em; }
a { color: var(--vscode-textLink-foreground); }
details summary { cursor: pointer; color: var(--vscode-descriptionForeground); }
`;

// Links post {cmd, seq, path} to the extension; the extension posts {type: "focus", seq} to move
// the highlight (replay), also in answer to {cmd: "ready"} (sent at each load).
const SCRIPT = `
const vscode = acquireVsCodeApi();
document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a[data-cmd]");
  if (!a) return;
  ev.preventDefault();
  vscode.postMessage({ cmd: a.dataset.cmd, seq: Number(a.dataset.seq), path: a.dataset.path });
});
function focusStep(seq) {
  document.querySelectorAll(".step.current").forEach((el) => el.classList.remove("current"));
  const el = document.getElementById("step-" + seq);
  if (el) { el.classList.add("current"); el.scrollIntoView({ block: "center" }); }
}
window.addEventListener("message", (ev) => { if (ev.data && ev.data.type === "focus") focusStep(ev.data.seq); });
if (__CURRENT__ > 0) focusStep(__CURRENT__);
// A hidden webview is rebuilt when shown again: ask for the step to show.
vscode.postMessage({ cmd: "ready" });
`;
