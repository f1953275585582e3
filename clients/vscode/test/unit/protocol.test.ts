// The client's types follow protocol/schema: the generated file is current, the transcripts in
// protocol/examples conform to the schemas (so the fixtures the other tests use are real
// protocol data), and every method the examples use has a typed binding in src/protocol.ts.
import Ajv2020 from "ajv/dist/2020";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as proto from "../../src/protocol";
// @ts-expect-error: a plain .mjs script without types
import { generate, outFile, schemaDir } from "../../scripts/gen-protocol.mjs";

const examplesDir = join(schemaDir, "..", "examples");
const schemaFor: Record<string, string> = {
  initialize: "initialize",
  shutdown: "shutdown",
  "mantra/sessions": "sessions",
  "mantra/session": "session",
  "mantra/search": "search",
  "mantra/event": "event",
  "mantra/status": "status",
  "mantra/reindex": "reindex",
  "mantra/files": "files",
  "mantra/fileAt": "fileAt",
  "mantra/diff": "diff",
  "mantra/origin": "origin",
  "mantra/indexProgress": "indexProgress",
  "mantra/sessionsChanged": "sessionsChanged",
  "$/cancelRequest": "cancelRequest",
};

function transcripts(): [string, { request?: any; response?: any; notification?: any }[]][] {
  const out: [string, any[]][] = [];
  for (const f of readdirSync(examplesDir)
    .filter((x) => x.endsWith(".json"))
    .sort())
    out.push([f, JSON.parse(readFileSync(join(examplesDir, f), "utf8"))]);
  return out;
}

describe("protocol types", () => {
  it("src/protocol.generated.ts is generated from the current schemas (npm run gen)", () => {
    expect(readFileSync(outFile, "utf8")).toBe(generate());
  });

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const load = (name: string) => {
    const file = join(schemaDir, `${name}.schema.json`);
    const s = JSON.parse(readFileSync(file, "utf8"));
    return ajv.getSchema(s.$id) ?? ajv.compile(s);
  };
  const exists = (name: string) => readdirSync(schemaDir).includes(`${name}.schema.json`);

  for (const [file, list] of transcripts())
    it(`examples/${file} conforms to the schemas`, () => {
      for (const t of list) {
        const msg = t.request ?? t.notification;
        const name = schemaFor[msg.method];
        // requests answered with an error are meant to be invalid (errors.json)
        if (msg.params !== undefined && !t.response?.error && name && exists(`${name}.params`)) {
          const v = load(`${name}.params`);
          expect(v(msg.params), `${file} ${msg.method} params: ${ajv.errorsText(v.errors)}`).toBe(
            true,
          );
        }
        if (t.response?.error) {
          const v = load("error");
          expect(v(t.response.error), `${file} error: ${ajv.errorsText(v.errors)}`).toBe(true);
        } else if (t.response && name && exists(`${name}.result`)) {
          const v = load(`${name}.result`);
          expect(
            v(t.response.result),
            `${file} ${msg.method} result: ${ajv.errorsText(v.errors)}`,
          ).toBe(true);
        }
      }
    });

  it("binds every method the examples use", () => {
    const bound = new Set(
      Object.values(proto).flatMap((v: any) =>
        v && typeof v.method === "string" ? [v.method] : [],
      ),
    );
    bound.add("$/cancelRequest"); // sent by vscode-jsonrpc when a token is cancelled
    for (const [, list] of transcripts())
      for (const t of list) {
        const m = (t.request ?? t.notification).method;
        if (m !== "mantra/nope") expect(bound, m).toContain(m);
      }
  });
});
