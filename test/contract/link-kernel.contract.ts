// Behaviour every LinkKernel must show, as rtnetlink shows it: run against the netlink client in a
// real kernel (test/kernel/link) and against in-memory fakes (test/unit/link).
import { expect } from 'chai';
import { constants as osConstants } from 'node:os';
import { KernelError } from '../../src/kernel/errors.js';
import type { AddressOperation, InterfaceAddress, LinkKernel } from '../../src/kernel/ports.js';

const E = osConstants.errno;

export interface LinkKernelSubject {
  readonly name: string;
  open(): Promise<LinkKernel>;
  /** leaves no test link behind (deletes CONTRACT_LINK whatever happened) */
  reset(): Promise<void>;
}

/** The dummy link the suite creates; reset() must remove it. */
export const CONTRACT_LINK = 'kipvs-ct0';

const v4 = (address: string): InterfaceAddress => ({ family: 4, address, prefixLength: 32 });
const v6 = (address: string): InterfaceAddress => ({ family: 6, address, prefixLength: 128 });
const add = (address: InterfaceAddress): AddressOperation => ({ kind: 'addAddress', address });
const del = (address: InterfaceAddress): AddressOperation => ({ kind: 'deleteAddress', address });
const text = (list: readonly InterfaceAddress[]): string[] => list.map((a) => `${a.address}/${a.prefixLength}`).sort();

/** 10.97.x.y, distinct for i < 65536 */
export function nthVip(i: number): InterfaceAddress {
  return v4(`10.97.${(i >> 8) & 255}.${i & 255}`);
}

export function linkKernelContract(subject: LinkKernelSubject): void {
  describe(`LinkKernel contract: ${subject.name}`, function () {
    this.timeout(120_000);
    let kernel: LinkKernel;

    beforeEach(async () => {
      await subject.reset();
      kernel = await subject.open();
    });
    afterEach(async () => {
      kernel.close();
      await subject.reset();
    });

    it('reports a missing link as undefined', async () => {
      expect(await kernel.getLink(CONTRACT_LINK)).to.equal(undefined);
    });

    it('creates a dummy link once, DOWN, and adopts it afterwards', async () => {
      const created = await kernel.ensureDummyLink(CONTRACT_LINK);
      expect(created).to.include({ name: CONTRACT_LINK, kind: 'dummy', up: false });
      expect(created.index).to.be.greaterThan(0);
      const adopted = await kernel.ensureDummyLink(CONTRACT_LINK);
      expect(adopted).to.deep.equal(created);
      expect(await kernel.getLink(CONTRACT_LINK)).to.deep.equal(created);
    });

    it('deletes a link, and says ENODEV for a missing one', async () => {
      await kernel.ensureDummyLink(CONTRACT_LINK);
      await kernel.deleteLink(CONTRACT_LINK);
      expect(await kernel.getLink(CONTRACT_LINK)).to.equal(undefined);
      const err = await kernel.deleteLink(CONTRACT_LINK).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(KernelError);
      expect((err as KernelError).errno).to.equal(E.ENODEV);
    });

    it('lists no addresses on a new link', async () => {
      const link = await kernel.ensureDummyLink(CONTRACT_LINK);
      expect(await kernel.listAddresses(link.index)).to.deep.equal([]);
    });

    it('adds and deletes IPv4 /32 and IPv6 /128 addresses, listed in canonical text', async () => {
      const link = await kernel.ensureDummyLink(CONTRACT_LINK);
      const added = await kernel.applyAddresses(link.index, [add(v4('10.96.0.1')), add(v6('fd00:10:96::1')), add(v4('10.96.0.10'))]);
      expect(added).to.deep.equal({ applied: 3, failures: [] });
      const listed = await kernel.listAddresses(link.index);
      expect(text(listed)).to.deep.equal(['10.96.0.1/32', '10.96.0.10/32', 'fd00:10:96::1/128']);
      expect(listed.find((a) => a.address === 'fd00:10:96::1')?.family).to.equal(6);
      const deleted = await kernel.applyAddresses(link.index, [del(v4('10.96.0.1')), del(v6('fd00:10:96::1'))]);
      expect(deleted).to.deep.equal({ applied: 2, failures: [] });
      expect(text(await kernel.listAddresses(link.index))).to.deep.equal(['10.96.0.10/32']);
    });

    it('answers EEXIST for a duplicate add and EADDRNOTAVAIL for deleting a missing address', async () => {
      const link = await kernel.ensureDummyLink(CONTRACT_LINK);
      await kernel.applyAddresses(link.index, [add(v4('10.96.0.1')), add(v6('fd00::1'))]);
      const result = await kernel.applyAddresses(link.index, [add(v4('10.96.0.1')), add(v6('fd00::1')), del(v4('10.96.0.2')), del(v6('fd00::2'))]);
      expect(result.applied).to.equal(0);
      expect(result.failures.map((f) => [f.index, f.error.errno])).to.deep.equal([
        [0, E.EEXIST],
        [1, E.EEXIST],
        [2, E.EADDRNOTAVAIL],
        [3, E.EADDRNOTAVAIL],
      ]);
      for (const f of result.failures) expect(f.error).to.be.instanceOf(KernelError);
      expect(result.failures[0]?.error.key).to.match(/^10\.96\.0\.1(\/32)?$/);
      expect(text(await kernel.listAddresses(link.index))).to.deep.equal(['10.96.0.1/32', 'fd00::1/128']);
    });

    it('applies the rest of a batch around a failure in the middle', async () => {
      const link = await kernel.ensureDummyLink(CONTRACT_LINK);
      await kernel.applyAddresses(link.index, [add(v4('10.96.0.5'))]);
      const result = await kernel.applyAddresses(link.index, [
        add(v4('10.96.0.4')),
        add(v4('10.96.0.5')), // duplicate
        add(v4('10.96.0.6')),
        del(v4('10.96.0.99')), // missing
        del(v4('10.96.0.4')),
        add(v6('fd00::6')),
      ]);
      expect(result.applied).to.equal(4);
      expect(result.failures.map((f) => [f.index, f.error.errno])).to.deep.equal([
        [1, E.EEXIST],
        [3, E.EADDRNOTAVAIL],
      ]);
      expect(text(await kernel.listAddresses(link.index))).to.deep.equal(['10.96.0.5/32', '10.96.0.6/32', 'fd00::6/128']);
    });

    it('applies 1,000 addresses in one batch and lists them all', async () => {
      const link = await kernel.ensureDummyLink(CONTRACT_LINK);
      const wanted = Array.from({ length: 1000 }, (_, i) => nthVip(i));
      const result = await kernel.applyAddresses(link.index, wanted.map(add));
      expect(result).to.deep.equal({ applied: 1000, failures: [] });
      expect(text(await kernel.listAddresses(link.index))).to.deep.equal(text(wanted));
    });

    it('lists only the addresses of the given link', async () => {
      const link = await kernel.ensureDummyLink(CONTRACT_LINK);
      await kernel.applyAddresses(link.index, [add(v4('10.96.0.7'))]);
      // the loopback has 127.0.0.1 (up) or nothing, never our VIP; a bogus index has nothing
      const lo = await kernel.getLink('lo');
      if (lo !== undefined) expect(text(await kernel.listAddresses(lo.index))).to.not.include('10.96.0.7/32');
      expect(await kernel.listAddresses(link.index + 100_000)).to.deep.equal([]);
    });

    it('answers ENODEV for each address operation on a missing link', async () => {
      const link = await kernel.ensureDummyLink(CONTRACT_LINK);
      await kernel.deleteLink(CONTRACT_LINK);
      const result = await kernel.applyAddresses(link.index, [add(v4('10.96.0.9')), del(v6('fd00::9'))]);
      expect(result.applied).to.equal(0);
      expect(result.failures.map((f) => [f.index, f.error.errno])).to.deep.equal([
        [0, E.ENODEV],
        [1, E.ENODEV],
      ]);
    });

    it('drops the addresses with the link', async () => {
      const link = await kernel.ensureDummyLink(CONTRACT_LINK);
      await kernel.applyAddresses(link.index, [add(v4('10.96.0.8'))]);
      await kernel.deleteLink(CONTRACT_LINK);
      const again = await kernel.ensureDummyLink(CONTRACT_LINK);
      expect(await kernel.listAddresses(again.index)).to.deep.equal([]);
    });
  });
}
