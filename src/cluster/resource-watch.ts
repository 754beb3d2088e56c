// One watched resource (Services, EndpointSlices or our Node) on a client-node ListWatch, made
// dependable: the informer stops on any error, so it is restarted here with backoff; the last
// object per key is kept so every (re)list reports only what changed, deletions included.
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { Backoff, type BackoffOptions } from './backoff.js';

export type WatchedResource = 'services' | 'endpointslices' | 'node';

/** Stable, low-cardinality reasons for the error counter. */
export type ClusterErrorReason = 'list' | 'watch' | 'expired' | 'handler';

export type LogFields = Readonly<Record<string, unknown>>;

export interface ClusterLogger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface ClusterMetrics {
  /** one call per failure seen (a failed list or watch, a 410, a handler that threw) */
  countError(resource: WatchedResource, reason: ClusterErrorReason): void;
  /** one call per list after the first (a restart or a 410 made the informer list again) */
  countRelist?(resource: WatchedResource): void;
}

export interface ResourceWatchSpec<T extends KubernetesObject> {
  readonly resource: WatchedResource;
  /** collection path, e.g. /api/v1/services */
  readonly path: string;
  /** one list request; it must end (reject) when `signal` aborts: on stop() or the list timeout */
  readonly list: (signal: AbortSignal) => Promise<KubernetesListObject<T>>;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  readonly keyOf: (object: T) => string;
  /** objects failing this are treated as absent (a label change reports a delete) */
  readonly accepts: (object: T) => boolean;
  readonly report: (key: string, object: T | undefined) => void;
  /** after every list has been reconciled and reported */
  readonly listed: () => void;
}

export interface ResourceWatchDeps {
  readonly logger: ClusterLogger;
  readonly metrics: ClusterMetrics;
  readonly backoff?: BackoffOptions | undefined;
  /** a list taking longer is abandoned and retried (a hung list would stall the informer for good) */
  readonly listTimeoutMs?: number | undefined;
}

class StoppedError extends Error {
  override readonly name = 'StoppedError';
  constructor() {
    super('watch stopped');
  }
}

/** how long stop() waits for watch requests already sent to be answered (and aborted) */
const STOP_GRACE_MS = 1000;
/** generous: a list of tens of thousands of objects from a loaded API server takes a while */
const DEFAULT_LIST_TIMEOUT_MS = 120_000;

type WatchCallback = (phase: string, apiObj: unknown, watchObj?: unknown) => void;

/**
 * client-node's Watch with three guards: it never starts a request once we are stopped (ListWatch
 * goes on to watch after a list or a reconnect delay even if stop() came meanwhile); a request in
 * flight when stop() came is aborted as soon as it is answered (ListWatch.stop() cannot reach it:
 * it only knows the request once the response headers are in); and a throw before the request
 * (e.g. credentials) becomes a `done(err)` instead of an unhandled rejection.
 */
class GuardedWatch extends Watch {
  readonly #isStopped: () => boolean;
  readonly #onEvent: (phase: string, object: unknown) => void;
  /** watch requests sent and not yet answered */
  readonly inFlight = new Set<Promise<unknown>>();

  constructor(config: KubeConfig, isStopped: () => boolean, onEvent: (phase: string, object: unknown) => void) {
    super(config);
    this.#isStopped = isStopped;
    this.#onEvent = onEvent;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: WatchCallback,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (this.#isStopped()) {
      done(new StoppedError());
      return new AbortController();
    }
    const observed: WatchCallback = (phase, apiObj, watchObj) => {
      this.#onEvent(phase, apiObj);
      callback(phase, phase === 'ERROR' || phase === 'BOOKMARK' ? apiObj : withMetadataDates(apiObj), watchObj);
    };
    const pending = super.watch(path, queryParams, observed, done);
    this.inFlight.add(pending);
    try {
      const controller = await pending;
      if (this.#isStopped()) controller.abort();
      return controller;
    } catch (err: unknown) {
      done(err);
      return new AbortController();
    } finally {
      this.inFlight.delete(pending);
    }
  }
}

/**
 * Lists and watch events arrive as raw JSON (strings for dates). Make the metadata timestamps Dates,
 * as ObjectMetaLike says; other date fields (status conditions, managedFields) stay strings.
 */
function withMetadataDates(object: unknown): unknown {
  const metadata = (object as { metadata?: Record<string, unknown> } | null)?.metadata;
  if (metadata !== undefined && metadata !== null && typeof metadata === 'object') {
    for (const field of ['creationTimestamp', 'deletionTimestamp']) {
      const value = metadata[field];
      if (typeof value === 'string') metadata[field] = new Date(value);
    }
  }
  return object;
}

/** What an error from fetch, the generated client or the watch says, for a log line. */
export function describeError(err: unknown): LogFields {
  if (!(err instanceof Error)) return { error: String(err) };
  const e = err as Error & { statusCode?: unknown; code?: unknown; cause?: unknown };
  const fields: Record<string, unknown> = { error: e.message, errorName: e.name };
  if (typeof e.statusCode === 'number') fields.status = e.statusCode;
  // the generated client's ApiException carries the HTTP status as a numeric code (DOMException's codes are < 100)
  else if (typeof e.code === 'number' && e.code >= 100) fields.status = e.code;
  else if (typeof e.code === 'string') fields.code = e.code;
  const cause = e.cause;
  if (cause instanceof Error) {
    fields.cause = cause.message;
    const code = (cause as Error & { code?: unknown }).code;
    if (typeof code === 'string') fields.code = code;
  }
  return fields;
}

export class ResourceWatch<T extends KubernetesObject> {
  readonly #spec: ResourceWatchSpec<T>;
  readonly #deps: ResourceWatchDeps;
  readonly #informer: ListWatch<T>;
  readonly #watch: GuardedWatch;
  readonly #backoff: Backoff;
  /** a run this long without failing counts as healthy: the backoff starts over */
  readonly #stableAfterMs: number;
  readonly #cache = new Map<string, T>();
  readonly #sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  #restartTimer: NodeJS.Timeout | undefined;
  /** aborted by stop(): ends list requests in flight */
  #running = new AbortController();
  #stopped = true;
  #startedAt = 0;
  #lists = 0;
  /** what failed if the informer reports an error now */
  #phase: 'list' | 'watch' = 'list';

  constructor(config: KubeConfig, spec: ResourceWatchSpec<T>, deps: ResourceWatchDeps) {
    this.#spec = spec;
    this.#deps = deps;
    this.#backoff = new Backoff(deps.backoff);
    this.#stableAfterMs = deps.backoff?.maxMs ?? 30_000;
    const watch = (this.#watch = new GuardedWatch(
      config,
      () => this.#stopped,
      (phase, object) => this.#onStreamEvent(phase, object),
    ));
    this.#informer = new ListWatch<T>(spec.path, watch, () => this.#list(), false, spec.labelSelector, spec.fieldSelector, {
      delayFn: (ms) => this.#sleep(ms),
    });
    this.#informer.on('add', (o) => this.#upsertOrDrop(o));
    this.#informer.on('update', (o) => this.#upsertOrDrop(o));
    this.#informer.on('delete', (o) => this.#remove(this.#spec.keyOf(o)));
    this.#informer.on('error', (err: unknown) => this.#failed(err));
  }

  /** Number of objects currently known (accepted ones). */
  get size(): number {
    return this.#cache.size;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#running = new AbortController();
    this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    for (const sleep of this.#sleeps) {
      clearTimeout(sleep.timer);
      sleep.resolve();
    }
    this.#sleeps.clear();
    this.#running.abort(new StoppedError());
    await this.#informer.stop();
    // a watch request sent just before stop() is aborted when its answer comes; wait for that,
    // but not for long: the request's own 30 s timeout ends it on an unresponsive server
    if (this.#watch.inFlight.size > 0) {
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#watch.inFlight]),
        new Promise<void>((resolve) => (grace = setTimeout(resolve, STOP_GRACE_MS))),
      ]);
      clearTimeout(grace);
    }
  }

  #run(): void {
    this.#startedAt = Date.now();
    this.#informer.start().catch((err: unknown) => this.#failed(err));
  }

  /** The informer gave up (it does on every error but 410): log, count, restart after a delay. */
  #failed(err: unknown): void {
    if (this.#stopped || err instanceof StoppedError) return;
    if (Date.now() - this.#startedAt >= this.#stableAfterMs) this.#backoff.reset();
    const delayMs = this.#backoff.next();
    const reason: ClusterErrorReason = this.#phase;
    this.#deps.metrics.countError(this.#spec.resource, reason);
    this.#deps.logger.warn(`${this.#spec.resource} ${reason} failed; restarting the informer`, {
      resource: this.#spec.resource,
      attempt: this.#backoff.attempt,
      retryInMs: delayMs,
      ...describeError(err),
    });
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (!this.#stopped) this.#run();
    }, delayMs);
  }

  async #list(): Promise<KubernetesListObject<T>> {
    this.#phase = 'list';
    const signal = AbortSignal.any([this.#running.signal, AbortSignal.timeout(this.#deps.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS)]);
    const list = await this.#spec.list(signal);
    for (const item of list.items) withMetadataDates(item);
    // ListWatch goes on to watch after the list even if stop() came meanwhile
    if (this.#stopped) throw new StoppedError();
    this.#phase = 'watch';
    this.#reconcile(list.items);
    return list;
  }

  /** A full list replaces what we knew: report new and changed objects, and the ones gone. */
  #reconcile(items: readonly T[]): void {
    if (this.#lists > 0) {
      this.#deps.metrics.countRelist?.(this.#spec.resource);
      this.#deps.logger.info(`${this.#spec.resource} relisted`, { resource: this.#spec.resource, objects: items.length, known: this.#cache.size });
    }
    this.#lists++;
    const present = new Set<string>();
    for (const item of items) {
      if (!this.#spec.accepts(item)) continue;
      const key = this.#spec.keyOf(item);
      present.add(key);
      this.#upsert(key, item);
    }
    for (const key of [...this.#cache.keys()]) if (!present.has(key)) this.#remove(key);
    this.#spec.listed();
  }

  #onStreamEvent(phase: string, object: unknown): void {
    if (phase === 'ERROR') {
      const status = object as { code?: unknown; message?: unknown } | null;
      const code = typeof status?.code === 'number' ? status.code : undefined;
      // 410: the informer relists by itself; anything else ends this stream and it reconnects
      this.#deps.metrics.countError(this.#spec.resource, code === 410 ? 'expired' : 'watch');
      this.#deps.logger.info(`${this.#spec.resource} watch ended by the server`, {
        resource: this.#spec.resource,
        status: code,
        message: typeof status?.message === 'string' ? status.message : undefined,
      });
      return;
    }
    // the stream delivers: the API server is fine again
    this.#backoff.reset();
  }

  #upsertOrDrop(object: T): void {
    const key = this.#spec.keyOf(object);
    if (this.#spec.accepts(object)) this.#upsert(key, object);
    else this.#remove(key);
  }

  #upsert(key: string, object: T): void {
    const known = this.#cache.get(key);
    const version = object.metadata?.resourceVersion;
    if (known !== undefined && version !== undefined && known.metadata?.resourceVersion === version) return;
    this.#cache.set(key, object);
    this.#report(key, object);
  }

  #remove(key: string): void {
    if (!this.#cache.delete(key)) return;
    this.#report(key, undefined);
  }

  #report(key: string, object: T | undefined): void {
    try {
      this.#spec.report(key, object);
    } catch (err: unknown) {
      this.#deps.metrics.countError(this.#spec.resource, 'handler');
      this.#deps.logger.error(`${this.#spec.resource} handler threw`, { resource: this.#spec.resource, key, ...describeError(err) });
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#stopped) {
        resolve();
        return;
      }
      const entry = {
        timer: setTimeout(() => {
          this.#sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.#sleeps.add(entry);
    });
  }
}
