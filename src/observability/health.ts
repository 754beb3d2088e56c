// Proxy health as kube-proxy defines it: healthy unless a queued change has waited longer than the
// health timeout (2 × sync period) without a successful sync; node eligibility for /healthz.
import type { NodeLike } from '../model/index.js';

/** Epoch milliseconds; injected so tests drive time by hand. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface HealthStatus {
  readonly healthy: boolean;
  /** epoch ms of the last successful sync (0 = none yet) */
  readonly lastUpdatedMs: number;
  /** a sync has succeeded since the start: the kernel holds what the initial lists asked for */
  readonly synced: boolean;
  readonly currentMs: number;
}

export class HealthTracker {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  #oldestPendingMs: number | undefined;
  #lastUpdatedMs = 0;

  /** healthTimeoutMs: kube-proxy uses 2 × the sync period */
  constructor(healthTimeoutMs: number, clock: Clock = systemClock) {
    this.#timeoutMs = healthTimeoutMs;
    this.#clock = clock;
  }

  /**
   * A change is waiting for a sync. Only the oldest pending change counts, so a stream of changes
   * cannot keep a stuck proxy looking healthy.
   */
  queuedUpdate(): void {
    this.#oldestPendingMs ??= this.#clock.now();
  }

  /** A sync succeeded: everything queued before it is applied. */
  updated(): void {
    this.#lastUpdatedMs = this.#clock.now();
    this.#oldestPendingMs = undefined;
  }

  status(): HealthStatus {
    const currentMs = this.#clock.now();
    const healthy = this.#oldestPendingMs === undefined || currentMs - this.#oldestPendingMs <= this.#timeoutMs;
    return { healthy, lastUpdatedMs: this.#lastUpdatedMs, synced: this.#lastUpdatedMs > 0, currentMs };
  }
}

/** Taint the cluster autoscaler puts on a node it is about to delete. */
export const TO_BE_DELETED_TAINT = 'ToBeDeletedByClusterAutoscaler';

/**
 * Whether load balancers should keep sending traffic to this node: not when the Node is being
 * deleted or the autoscaler has marked it for deletion. An unknown Node is eligible.
 */
export function nodeEligible(node: NodeLike | undefined): boolean {
  if (node === undefined) return true;
  if (node.metadata?.deletionTimestamp !== undefined) return false;
  return !(node.spec?.taints ?? []).some((t) => t.key === TO_BE_DELETED_TAINT);
}
