// The `mantra:` scheme: a file's content after a step of a session, read-only.
//   mantra://<session>/<seq>/<path>     e.g. mantra://claude:f2d6…/11/calc/cli.py
// <path> is the path the server uses (relative to the session's project when inside it, else
// absolute, giving `/11//etc/hosts`). Pure: works on URI components so it is testable without
// VS Code; uriFeatures turn them into vscode.Uri with Uri.from().

export const SCHEME = "mantra";

/** One file at one step: the state after step `seq` (0 = before the session's first step). */
export interface FileRef {
  session: string;
  seq: number;
  path: string;
}

export interface UriComponents {
  scheme: string;
  authority: string;
  path: string;
  query?: string;
  fragment?: string;
}

export function toComponents(ref: FileRef): UriComponents {
  if (!ref.session) throw new Error("mantra uri: empty session");
  if (!Number.isInteger(ref.seq) || ref.seq < 0) throw new Error(`mantra uri: bad step ${ref.seq}`);
  if (!ref.path) throw new Error("mantra uri: empty path");
  return { scheme: SCHEME, authority: ref.session, path: `/${ref.seq}/${ref.path}` };
}

/** The FileRef a mantra URI names, or undefined when it is not one. */
export function fromComponents(u: UriComponents): FileRef | undefined {
  if (u.scheme !== SCHEME || !u.authority) return undefined;
  const m = /^\/(\d+)\/(.+)$/s.exec(u.path);
  if (!m) return undefined;
  return { session: u.authority, seq: Number(m[1]), path: m[2] };
}

/** The string form, as the server builds it in fileAt's `uri` (no percent-encoding). */
export function toUriString(ref: FileRef): string {
  const c = toComponents(ref);
  return `${c.scheme}://${c.authority}${c.path}`;
}

/** Parses the string form (the server's `uri` field). Percent-escapes are decoded. */
export function parseUriString(s: string): FileRef | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]+)(\/.*)$/is.exec(s);
  if (!m) return undefined;
  try {
    return fromComponents({
      scheme: m[1].toLowerCase(),
      authority: decodeURIComponent(m[2]),
      path: decodeURIComponent(m[3]),
    });
  } catch {
    return undefined;
  }
}

/** The last segment of a path ("calc/cli.py" → "cli.py"). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts.length ? parts[parts.length - 1] : path;
}

/**
 * The path of `file` as the server names it for a session whose project is `project`: relative
 * when inside the project, else unchanged (absolute).
 */
export function relativeToProject(file: string, project: string): string {
  if (!project) return file;
  const root = project.endsWith("/") ? project : project + "/";
  return file.startsWith(root) ? file.slice(root.length) : file;
}

/** The absolute path on disk of a server path (relative to `project`, or absolute). */
export function absolutePath(path: string, project: string): string {
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)) return path;
  return project.replace(/\/+$/, "") + "/" + path;
}
