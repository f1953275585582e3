// When to restart a crashed server. Pure: the caller passes the clock.

export interface BackoffOptions {
  /** First delay, doubled at each crash inside the window. */
  initialMs: number;
  maxMs: number;
  /** More than `maxCrashes` crashes within `windowMs` and we give up. */
  maxCrashes: number;
  windowMs: number;
}

export const defaultBackoff: BackoffOptions = {
  initialMs: 500,
  maxMs: 30_000,
  maxCrashes: 5,
  windowMs: 3 * 60_000,
};

export class Backoff {
  private crashes: number[] = [];

  constructor(private readonly o: BackoffOptions = defaultBackoff) {}

  /** Records a crash at `now`; returns the delay before the next start, or undefined to give up. */
  crashed(now: number): number | undefined {
    this.crashes = this.crashes.filter((t) => now - t < this.o.windowMs);
    this.crashes.push(now);
    if (this.crashes.length > this.o.maxCrashes) return undefined;
    return Math.min(this.o.maxMs, this.o.initialMs * 2 ** (this.crashes.length - 1));
  }

  /** Forgets past crashes (after a manual restart). */
  reset(): void {
    this.crashes = [];
  }
}
