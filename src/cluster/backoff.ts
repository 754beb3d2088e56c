// Restart delays for a failed watch: exponential, capped, jittered, so a sick API server is not
// hammered by every node at once (client-node issues #795, #1933).

export interface BackoffOptions {
  /** first delay, ms (default 500) */
  readonly initialMs?: number;
  /** cap, ms (default 30,000) */
  readonly maxMs?: number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.#initialMs = Math.max(1, options.initialMs ?? 500);
    this.#maxMs = Math.max(this.#initialMs, options.maxMs ?? 30_000);
    this.#random = random;
  }

  get attempt(): number {
    return this.#attempt;
  }

  /** The next delay: the ceiling doubles per attempt up to the cap; the delay is in [ceiling/2, ceiling]. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
