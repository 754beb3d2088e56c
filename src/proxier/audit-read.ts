// A periodic audit's kernel read, done while changes keep being served. Reading back 10,000 virtual
// servers is one real-server dump each (IPVS has no dump of them all): seconds in UML, during which
// a change would otherwise wait. Keys and addresses the proxy writes while the read is under way are
// noted; when the audit compares, the read's view of those is replaced by the shadow copy (what the
// proxy wrote and the kernel accepted), so the audit neither undoes nor reports as drift its own
// writes; any drift there is found by the next audit.
import type { VirtualServerKey } from '../model/index.js';
import type { MutableIpvsState } from '../core/index.js';
import type { OwnedKernelState } from './read-kernel.js';

/** What the proxy wrote while the read was under way. */
interface Written {
  readonly virtualServers: Set<VirtualServerKey>;
  readonly addresses: Set<string>;
}

/** A finished read: the kernel as read, when, and on which link. */
interface FinishedRead {
  readonly read: OwnedKernelState;
  readonly startedAt: number;
  readonly linkIndex: number;
  readonly written: Written;
}

export class BackgroundAuditRead {
  #inFlight: Promise<void> | undefined;
  #written: Written | undefined;
  #finished: FinishedRead | undefined;
  /** bumped by take(): a read under way then is superseded (a sync read the kernel itself) */
  #generation = 0;

  /** A read is under way. */
  get reading(): boolean {
    return this.#inFlight !== undefined;
  }

  /** Writes are being noted (a read is under way or waits to be compared against). */
  get noting(): boolean {
    return this.#written !== undefined;
  }

  /** A finished read waits for the audit that compares against it. */
  get ready(): boolean {
    return this.#finished !== undefined;
  }

  /** Resolves when no read is under way (a failed one included). */
  async settled(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
  }

  /**
   * Starts `read`; `done` is called when it has finished (ready, unless superseded meanwhile) or
   * failed (with the error). Writes noted from now on are the read's.
   */
  start(read: () => Promise<OwnedKernelState>, startedAt: number, linkIndex: number, done: (error?: unknown) => void): void {
    if (this.#inFlight || this.#finished) return;
    const written: Written = { virtualServers: new Set(), addresses: new Set() };
    const generation = this.#generation;
    this.#written = written;
    this.#inFlight = read().then(
      (result) => {
        this.#inFlight = undefined;
        if (generation === this.#generation) this.#finished = { read: result, startedAt, linkIndex, written };
        else this.#written = undefined; // a sync read the kernel itself since: this read is older
        done();
      },
      (e: unknown) => {
        this.#inFlight = undefined;
        this.#written = undefined;
        done(e);
      },
    );
  }

  /** The proxy wrote to this virtual server (or tried to). */
  wroteVirtualServer(key: VirtualServerKey): void {
    this.#written?.virtualServers.add(key);
  }

  /** The proxy bound or unbound this address (or tried to). */
  wroteAddress(address: string): void {
    this.#written?.addresses.add(address);
  }

  /**
   * The finished read with the proxy's own writes since it began taken from `shadow`, and when the
   * read began; undefined when there is none or it was of another link (the link was replaced: read
   * again). Called by every full sync: a read used up, or one under way superseded.
   */
  take(linkIndex: number, shadow: MutableIpvsState): { read: OwnedKernelState; startedAt: number } | undefined {
    const finished = this.#finished;
    this.#generation++;
    this.#finished = undefined;
    // a read still under way keeps noting until it ends (and is dropped then)
    if (!this.#inFlight) this.#written = undefined;
    if (finished === undefined || finished.linkIndex !== linkIndex) return undefined;
    return { read: withOwnWrites(finished.read, shadow, finished.written), startedAt: finished.startedAt };
  }
}

/** `read`, with what the proxy itself wrote since the read began taken from its shadow copy. */
function withOwnWrites(read: OwnedKernelState, shadow: MutableIpvsState, written: Written): OwnedKernelState {
  const { state, statuses } = read;
  for (const key of written.virtualServers) {
    const own = shadow.virtualServers.get(key);
    // a copy: the read becomes the shadow copy, which our writes then change in place
    if (own) state.virtualServers.set(key, { server: own.server, realServers: new Map(own.realServers) });
    else state.virtualServers.delete(key);
    // its connection counts are from before our writes: graceful termination dumps it again
    statuses.delete(key);
  }
  for (const address of written.addresses) {
    const own = shadow.addresses.get(address);
    if (own) state.addresses.set(address, own);
    else state.addresses.delete(address);
  }
  return read;
}
