// Drives the extension in a real VS Code (code-server) through its UI with playwright-core and
// Debian's chromium. Run by scripts/e2e.sh, which prepares everything and passes:
//   E2E_CODE_SERVER, E2E_VSIX, E2E_MANTRA, E2E_DB, E2E_WORKSPACE, E2E_SESSION, E2E_TMP,
//   E2E_ARTIFACTS (screenshots and logs of failed checks).
// Each check is independent where it can be; a failed one leaves a screenshot and the run goes
// on. Ends with "N passed, N failed, N skipped" and exits 1 when any failed.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { chromium } from "playwright-core";
import * as rpc from "vscode-jsonrpc/node.js";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (run scripts/e2e.sh)`);
  return v;
};
const codeServer = env("E2E_CODE_SERVER");
const vsix = env("E2E_VSIX");
const mantra = env("E2E_MANTRA");
const db = env("E2E_DB");
const workspace = env("E2E_WORKSPACE");
const session = env("E2E_SESSION");
const tmp = env("E2E_TMP");
const artifacts = env("E2E_ARTIFACTS");
const TITLE = "add a --verbose flag to the calc CLI and a test for it";

const t0 = Date.now();
const log = (m) => console.error(`e2e: [${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- helpers: processes ---------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** The methods `mantra serve` lists in its capabilities. */
async function serverMethods() {
  const p = spawn(mantra, ["serve", "--db", db], { stdio: ["pipe", "pipe", "ignore"] });
  const conn = rpc.createMessageConnection(
    new rpc.StreamMessageReader(p.stdout),
    new rpc.StreamMessageWriter(p.stdin),
  );
  conn.listen();
  try {
    const r = await conn.sendRequest("initialize", {
      clientInfo: { name: "e2e" },
      initializationOptions: { backgroundIndex: false },
    });
    await conn.sendRequest("shutdown");
    await conn.sendNotification("exit");
    return r.capabilities.methods;
  } finally {
    conn.dispose();
    p.kill();
  }
}

function mantraCli(...args) {
  const r = spawnSync(mantra, [...args.slice(0, 1), "--db", db, ...args.slice(1)], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`mantra ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function startCodeServer() {
  const ext = join(tmp, "extensions");
  const user = join(tmp, "user-data");
  const xdg = join(tmp, "xdg-config");
  for (const d of [ext, join(user, "User"), xdg]) mkdirSync(d, { recursive: true });
  writeFileSync(
    join(user, "User", "settings.json"),
    JSON.stringify(
      {
        "mantra.serverPath": mantra,
        "mantra.databasePath": db,
        "mantra.index.background": false,
        "mantra.trace.server": "messages",
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": false,
        "workbench.enableExperiments": false,
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "extensions.ignoreRecommendations": true,
        "extensions.autoCheckUpdates": false,
        "extensions.autoUpdate": false,
        "security.workspace.trust.enabled": false,
        "editor.hover.delay": 300,
        "window.commandCenter": false,
        "chat.commandCenter.enabled": false,
      },
      null,
      2,
    ),
  );
  // HOME is the fixture's home: "Reindex" (the agents' default folders) reads it, not the machine's.
  const childEnv = {
    ...process.env,
    HOME: join(tmp, "home"),
    XDG_CONFIG_HOME: xdg,
    XDG_DATA_HOME: join(tmp, "xdg-data"),
    MANTRA_DB: db,
  };
  const common = ["--extensions-dir", ext, "--user-data-dir", user];
  const inst = spawnSync(codeServer, [...common, "--install-extension", vsix], {
    encoding: "utf8",
    env: childEnv,
  });
  if (inst.status !== 0)
    throw new Error(`--install-extension failed: ${inst.stdout}${inst.stderr}`);
  const port = await freePort();
  const args = [
    "--bind-addr",
    `127.0.0.1:${port}`,
    "--auth",
    "none",
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--disable-getting-started-override",
    ...common,
    workspace,
  ];
  const proc = spawn(codeServer, args, {
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { proc, url, user, output: () => output };
    } catch {}
    if (proc.exitCode !== null) break;
    await sleep(200);
  }
  throw new Error(`code-server did not start:\n${output}`);
}

// --- helpers: the VS Code UI ------------------------------------------------------------------

const quickInput = (page) => page.locator(".quick-input-widget input.input:visible").first();
const quickRows = (page) => page.locator(".quick-input-widget .quick-input-list .monaco-list-row");
const quickRow = (page, text) => quickRows(page).filter({ hasText: text }).first();

/** Runs a palette command by its title; retries while the extension's commands are not there yet. */
async function runCommand(page, title, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    await openPalette(page, attempt);
    const input = quickInput(page);
    await input.fill(`>${title}`);
    const row = quickRows(page)
      .filter({ has: page.locator(".label-name", { hasText: new RegExp(`^${escapeRe(title)}$`) }) })
      .first();
    try {
      await row.waitFor({ timeout: 2000 });
      await page.keyboard.press("Enter");
      return;
    } catch (e) {
      if (Date.now() > end) throw new Error(`command "${title}" not in the palette`);
    }
  }
}

/** F1; when a webview has the focus and swallows the key, click the title bar first. */
async function openPalette(page, attempt = 0) {
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press("Escape");
    if (attempt + i > 0)
      await page
        .locator(".part.titlebar")
        .first()
        .click({ timeout: 2000 })
        .catch(() => undefined);
    await page.keyboard.press("F1");
    try {
      await quickInput(page).waitFor({ timeout: 2500 });
      return;
    } catch {}
  }
  throw new Error("the command palette does not open");
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The text of the active editor (its rendered lines; spaces come as U+00A0). */
async function activeEditorText(page) {
  const editor = page
    .locator(".editor-group-container.active .editor-instance .monaco-editor")
    .first();
  await editor.locator(".view-lines .view-line").first().waitFor();
  await sleep(300); // let it finish painting
  const lines = await editor.locator(".view-lines .view-line").evaluateAll((els) =>
    els
      .map((el) => ({ top: parseFloat(el.style.top) || 0, text: el.textContent ?? "" }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text),
  );
  return lines.join("\n").replace(/\u00a0/g, " ");
}

function tab(page, text) {
  return page.locator(".tabs-container .tab", { hasText: text }).first();
}

async function errorToasts(page) {
  return page
    .locator(".notifications-toasts .notification-toast")
    .filter({ hasText: "Mantra" })
    .filter({ has: page.locator(".codicon-error") })
    .allTextContents();
}

// --- checks -----------------------------------------------------------------------------------

const results = [];
async function check(page, name, fn) {
  const started = Date.now();
  try {
    const r = await fn();
    if (r && r.skip) {
      results.push({ name, status: "skipped", note: r.skip });
      log(`SKIP ${name}: ${r.skip}`);
    } else {
      results.push({ name, status: "passed" });
      log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    }
    if (process.env.E2E_SCREENSHOTS) await shot(page, `ok-${name}`);
  } catch (e) {
    results.push({ name, status: "failed", error: e });
    log(`FAIL ${name}: ${e.message.split("\n")[0]}`);
    log(`     screenshot: ${await shot(page, name)}`);
    await page.keyboard.press("Escape").catch(() => undefined);
  }
}

async function shot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  const file = join(artifacts, `${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.png`);
  await page.screenshot({ path: file }).catch(() => undefined);
  return file;
}

/** The session view's document (a webview: an iframe inside an iframe), once it shows `selector`. */
async function webviewFrame(page, selector, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames())
      if (
        (await f
          .locator(`body[data-session] ${selector}`)
          .count()
          .catch(() => 0)) > 0
      )
        return f;
    if (Date.now() > end) throw new Error(`no session view shows ${selector}`);
    await sleep(250);
  }
}

async function main() {
  const methods = await serverMethods();
  log(`server methods: ${methods.join(", ")}`);
  const cs = await startCodeServer();
  log(`code-server at ${cs.url}`);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox"],
    headless: true,
  });
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  try {
    await page.goto(`${cs.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: 60000 });
    log("workbench loaded");

    await check(page, "the status bar shows the database's sessions", async () => {
      await page
        .locator(".statusbar-item", { hasText: "2 sessions" })
        .first()
        .waitFor({ timeout: 30000 });
    });

    await check(page, "the history panel lists the workspace's sessions", async () => {
      await page.locator('.activitybar .action-item a[aria-label^="Mantra"]').first().click();
      const row = page.locator(".pane-body .monaco-list-row", { hasText: TITLE }).first();
      await row.waitFor({ timeout: 15000 });
      const rows = await page
        .locator(
          '.pane-body .monaco-list[aria-label*="History"] .monaco-list-row, .pane-body .monaco-list-row',
        )
        .allTextContents();
      const text = rows.join("\n");
      if (!/claude/.test(text)) throw new Error(`the claude session is not listed:\n${text}`);
      if (/codex/.test(text)) throw new Error(`a session of another project is listed:\n${text}`);
      if (!/(Today|Yesterday|\w{3} \d+ \w{3} \d{4})/.test(text))
        throw new Error(`no day group:\n${text}`);
    });

    await check(page, "Find Session finds a session by a word of its prompt", async () => {
      await runCommand(page, "Mantra: Find Session");
      await quickInput(page).waitFor();
      await page.keyboard.type("operations", { delay: 30 });
      const row = quickRow(page, "#21 user");
      await row.waitFor({ timeout: 10000 });
      const text = await row.textContent();
      if (!text.includes(TITLE) || !text.includes("claude"))
        throw new Error(`unexpected row: ${text}`);
      if (process.env.E2E_SCREENSHOTS) await shot(page, "find-session-quick-pick");
      await page.keyboard.press("Enter");
      await tab(page, "add a --verbose flag to the calc CLI").waitFor({ timeout: 10000 });
      // The session view (a webview, inside iframes) shows the conversation.
      const frame = await webviewFrame(page, "#step-21");
      const step = await frame.locator("#step-21").textContent();
      if (!step.includes("rename ops.py")) throw new Error(`step 21 shows: ${step}`);
    });

    await check(page, "Open File at Step shows exactly what `mantra file` prints", async () => {
      const expected = mantraCli("file", session, "11", "calc/cli.py");
      await runCommand(page, "Mantra: Open File at Step…");
      await quickRow(page, TITLE).waitFor({ timeout: 10000 });
      await quickInput(page).fill("claude");
      await quickRow(page, "claude").click();
      await quickRow(page, "calc/cli.py").waitFor({ timeout: 10000 });
      await quickInput(page).fill("calc/cli.py");
      await quickRow(page, "calc/cli.py").click();
      await quickRow(page, "after step 11").waitFor({ timeout: 10000 });
      await quickRow(page, "after step 11").click();
      await tab(page, "cli.py").waitFor({ timeout: 10000 });
      await page
        .locator(".statusbar-item", { hasText: /^Python$/ })
        .first()
        .waitFor({ timeout: 5000 }); // language mode
      const shown = await activeEditorText(page);
      if (shown !== expected)
        throw new Error(
          `editor text differs from mantra file:\n--- shown\n${shown}\n--- expected\n${expected}`,
        );
    });

    await check(page, "the diff editor opens from a step in the history panel", async () => {
      const sessionRow = page.locator(".pane-body .monaco-list-row", { hasText: TITLE }).first();
      await sessionRow.click();
      const step = page
        .locator(".pane-body .monaco-list-row", { hasText: "#11" })
        .filter({ hasText: "calc/cli.py" })
        .first();
      await step.waitFor({ timeout: 10000 });
      await step.click();
      await tab(page, "cli.py (step 10 ↔ 11)").waitFor({ timeout: 10000 });
      await page
        .locator(".editor-group-container.active .monaco-diff-editor")
        .first()
        .waitFor({ timeout: 10000 });
      const label = await tab(page, "cli.py (step 10 ↔ 11)").textContent();
      if (!label.includes(TITLE.slice(0, 20)))
        throw new Error(`diff title lacks the session title: ${label}`);
      // the right side shows the new line of step 11
      const added = page.locator(
        ".editor-group-container.active .monaco-diff-editor .modified .view-line",
        { hasText: "if args.verbose:" },
      );
      await added.first().waitFor({ timeout: 10000 });
    });

    await check(
      page,
      "the session view's links open the file at a step and the step's diff",
      async () => {
        await page.keyboard.press("Escape");
        await runCommand(page, "View: Close All Editors");
        await runCommand(page, "Mantra: Find Session");
        await quickInput(page).waitFor();
        await page.keyboard.type("verbose", { delay: 20 });
        await quickRow(page, "claude").waitFor({ timeout: 10000 });
        await page.keyboard.press("Enter");
        const frame = await webviewFrame(page, '#step-17 a[data-cmd="diff"]');
        await frame.locator('#step-17 a[data-cmd="diff"]').click();
        await tab(page, "cli.py (step 16 ↔ 17)").waitFor({ timeout: 10000 });
        await frame.locator('#step-13 a[data-cmd="open"]').click();
        await tab(page, "test_cli.py").waitFor({ timeout: 10000 });
        const shown = await activeEditorText(page);
        const expected = mantraCli("file", session, "13", "tests/test_cli.py");
        if (shown !== expected)
          throw new Error(
            `editor text differs from mantra file:\n--- shown\n${shown}\n--- expected\n${expected}`,
          );
      },
    );

    await check(page, "Replay moves the session view and the diff", async () => {
      await page.keyboard.press("Escape");
      await runCommand(page, "Mantra: Replay Session");
      await quickRow(page, TITLE).waitFor({ timeout: 10000 });
      await quickInput(page).fill("claude");
      await quickRow(page, "claude").click();
      await page
        .locator(".statusbar-item", { hasText: /1\/\d+ · add a --verbose/ })
        .first()
        .waitFor({ timeout: 10000 });
      await webviewFrame(page, "#step-1.current");
      await page.keyboard.press("Alt+BracketRight");
      await tab(page, "cli.py (step 8 ↔ 9)").waitFor({ timeout: 10000 });
      await page.keyboard.press("Alt+BracketRight");
      await tab(page, "cli.py (step 10 ↔ 11)").waitFor({ timeout: 10000 });
      await webviewFrame(page, "#step-11.current");
      await page.keyboard.press("Alt+BracketLeft");
      await webviewFrame(page, "#step-9.current");
      await page
        .locator(".statusbar-item", { hasText: /2\/\d+ · Edit calc\/cli\.py/ })
        .first()
        .waitFor({ timeout: 5000 });
      await runCommand(page, "Mantra: Replay: Stop");
    });

    await check(page, "a hover over an agent-written line shows its prompt", async () => {
      await openPalette(page, 1);
      await quickInput(page).fill("calc/cli.py"); // without ">": Go to File
      await quickRow(page, "cli.py").waitFor({ timeout: 10000 });
      await page.keyboard.press("Enter");
      const line = page
        .locator(".editor-group-container.active .monaco-editor .view-line", {
          hasText: '"--verbose", action="store_true"',
        })
        .first();
      await line.waitFor({ timeout: 10000 });
      await line.locator("span span").nth(2).hover();
      if (!methods.includes("mantra/origin"))
        throw new Error("the server does not list mantra/origin");
      const hover = page.locator(".monaco-hover", { hasText: TITLE }).first();
      await hover.waitFor({ timeout: 10000 });
      const text = await hover.textContent();
      if (!text.includes("claude")) throw new Error(`hover lacks the agent: ${text}`);
    });

    await check(page, "Show History for This File lists the steps that changed it", async () => {
      await page.keyboard.press("Escape");
      await page
        .locator(".editor-group-container.active .monaco-editor .view-line")
        .first()
        .click();
      await runCommand(page, "Mantra: Show History for This File");
      for (const seq of [9, 11, 17, 32])
        await quickRow(page, `step ${seq} `).waitFor({ timeout: 10000 });
      await quickInput(page).fill("step 32");
      await quickRow(page, "step 32").click();
      await tab(page, "cli.py (step 31 ↔ 32)").waitFor({ timeout: 10000 });
    });

    await check(page, "Reindex and Show Status report the database", async () => {
      await page.keyboard.press("Escape");
      await runCommand(page, "Mantra: Reindex");
      await page
        .locator(".notification-toast", { hasText: /Mantra: 2 sessions, 80 steps \(0 new\)/ })
        .first()
        .waitFor({ timeout: 20000 });
      await runCommand(page, "Mantra: Show Status");
      await page
        .locator(".notification-toast", {
          hasText: /Mantra: 2 sessions, 80 steps \((claude 1, codex 1|codex 1, claude 1)\)/,
        })
        .first()
        .waitFor({ timeout: 10000 });
    });

    await check(page, "no error notification from Mantra", async () => {
      // Toasts hide after a while: read the notification center, which keeps them all.
      await page.keyboard.press("Escape");
      await runCommand(page, "Notifications: Show Notifications");
      await sleep(500);
      const items = await page
        .locator(".notifications-center .notification-list-item")
        .filter({ hasText: "Mantra" })
        .filter({ has: page.locator(".codicon-error") })
        .allTextContents();
      if (items.length) throw new Error(items.join(" | "));
    });
  } finally {
    if (results.some((r) => r.status === "failed")) {
      mkdirSync(artifacts, { recursive: true });
      for (const f of findFiles(cs.user, "Mantra.log")) cpSync(f, join(artifacts, "Mantra.log"));
      writeFileSync(join(artifacts, "code-server.log"), cs.output());
      log(`logs in ${artifacts}`);
    }
    await browser.close().catch(() => undefined);
    try {
      process.kill(-cs.proc.pid, "SIGTERM");
    } catch {}
  }
}

function findFiles(dir, name) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...findFiles(p, name));
    else if (e === name) out.push(p);
  }
  return out;
}

try {
  await main();
} catch (e) {
  results.push({ name: "setup", status: "failed", error: e });
  log(`FAIL setup: ${e.stack ?? e}`);
}
for (const r of results.filter((r) => r.status === "failed"))
  console.error(`\n--- ${r.name}\n${r.error?.stack ?? r.error}`);
const n = (s) => results.filter((r) => r.status === s).length;
log(`finished in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
console.log(`${n("passed")} passed, ${n("failed")} failed, ${n("skipped")} skipped`);
process.exit(n("failed") ? 1 : 0);
