// What a full sync read from the kernel, set against what the proxy believed it held before and
// what the sync left there: addresses changed behind the proxy's back (drift), and what it removed.
import type { MutableIpvsState } from '../core/index.js';
import type { VirtualServerKey } from '../model/index.js';

export interface Removed {
  readonly virtualServers: number;
  readonly addresses: number;
}

export class KernelTally {
  readonly #believedAddresses: ReadonlySet<string>;
  readonly #foundAddresses: ReadonlySet<string>;
  readonly #foundVirtualServers: ReadonlySet<VirtualServerKey>;

  /** `believed`: the shadow copy before the read; `found`: what the read returned. */
  constructor(believed: MutableIpvsState, found: MutableIpvsState) {
    this.#believedAddresses = new Set(believed.addresses.keys());
    this.#foundAddresses = new Set(found.addresses.keys());
    this.#foundVirtualServers = new Set(found.virtualServers.keys());
  }

  /** Found in the kernel and gone after the sync: what it removed, not what it planned to. */
  removed(kept: MutableIpvsState): Removed {
    return {
      virtualServers: countOf(this.#foundVirtualServers, (k) => !kept.virtualServers.has(k)),
      addresses: countOf(this.#foundAddresses, (a) => !kept.addresses.has(a)),
    };
  }

  /** Addresses we had bound, found gone and bound again; and ones we had not bound, found there and removed. */
  addressDrift(kept: MutableIpvsState): number {
    return (
      countOf(this.#believedAddresses, (a) => !this.#foundAddresses.has(a) && kept.addresses.has(a)) +
      countOf(this.#foundAddresses, (a) => !this.#believedAddresses.has(a) && !kept.addresses.has(a))
    );
  }
}

function countOf<T>(items: ReadonlySet<T>, wanted: (item: T) => boolean): number {
  let n = 0;
  for (const item of items) if (wanted(item)) n++;
  return n;
}
