// Command arguments. Commands take (session, seq?, path?) from code, links and the palette, but a
// tree view's context menu passes the clicked node instead: this reads both. Pure.

export interface StepArgs {
  session?: string;
  seq?: number;
  path?: string;
}

/** The shape of the history tree's session and step nodes, as far as commands care. */
interface NodeLike {
  session?: { id?: unknown };
  event?: { seq?: unknown };
  changed?: unknown[];
}

export function stepArgs(a?: unknown, seq?: unknown, path?: unknown): StepArgs {
  if (a !== null && typeof a === "object") {
    const n = a as NodeLike;
    const first = Array.isArray(n.changed) ? n.changed[0] : undefined;
    return {
      session: typeof n.session?.id === "string" ? n.session.id : undefined,
      seq: typeof n.event?.seq === "number" ? n.event.seq : undefined,
      path: typeof first === "string" ? first : undefined,
    };
  }
  return {
    session: typeof a === "string" && a ? a : undefined,
    seq: typeof seq === "number" && Number.isInteger(seq) && seq >= 0 ? seq : undefined,
    path: typeof path === "string" && path ? path : undefined,
  };
}
