// A stateful LinkKernel that answers like rtnetlink (EEXIST on a duplicate address, EADDRNOTAVAIL on
// deleting a missing one, ENODEV for a missing link), with an operation log and failure injection.
import { FakeCallLog, type FakeCallLogEntry, type FakeFailure } from './fake-call-log.js';
import { constants as osConstants } from 'node:os';
import { KernelError } from '../../src/kernel/errors.js';
import type { AddressOperation, BatchResult, InterfaceAddress, LinkInfo, LinkKernel } from '../../src/kernel/ports.js';

const E = osConstants.errno;

export type FakeLinkCall = AddressOperation['kind'] | 'getLink' | 'ensureDummyLink' | 'deleteLink' | 'listAddresses';

export type FakeLinkLogEntry = FakeCallLogEntry<FakeLinkCall>;

export type FakeLinkFailure = FakeFailure<FakeLinkCall>;

interface LinkEntry {
  info: LinkInfo;
  /** by "family/address", in the order they were added */
  addresses: Map<string, InterfaceAddress>;
}

const addressKey = (a: InterfaceAddress): string => `${a.family}/${a.address}`;

const OPERATION_NAMES: Readonly<Record<FakeLinkCall, string>> = {
  addAddress: 'link.addAddress',
  deleteAddress: 'link.deleteAddress',
  getLink: 'link.get',
  ensureDummyLink: 'link.create',
  deleteLink: 'link.delete',
  listAddresses: 'link.listAddresses',
};

export class FakeLinkKernel extends FakeCallLog<FakeLinkCall> implements LinkKernel {
  readonly #links = new Map<string, LinkEntry>();
  #nextIndex = 1;
  #closed = false;

  constructor() {
    super();
    // every namespace has a loopback at index 1
    this.addLink('lo', '', true);
  }


  /** Creates a link directly (an admin's eth0, a pre-existing kube-ipvs0…); not logged. */
  addLink(name: string, kind: string, up = false): LinkInfo {
    if (this.#links.has(name)) throw new Error(`fake link: ${name} exists`);
    const info: LinkInfo = { index: this.#nextIndex++, name, kind, up };
    this.#links.set(name, { info, addresses: new Map() });
    return { ...info };
  }

  /** Addresses on a link by name, as "ADDRESS/PREFIX" sorted (like the `ipAddresses` witness). */
  addressesOf(name: string): string[] {
    return [...(this.#links.get(name)?.addresses.values() ?? [])].map((a) => `${a.address}/${a.prefixLength}`).sort();
  }

  linkNames(): string[] {
    return [...this.#links.keys()].sort();
  }

  // ---- LinkKernel ---------------------------------------------------------------------------

  getLink(name: string): Promise<LinkInfo | undefined> {
    return this.#call('getLink', name, false, () => {
      const l = this.#links.get(name);
      return l ? { ...l.info } : undefined;
    });
  }

  ensureDummyLink(name: string): Promise<LinkInfo> {
    const existing = this.#links.get(name);
    return this.#call('ensureDummyLink', name, existing === undefined, () => {
      if (existing) {
        // a same-named link of another kind is not ours to adopt
        if (existing.info.kind !== 'dummy') throw KernelError.errno(E.EEXIST, OPERATION_NAMES.ensureDummyLink, name);
        return { ...existing.info };
      }
      return this.addLink(name, 'dummy', false);
    });
  }

  deleteLink(name: string): Promise<void> {
    return this.#call('deleteLink', name, true, () => {
      if (!this.#links.delete(name)) throw KernelError.errno(E.ENODEV, OPERATION_NAMES.deleteLink, name);
    });
  }

  listAddresses(linkIndex: number): Promise<InterfaceAddress[]> {
    // a dump filtered by index: a missing link simply has no addresses
    return this.#call('listAddresses', String(linkIndex), false, () => [...(this.#byIndex(linkIndex)?.addresses.values() ?? [])].map((a) => ({ ...a })));
  }

  applyAddresses(linkIndex: number, operations: readonly AddressOperation[]): Promise<BatchResult> {
    if (this.#closed) return Promise.reject(this.#closedError('applyAddresses'));
    const failures: Array<{ index: number; error: KernelError }> = [];
    let applied = 0;
    operations.forEach((op, index) => {
      const errno = this.takeFailure(op.kind, op.address.address) ?? this.#applyOne(linkIndex, op);
      this.record({ call: op.kind, key: `${linkIndex}/${op.address.address}`, errno, write: true });
      if (errno === 0) applied++;
      else failures.push({ index, error: KernelError.errno(errno, OPERATION_NAMES[op.kind], op.address.address) });
    });
    return Promise.resolve({ applied, failures });
  }

  close(): void {
    this.#closed = true;
  }

  // ---- internals ----------------------------------------------------------------------------

  #byIndex(index: number): LinkEntry | undefined {
    for (const l of this.#links.values()) if (l.info.index === index) return l;
    return undefined;
  }

  #applyOne(linkIndex: number, op: AddressOperation): number {
    const link = this.#byIndex(linkIndex);
    if (!link) return E.ENODEV;
    const key = addressKey(op.address);
    if (op.kind === 'addAddress') {
      if (link.addresses.has(key)) return E.EEXIST; // even without NLM_F_EXCL
      if (op.address.family === 4 && (op.address.prefixLength < 0 || op.address.prefixLength > 32)) return E.EINVAL;
      if (op.address.family === 6 && (op.address.prefixLength < 0 || op.address.prefixLength > 128)) return E.EINVAL;
      link.addresses.set(key, { ...op.address });
      return 0;
    }
    if (!link.addresses.delete(key)) return E.EADDRNOTAVAIL;
    return 0;
  }

  #closedError(operation: string): KernelError {
    return new KernelError('KIPVS_KERNEL_UNAVAILABLE', 0, operation, 'closed', 'fake link kernel: used after close()');
  }

  #call<T>(call: FakeLinkCall, key: string, write: boolean, body: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError(call));
    const injected = this.takeFailure(call, key);
    if (injected !== undefined) {
      this.record({ call, key, errno: injected, write });
      return Promise.reject(KernelError.errno(injected, OPERATION_NAMES[call], key));
    }
    try {
      const result = body();
      this.record({ call, key, errno: 0, write });
      return Promise.resolve(result);
    } catch (e) {
      this.record({ call, key, errno: e instanceof KernelError ? e.errno : -1, write });
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

}
