// A clock whose time moves only when a test says so; due timers run in time order.
import type { Clock } from '../../../src/proxier/index.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

export class ManualClock implements Clock {
  #now = 1_000_000;
  #nextId = 1;
  #timers: Timer[] = [];

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    // as Node's timers: a delay that is not a finite 32-bit millisecond count becomes 1 ms
    const delay = Number.isFinite(ms) && ms <= 2 ** 31 - 1 ? Math.max(0, ms) : 1;
    const t = { id: this.#nextId++, at: this.#now + delay, callback };
    this.#timers.push(t);
    return t.id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time to the next due timer (within `ms`) and fires it; false when none is due. */
  step(ms: number): boolean {
    const limit = this.#now + ms;
    const next = [...this.#timers].sort((a, b) => a.at - b.at || a.id - b.id)[0];
    if (!next || next.at > limit) {
      return false;
    }
    this.#timers = this.#timers.filter((t) => t !== next);
    this.#now = Math.max(this.#now, next.at);
    next.callback();
    return true;
  }

  /** Moves time forward to `now + ms` without firing anything. */
  jump(ms: number): void {
    this.#now += ms;
  }
}
