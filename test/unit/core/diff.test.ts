// diff(desired, observed): only what differs, in an order the kernel accepts — checked by applying
// plans to the stateful fakes, for arbitrary pairs of states (fast-check).
import { expect } from 'chai';
import fc from 'fast-check';
import type { IpvsState, VirtualServerState } from '../../../src/core/index.js';
import { diff, emptyState, planSize, withBoundAddresses } from '../../../src/core/index.js';
import type { RealServer, RealServerKey, VirtualServer, VirtualServerKey } from '../../../src/model/index.js';
import { realServerKey, virtualServerKey } from '../../../src/model/index.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { FakeLinkKernel } from '../../support/fake-link-kernel.js';

const realServerArb = (family: 4 | 6): fc.Arbitrary<RealServer> =>
  fc.record({
    family: fc.constant(family),
    address: fc.constantFrom(...(family === 4 ? ['10.244.0.1', '10.244.0.2', '10.244.1.3'] : ['fd00:10::1', 'fd00:10::2'])),
    port: fc.constantFrom(8080, 8443),
    forward: fc.constant('masq' as const),
    weight: fc.integer({ min: 0, max: 3 }),
    upperThreshold: fc.constant(0),
    lowerThreshold: fc.constant(0),
  });

const virtualServerArb: fc.Arbitrary<VirtualServerState> = fc
  .record({
    vip: fc.constantFrom<[4 | 6, string]>([4, '10.96.0.1'], [4, '10.96.0.2'], [6, 'fd00::1']),
    protocol: fc.constantFrom('TCP' as const, 'UDP' as const, 'SCTP' as const),
    port: fc.constantFrom(53, 80, 443),
    scheduler: fc.constantFrom('rr', 'wrr', 'sh'),
    persistent: fc.boolean(),
  })
  .chain((v) =>
    fc.array(realServerArb(v.vip[0]), { maxLength: 4 }).map((reals): VirtualServerState => {
      const server: VirtualServer = {
        family: v.vip[0],
        protocol: v.protocol,
        address: v.vip[1],
        port: v.port,
        fwmark: 0,
        scheduler: v.scheduler,
        flags: v.persistent ? 1 : 0,
        timeout: v.persistent ? 10800 : 0,
        netmask: v.vip[0] === 4 ? 0xffffffff : 128,
      };
      return { server, realServers: new Map(reals.map((r) => [realServerKey(r), r])) };
    }),
  );

const stateArb: fc.Arbitrary<IpvsState> = fc
  .array(virtualServerArb, { maxLength: 6 })
  .map((list) => withBoundAddresses(new Map(list.map((v) => [virtualServerKey(v.server), v]))));

/** Loads a state into fresh fakes the way the proxy would have (a plan from empty). */
async function kernelHolding(state: IpvsState): Promise<{ ipvs: FakeIpvsKernel; link: FakeLinkKernel; index: number }> {
  const ipvs = new FakeIpvsKernel();
  const link = new FakeLinkKernel();
  const { index } = await link.ensureDummyLink('kube-ipvs0');
  const plan = diff(state, emptyState());
  expect((await link.applyAddresses(index, plan.bind)).failures).to.deep.equal([]);
  expect((await ipvs.apply(plan.ipvs)).failures).to.deep.equal([]);
  ipvs.clearLog();
  link.clearLog();
  return { ipvs, link, index };
}

const byKey = (a: [string, unknown], b: [string, unknown]): number => a[0].localeCompare(b[0]);

function comparable(state: IpvsState): { vs: Record<string, unknown>; addresses: string[] } {
  const vs: Record<string, unknown> = {};
  for (const [k, v] of state.virtualServers) vs[k] = { server: { ...v.server }, reals: Object.fromEntries([...v.realServers].map(([rk, r]): [string, unknown] => [rk, { ...r }]).sort(byKey)) };
  return { vs, addresses: [...state.addresses.keys()].sort() };
}

function fromFake(ipvs: FakeIpvsKernel, link: FakeLinkKernel): { vs: Record<string, unknown>; addresses: string[] } {
  const vs: Record<string, unknown> = {};
  for (const [k, v] of ipvs.snapshot()) vs[k] = { server: { ...v.server }, reals: Object.fromEntries([...v.reals].map(([rk, r]): [string, unknown] => [rk, { ...r }]).sort(byKey)) };
  return { vs, addresses: link.addressesOf('kube-ipvs0').map((a) => a.replace(/\/\d+$/, '')).sort() };
}

describe('core: diff', () => {
  it('diff(d, d) is empty', () => {
    fc.assert(fc.property(stateArb, (d) => planSize(diff(d, d)) === 0));
  });

  it('applying diff(d, o) to a kernel holding o leaves it holding d, with no kernel error', async () => {
    await fc.assert(
      fc.asyncProperty(stateArb, stateArb, async (d, o) => {
        const { ipvs, link, index } = await kernelHolding(o);
        const plan = diff(d, o);
        const bound = await link.applyAddresses(index, plan.bind);
        const changed = await ipvs.apply(plan.ipvs);
        const unbound = await link.applyAddresses(index, plan.unbind);
        expect([...bound.failures, ...changed.failures, ...unbound.failures]).to.deep.equal([]);
        expect(fromFake(ipvs, link)).to.deep.equal(comparable(d));
      }),
      { numRuns: 200 },
    );
  });

  it('ignores counters and the HASHED flag, and changes settings in place', () => {
    const vs: VirtualServer = { family: 4, protocol: 'TCP', address: '10.96.0.1', port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
    const rs: RealServer = { family: 4, address: '10.244.0.1', port: 80, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 };
    const mk = (v: VirtualServer, r: RealServer): IpvsState =>
      withBoundAddresses(new Map<VirtualServerKey, VirtualServerState>([[virtualServerKey(v), { server: v, realServers: new Map<RealServerKey, RealServer>([[realServerKey(r), r]]) }]]));
    expect(planSize(diff(mk(vs, rs), mk({ ...vs, flags: 0x2 }, rs)))).to.equal(0);
    const plan = diff(mk({ ...vs, scheduler: 'wrr' }, { ...rs, weight: 2 }), mk(vs, rs));
    expect(plan.ipvs.map((op) => op.kind)).to.deep.equal(['updateVirtualServer', 'updateRealServer']);
    expect(plan.bind).to.deep.equal([]);
  });

  it('binds a new VIP before its virtual server exists and unbinds an old one after its virtual server is gone', () => {
    const a = fc.sample(virtualServerArb, 1)[0]!;
    const d = withBoundAddresses(new Map([[virtualServerKey(a.server), a]]));
    const add = diff(d, emptyState());
    expect(add.bind.map((op) => op.address.address)).to.deep.equal([a.server.address]);
    expect(add.ipvs[0]).to.include({ kind: 'addVirtualServer' });
    const del = diff(emptyState(), d);
    expect(del.ipvs.map((op) => op.kind)).to.deep.equal(['deleteVirtualServer']);
    expect(del.unbind.map((op) => op.address.address)).to.deep.equal([a.server.address]);
  });
});
