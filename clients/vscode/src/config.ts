// The extension's settings (package.json "contributes.configuration") and how they become the
// server's command line. Pure: the vscode side reads the values and passes them in.
import * as os from "node:os";

export interface Settings {
  serverPath: string;
  databasePath: string;
  hoverEnabled: boolean;
  extraSources: string[];
  redactPatterns: string[];
  backgroundIndex: boolean;
  trace: "off" | "messages" | "verbose";
}

export const defaults: Settings = {
  serverPath: "mantra",
  databasePath: "",
  hoverEnabled: true,
  extraSources: [],
  redactPatterns: [],
  backgroundIndex: true,
  trace: "off",
};

/** Settings whose change needs the server restarted. */
export const restartKeys = [
  "mantra.serverPath",
  "mantra.databasePath",
  "mantra.redact.patterns",
  "mantra.index.background",
  "mantra.trace.server",
];

/** `~/x` → `$HOME/x`. */
export function expandHome(p: string, home = os.homedir()): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return home + p.slice(1);
  return p;
}

/** The arguments after `mantra serve`. */
export function serverArgs(s: Pick<Settings, "databasePath" | "redactPatterns">): string[] {
  const args: string[] = [];
  if (s.databasePath.trim()) args.push("--db", expandHome(s.databasePath.trim()));
  // --name=value keeps a pattern that starts with "-" a value.
  for (const p of s.redactPatterns) if (p) args.push(`--redact-pattern=${p}`);
  return args;
}
