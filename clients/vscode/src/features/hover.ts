// Hover on a workspace file's line: the prompt that produced it (mantra/origin), its agent and
// time, and links to the session at that step and to its diff. Off with mantra.hover.enabled.
// Never in the way: answers are cached per document version and line, a moved pointer cancels
// the request (VS Code cancels the token), and a server without mantra/origin is not asked
// (nor is one that answered MethodNotFound) — silently, one line in the output channel.
import * as vscode from "vscode";
import { errorCode, errorMessage, isCancelled } from "../client";
import { Ctx } from "../ctx";
import * as proto from "../protocol";
import { originContext, originMarkdown } from "../render";

const CACHE_LINES = 500;

export class OriginHover implements vscode.HoverProvider {
  /** uri → {version, line → answer}. */
  private readonly cache = new Map<
    string,
    { version: number; lines: Map<number, proto.OriginResult | null> }
  >();
  private unsupported = false;
  private loggedError = "";

  constructor(private readonly ctx: Ctx) {
    ctx.subscriptions.push(
      vscode.languages.registerHoverProvider({ scheme: "file" }, this),
      vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString())),
      ctx.onSessionsChanged(() => this.cache.clear()),
      ctx.client.onDidChangeState((s) => {
        if (s.kind === "running") {
          this.unsupported = false;
          this.cache.clear();
          if (!s.info.capabilities.methods.includes(proto.origin.method))
            ctx.output.info("this server has no mantra/origin: the hover is off");
        }
      }),
    );
  }

  async provideHover(
    doc: vscode.TextDocument,
    pos: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    if (!this.ctx.settings().hoverEnabled || this.unsupported) return undefined;
    if (!this.ctx.client.has(proto.origin.method)) return undefined;
    const key = doc.uri.toString();
    let entry = this.cache.get(key);
    if (!entry || entry.version !== doc.version) {
      entry = { version: doc.version, lines: new Map() };
      this.cache.set(key, entry);
    }
    let r = entry.lines.get(pos.line);
    if (r === undefined) {
      try {
        r = await this.ctx.client.request(
          proto.origin,
          {
            path: doc.uri.fsPath,
            line: pos.line + 1,
            text: doc.lineAt(pos.line).text,
            ...originContext((i) => doc.lineAt(i).text, doc.lineCount, pos.line),
          },
          token,
        );
      } catch (e) {
        if (isCancelled(e)) return undefined;
        if (errorCode(e) === proto.ErrorCode.MethodNotFound) {
          this.unsupported = true;
          this.ctx.output.info(
            "mantra/origin: not implemented by this server; the hover is off until it restarts",
          );
        } else if (errorMessage(e) !== this.loggedError) {
          this.loggedError = errorMessage(e); // log each distinct failure once, never a popup
          this.ctx.output.warn(`mantra/origin: ${this.loggedError}`);
        }
        return undefined;
      }
      if (entry.lines.size >= CACHE_LINES) entry.lines.clear();
      entry.lines.set(pos.line, r ?? null);
    }
    if (!r || !r.origin || token.isCancellationRequested) return undefined;
    const md = new vscode.MarkdownString(
      originMarkdown(r.origin, r.candidates.length, doc.uri.fsPath),
    );
    md.isTrusted = { enabledCommands: ["mantra.openSession", "mantra.diffStep"] };
    return new vscode.Hover(md, doc.lineAt(pos.line).range);
  }
}
