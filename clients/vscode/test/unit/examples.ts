// The protocol's example transcripts (protocol/examples/, and examples/specified/ for methods
// specified before the server serves them; a file moves from the latter to the former when the
// server catches up). Read from wherever the transcript is now.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const examplesDir = resolve(__dirname, "../../../../protocol/examples");

export interface Step {
  request?: { method: string; params?: unknown; id?: unknown };
  response?: { result?: unknown; error?: unknown };
  notification?: { method: string; params?: unknown };
}

/** The transcript `<name>.json`, from examples/ or examples/specified/. */
export function transcript(name: string): Step[] {
  for (const dir of [examplesDir, join(examplesDir, "specified")]) {
    const file = join(dir, `${name}.json`);
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8"));
  }
  throw new Error(`no example transcript ${name}.json`);
}

/** The first successful result of `method` in transcript `name`. */
export function result<T>(name: string, method: string): T {
  for (const t of transcript(name))
    if (t.request?.method === method && t.response?.result) return t.response.result as T;
  throw new Error(`no ${method} result in ${name}.json`);
}
