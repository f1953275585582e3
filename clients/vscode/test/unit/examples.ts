// The protocol's example transcripts (protocol/examples/), recorded from the real server.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const examplesDir = resolve(__dirname, "../../../../protocol/examples");

export interface Step {
  request?: { method: string; params?: unknown; id?: unknown };
  response?: { result?: unknown; error?: unknown };
  notification?: { method: string; params?: unknown };
}

/** The transcript `<name>.json`. */
export function transcript(name: string): Step[] {
  const file = join(examplesDir, `${name}.json`);
  if (!existsSync(file)) throw new Error(`no example transcript ${name}.json`);
  return JSON.parse(readFileSync(file, "utf8"));
}

/** The first successful result of `method` in transcript `name`. */
export function result<T>(name: string, method: string): T {
  for (const t of transcript(name))
    if (t.request?.method === method && t.response?.result) return t.response.result as T;
  throw new Error(`no ${method} result in ${name}.json`);
}
