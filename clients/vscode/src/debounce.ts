// Search-as-you-type plumbing: wait until typing pauses, then run the query, cancelling the one
// before it (its token is cancelled, which makes vscode-jsonrpc send $/cancelRequest). Pure:
// no vscode import; timers are injectable for tests.
import { CancellationToken, CancellationTokenSource } from "vscode-jsonrpc";

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** What schedule() resolves to: the result, or "superseded" when a newer call replaced it. */
export type Outcome<T> = { kind: "done"; value: T } | { kind: "superseded" };

/**
 * Runs the latest of a stream of inputs, `delayMs` after the last one. Each schedule() call
 * supersedes the previous one: a pending timer is dropped and a running request's token is
 * cancelled, and the superseded promise resolves to {kind: "superseded"} at once. Errors of the
 * latest request reject its promise; errors of a superseded one are swallowed.
 */
export class LatestOnly<I, T> {
  private timer: unknown;
  private source?: CancellationTokenSource;
  private pending?: (o: Outcome<T>) => void;
  private generation = 0;

  constructor(
    private readonly delayMs: number,
    private readonly run: (input: I, token: CancellationToken) => Promise<T>,
    private readonly timers: Timers = realTimers,
  ) {}

  schedule(input: I, delayMs = this.delayMs): Promise<Outcome<T>> {
    this.supersede();
    const gen = ++this.generation;
    return new Promise<Outcome<T>>((resolve, reject) => {
      this.pending = resolve;
      const fire = () => {
        this.timer = undefined;
        const source = new CancellationTokenSource();
        this.source = source;
        let p: Promise<T>;
        try {
          p = this.run(input, source.token);
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(
          (value) => {
            if (gen !== this.generation) return;
            this.finish();
            resolve({ kind: "done", value });
          },
          (err) => {
            if (gen !== this.generation) return;
            this.finish();
            reject(err);
          },
        );
      };
      if (delayMs <= 0) fire();
      else this.timer = this.timers.setTimeout(fire, delayMs);
    });
  }

  /** Drops the pending input and cancels the running request, if any. */
  cancel(): void {
    this.supersede();
    this.generation++;
  }

  private supersede(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.source) {
      this.source.cancel();
      this.source.dispose();
      this.source = undefined;
    }
    const pending = this.pending;
    this.pending = undefined;
    pending?.({ kind: "superseded" });
  }

  private finish(): void {
    this.source?.dispose();
    this.source = undefined;
    this.pending = undefined;
  }
}
