// The audit's background read: what the proxy wrote during it comes from the shadow copy, and a read
// overtaken by a sync that read the kernel itself is dropped.
import { expect } from 'chai';
import { emptyState, vipAddress, type MutableIpvsState } from '../../../src/core/index.js';
import { realServerKey, virtualServerKey, type RealServer, type RealServerKey, type RealServerStatus, type VirtualServer } from '../../../src/model/index.js';
import { BackgroundAuditRead } from '../../../src/proxier/audit-read.js';
import type { OwnedKernelState } from '../../../src/proxier/read-kernel.js';

const vs = (address: string): VirtualServer => ({ family: 4, protocol: 'TCP', address, port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff });
const rs = (address: string): RealServer => ({ family: 4, address, port: 8080, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 });

function stateWith(entries: Array<[VirtualServer, RealServer[]]>): MutableIpvsState {
  const s = emptyState();
  for (const [v, reals] of entries) {
    s.virtualServers.set(virtualServerKey(v), { server: v, realServers: new Map(reals.map((r) => [realServerKey(r), r])) });
    s.addresses.set(v.address, vipAddress(4, v.address));
  }
  return s;
}

function deferred(): { promise: Promise<OwnedKernelState>; resolve: (r: OwnedKernelState) => void } {
  let resolve = (_r: OwnedKernelState): void => undefined;
  const promise = new Promise<OwnedKernelState>((r) => (resolve = r));
  return { promise, resolve };
}

describe('proxier: the audit\'s background read', () => {
  const a = vs('10.96.0.1');
  const b = vs('10.96.0.2');

  it('takes what the proxy wrote during the read from its shadow copy, the rest as read', async () => {
    const audit = new BackgroundAuditRead();
    const read = deferred();
    let done = 0;
    audit.start(() => read.promise, 1000, 7, () => done++);
    expect(audit.reading).to.equal(true);
    // during the read the proxy added a real server to a and removed b (address included)
    audit.wroteVirtualServer(virtualServerKey(a));
    audit.wroteVirtualServer(virtualServerKey(b));
    audit.wroteAddress(b.address);
    const shadow = stateWith([[a, [rs('10.244.0.1'), rs('10.244.0.2')]]]);
    // the kernel as the read saw it: a with one real server (drifted: weight 5), b still there
    const seen = stateWith([[a, [{ ...rs('10.244.0.1'), weight: 5 }]], [b, [rs('10.244.0.9')]]]);
    read.resolve({ state: seen, statuses: new Map([[virtualServerKey(a), new Map<RealServerKey, RealServerStatus>()]]) });
    await audit.settled();
    expect(done).to.equal(1);
    expect(audit.ready).to.equal(true);

    const taken = audit.take(7, shadow);
    expect(taken?.startedAt).to.equal(1000);
    expect([...(taken?.read.state.virtualServers.keys() ?? [])]).to.deep.equal([virtualServerKey(a)]);
    expect([...(taken?.read.state.virtualServers.get(virtualServerKey(a))?.realServers.values() ?? [])].map((r) => `${r.address} w${r.weight}`)).to.deep.equal(['10.244.0.1 w1', '10.244.0.2 w1']);
    expect([...(taken?.read.state.addresses.keys() ?? [])]).to.deep.equal(['10.96.0.1']);
    expect(taken?.read.statuses.size).to.equal(0); // counts from before our writes are not trusted
    expect(audit.ready).to.equal(false);
    expect(audit.noting).to.equal(false);
  });

  it('keeps drift the proxy did not write over, and drops a read of another link', async () => {
    const audit = new BackgroundAuditRead();
    audit.start(() => Promise.resolve({ state: stateWith([[a, [{ ...rs('10.244.0.1'), weight: 5 }]]]), statuses: new Map() }), 0, 7, () => undefined);
    await audit.settled();
    const taken = audit.take(7, stateWith([[a, [rs('10.244.0.1')]]]));
    expect(taken?.read.state.virtualServers.get(virtualServerKey(a))?.realServers.get(realServerKey(rs('10.244.0.1')))?.weight).to.equal(5);

    audit.start(() => Promise.resolve({ state: emptyState(), statuses: new Map() }), 0, 7, () => undefined);
    await audit.settled();
    expect(audit.take(8, emptyState())).to.equal(undefined);
    expect(audit.ready).to.equal(false);
  });

  it('drops a read overtaken by a sync that read the kernel itself, noting writes until it ends', async () => {
    const audit = new BackgroundAuditRead();
    const read = deferred();
    audit.start(() => read.promise, 0, 7, () => undefined);
    expect(audit.take(7, emptyState())).to.equal(undefined); // a sync after a failure reads itself
    expect(audit.noting).to.equal(true);
    read.resolve({ state: stateWith([[a, []]]), statuses: new Map() });
    await audit.settled();
    expect(audit.ready).to.equal(false);
    expect(audit.noting).to.equal(false);
  });
});
