// One typed mirror of the server's methods (protocol/README.md). The param and result types are
// generated from protocol/schema/ into protocol.generated.ts; this file binds them to method
// names. Adding a method: regenerate the types (`npm run gen`), add one line here.
import { NotificationType, RequestType, RequestType0 } from "vscode-jsonrpc";
import type * as p from "./protocol.generated";

export * from "./protocol.generated";

export const initialize = new RequestType<p.InitializeParams, p.InitializeResult, void>(
  "initialize",
);
export const initialized = new NotificationType<Record<string, never>>("initialized");
export const shutdown = new RequestType0<p.ShutdownResult, void>("shutdown");
export const exit = new NotificationType<void>("exit");

export const sessions = new RequestType<p.SessionsParams, p.SessionsResult, void>(
  "mantra/sessions",
);
export const session = new RequestType<p.SessionParams, p.SessionResult, void>("mantra/session");
export const search = new RequestType<p.SearchParams, p.SearchResult, void>("mantra/search");
export const event = new RequestType<p.EventParams, p.EventResult, void>("mantra/event");
export const status = new RequestType0<p.StatusResult, void>("mantra/status");
export const reindex = new RequestType<p.ReindexParams, p.ReindexResult, void>("mantra/reindex");
export const files = new RequestType<p.FilesParams, p.FilesResult, void>("mantra/files");
export const fileAt = new RequestType<p.FileAtParams, p.FileAtResult, void>("mantra/fileAt");
export const diff = new RequestType<p.DiffParams, p.DiffResult, void>("mantra/diff");
export const origin = new RequestType<p.OriginParams, p.OriginResult, void>("mantra/origin");

export const indexProgress = new NotificationType<p.IndexProgressParams>("mantra/indexProgress");
export const sessionsChanged = new NotificationType<p.SessionsChangedParams>(
  "mantra/sessionsChanged",
);

/** Error codes (protocol/README.md, "Errors"). */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  ServerNotInitialized: -32002,
  RequestCancelled: -32800,
  NotFound: -32001,
  Ambiguous: -32003,
  DatabaseError: -32004,
} as const;

/** The event kinds, in the order the spec lists them. */
export type EventKind = p.Event["kind"];
