// Kernel ports that survive their netlink socket: after a socket failure the next call opens a new
// one (and, for IPVS, resolves the family again) instead of failing until the pod is restarted.
import type { AddressOperation, BatchResult, IpvsKernel, IpvsOperation, IpvsTimeouts, LinkKernel } from '../kernel/index.js';
import { KernelError } from '../kernel/index.js';
import type { VirtualServer } from '../model/index.js';
import type { Logger } from '../observability/index.js';

/** Holds one open port; drops it when a call reports its socket gone, and opens another on demand. */
export class Reopener<Port extends { close(): void }> {
  readonly #open: () => Promise<Port>;
  readonly #what: string;
  readonly #log: Logger;
  #current: Promise<Port> | undefined;

  constructor(what: string, open: () => Promise<Port>, log: Logger, first?: Port) {
    this.#what = what;
    this.#open = open;
    this.#log = log;
    if (first) this.#current = Promise.resolve(first);
  }

  async run<T>(call: (port: Port) => Promise<T>): Promise<T> {
    const current = (this.#current ??= this.#open());
    let port: Port;
    try {
      port = await current;
    } catch (e) {
      if (this.#current === current) this.#current = undefined; // try opening again next time
      throw e;
    }
    try {
      return await call(port);
    } catch (e) {
      if (e instanceof KernelError && e.code === 'KIPVS_KERNEL_SOCKET' && this.#current === current) {
        this.#current = undefined;
        port.close();
        this.#log.warn(`the ${this.#what} netlink socket failed; a new one is opened for the next call`, { error: e.message });
      }
      throw e;
    }
  }

  close(): void {
    const current = this.#current;
    this.#current = undefined;
    current?.then((p) => p.close(), () => undefined);
  }
}

export function reopeningIpvsKernel(reopener: Reopener<IpvsKernel>): IpvsKernel {
  return {
    info: () => reopener.run((k) => k.info()),
    listVirtualServers: () => reopener.run((k) => k.listVirtualServers()),
    listRealServers: (vs: VirtualServer) => reopener.run((k) => k.listRealServers(vs)),
    apply: (operations: readonly IpvsOperation[]): Promise<BatchResult> => reopener.run((k) => k.apply(operations)),
    getTimeouts: () => reopener.run((k) => k.getTimeouts()),
    setTimeouts: (t: IpvsTimeouts) => reopener.run((k) => k.setTimeouts(t)),
    flush: () => reopener.run((k) => k.flush()),
    close: () => reopener.close(),
  };
}

export function reopeningLinkKernel(reopener: Reopener<LinkKernel>): LinkKernel {
  return {
    getLink: (name: string) => reopener.run((k) => k.getLink(name)),
    ensureDummyLink: (name: string) => reopener.run((k) => k.ensureDummyLink(name)),
    deleteLink: (name: string) => reopener.run((k) => k.deleteLink(name)),
    listAddresses: (index: number) => reopener.run((k) => k.listAddresses(index)),
    applyAddresses: (index: number, operations: readonly AddressOperation[]) => reopener.run((k) => k.applyAddresses(index, operations)),
    close: () => reopener.close(),
  };
}
