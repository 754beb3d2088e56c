// Hands memory back after bursts. V8 keeps the old-generation pages a burst of work grew (after
// 10,000 EndpointSlice events the bench saw RSS stay ~25% up with the heap in use flat) until a full
// collection, which an idle process never triggers. So once the proxy has been quiet for a while
// after syncing, and the heap holds enough free space to matter, it collects once.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleCollectorOptions {
  /** a full garbage collection */
  readonly collect: () => void;
  /** free bytes in the heap (committed minus in use) */
  readonly heapSlackBytes: () => number;
  /** quiet time after the last activity before collecting */
  readonly quietMs: number;
  /** at most one collection per this many ms */
  readonly minIntervalMs: number;
  /** collect only when the heap has at least this much free space */
  readonly minSlackBytes: number;
  readonly now?: () => number;
}

export class IdleCollector {
  readonly #options: IdleCollectorOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #lastCollection = Number.NEGATIVE_INFINITY;
  #collections = 0;

  constructor(options: IdleCollectorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Work happened (a sync): the quiet period starts again. */
  activity(): void {
    clearTimeout(this.#timer);
    const wait = Math.max(this.#options.quietMs, this.#lastCollection + this.#options.minIntervalMs - this.#now());
    this.#timer = setTimeout(() => this.#maybeCollect(), wait);
    this.#timer.unref();
  }

  get collections(): number {
    return this.#collections;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #maybeCollect(): void {
    this.#timer = undefined;
    if (this.#options.heapSlackBytes() < this.#options.minSlackBytes) return;
    this.#lastCollection = this.#now();
    this.#collections++;
    this.#options.collect();
  }
}

/**
 * V8's full collection, or undefined where it cannot be had. Node exposes gc() only under
 * --expose-gc; set at run time, the flag applies to contexts created afterwards, like this one.
 */
export function fullGarbageCollection(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? () => void (gc as () => unknown)() : undefined;
  } catch {
    return undefined;
  }
}

/** The proxy's collector: 3 s quiet, at most every 10 s, when 4 MiB or more of the heap is free. */
export function proxyIdleCollector(): IdleCollector | undefined {
  const collect = fullGarbageCollection();
  if (collect === undefined) return undefined;
  return new IdleCollector({
    collect,
    heapSlackBytes: () => {
      const h = getHeapStatistics();
      return h.total_heap_size - h.used_heap_size;
    },
    quietMs: 3_000,
    minIntervalMs: 10_000,
    minSlackBytes: 4 * 2 ** 20,
  });
}
