// The cluster objects the reconciler was given, indexed so a change marks only its own Service dirty.
import type { EndpointSliceLike, ServiceLike } from '../model/index.js';
import type { SliceRef } from '../core/index.js';
import { serviceKeyOfSlice } from '../core/index.js';

export class ClusterObjectStore {
  readonly #services = new Map<string, ServiceLike>();
  readonly #slices = new Map<string, EndpointSliceLike>();
  /** service key → its slices' keys */
  readonly #slicesByService = new Map<string, Set<string>>();
  readonly #dirty = new Set<string>();

  setService(key: string, service: ServiceLike | undefined): void {
    if (service) this.#services.set(key, service);
    else this.#services.delete(key);
    this.#dirty.add(key);
  }

  setSlice(key: string, slice: EndpointSliceLike | undefined): void {
    const old = this.#slices.get(key);
    const oldService = old ? serviceKeyOfSlice(old) : undefined;
    const newService = slice ? serviceKeyOfSlice(slice) : undefined;
    if (oldService !== undefined) {
      this.#slicesByService.get(oldService)?.delete(key);
      if (this.#slicesByService.get(oldService)?.size === 0) this.#slicesByService.delete(oldService);
      this.#dirty.add(oldService);
    }
    if (slice) this.#slices.set(key, slice);
    else this.#slices.delete(key);
    if (newService !== undefined) {
      let set = this.#slicesByService.get(newService);
      if (!set) this.#slicesByService.set(newService, (set = new Set()));
      set.add(key);
      this.#dirty.add(newService);
    }
  }

  service(key: string): ServiceLike | undefined {
    return this.#services.get(key);
  }

  slicesOf(serviceKey: string): SliceRef[] {
    const out: SliceRef[] = [];
    const keys = this.#slicesByService.get(serviceKey);
    if (keys === undefined) return out;
    // in key order, so the same slices give the same result; most Services have one slice
    for (const k of keys.size > 1 ? [...keys].sort() : keys) {
      const slice = this.#slices.get(k);
      if (slice) out.push({ key: k, slice });
    }
    return out;
  }

  serviceKeys(): string[] {
    return [...this.#services.keys()];
  }

  markDirty(key: string): void {
    this.#dirty.add(key);
  }

  /** Marks dirty every Service with an endpoint that carries topology hints; returns how many. */
  markHintedDirty(): number {
    let marked = 0;
    for (const slice of this.#slices.values()) {
      if (!(slice.endpoints ?? []).some((e) => e.hints !== undefined)) continue;
      const service = serviceKeyOfSlice(slice);
      if (service === undefined || this.#dirty.has(service)) continue;
      this.#dirty.add(service);
      marked++;
    }
    return marked;
  }

  markAllDirty(): void {
    for (const k of this.#services.keys()) this.#dirty.add(k);
  }

  /** Takes the Services changed since the last call. */
  takeDirty(): string[] {
    const out = [...this.#dirty];
    this.#dirty.clear();
    return out;
  }

  get hasDirty(): boolean {
    return this.#dirty.size > 0;
  }
}
