// The process's heap policy: the young generation held small (capYoungGeneration), and memory
// handed back after bursts. V8 sizes its young generation for throughput while work pours in
// (the initial lists, an event storm) and keeps what it grew, old-generation pages included, until a
// memory-reducing full collection, which an idle process never triggers: after 10,000 EndpointSlice
// events the bench saw RSS stay ~25% up with the heap in use flat. So the proxy collects that way
// right after its initial sync, and again once it has been quiet for a while after syncing if the
// heap holds enough free space to matter.
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
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
}

export class IdleCollector {
  readonly #options: IdleCollectorOptions;
  #timer: NodeJS.Timeout | undefined;
  #lastCollection = Number.NEGATIVE_INFINITY;

  constructor(options: IdleCollectorOptions) {
    this.#options = options;
  }

  /** Collect now (after the initial sync: the largest burst there will be). */
  collectNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastCollection = Date.now();
    this.#options.collect();
  }

  /** Work happened (a sync): the quiet period starts again. */
  activity(): void {
    clearTimeout(this.#timer);
    const wait = Math.max(this.#options.quietMs, this.#lastCollection + this.#options.minIntervalMs - Date.now());
    this.#timer = setTimeout(() => this.#maybeCollect(), wait);
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #maybeCollect(): void {
    this.#timer = undefined;
    if (this.#options.heapSlackBytes() < this.#options.minSlackBytes) return;
    this.collectNow();
  }
}

/**
 * V8's memory-reducing full collection (it also shrinks the young generation back), or undefined
 * where it cannot be had. Node exposes gc() only under --expose-gc; set at run time, the flag
 * applies to contexts created afterwards, like this one.
 */
export function fullGarbageCollection(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc !== 'function') return undefined;
    return () => void (gc as (options: object) => unknown)({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    return undefined;
  }
}

/**
 * The proxy's collector: 3 s quiet, at most every 10 s, when 4 MiB or more of the heap is free. The
 * collection function is made at the first collection, after the initial sync: the V8 context it
 * needs cost ~10 ms of the start in UML. Where it cannot be had, collecting does nothing.
 */
export function proxyIdleCollector(): IdleCollector {
  let collect: (() => void) | null | undefined; // null: looked for and not available
  return new IdleCollector({
    collect: () => {
      if (collect === undefined) collect = fullGarbageCollection() ?? null;
      collect?.();
    },
    heapSlackBytes: () => {
      const h = getHeapStatistics();
      return h.total_heap_size - h.used_heap_size;
    },
    quietMs: 3_000,
    minIntervalMs: 10_000,
    minSlackBytes: 4 * 2 ** 20,
  });
}

/**
 * Lets V8's young generation grow to about `maxBytes` and no further. Node accepts
 * --max-semi-space-size only at start-up, but V8 reads the growth factor at each growth, so after
 * each scavenge that leaves the young generation at the cap, the factor is set to 1. Measured at
 * 2000x5 in UML (cold sync, 5 alternating runs): uncapped (up to 64 MiB) 3.3 s, never grown (2 MiB)
 * 3.2 s, 8 MiB 2.8 s: a small young generation stays in pages already touched, which matters
 * where each fresh page costs a trapped fault, while one too small promotes short-lived objects.
 */
export function capYoungGeneration(maxBytes: number): void {
  const newSpaceBytes = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  const isScavenge = (entry: PerformanceEntry): boolean => (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR;
  const observer = new PerformanceObserver((list) => {
    // the next growth would pass the cap: stop growing (and stop looking)
    if (list.getEntries().some(isScavenge) && newSpaceBytes() * 2 >= maxBytes) {
      setFlagsFromString('--semi-space-growth-factor=1');
      observer.disconnect();
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}
