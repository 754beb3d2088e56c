// What a full sync counts as drift and as removed: believed (shadow copy), found (the read), kept
// (after the sync's writes).
import { expect } from 'chai';
import { emptyState, vipAddress, type MutableIpvsState } from '../../../src/core/index.js';
import { virtualServerKey, type VirtualServer } from '../../../src/model/index.js';
import { KernelTally } from '../../../src/proxier/kernel-tally.js';

function state(addresses: readonly string[], virtualServers: readonly string[] = []): MutableIpvsState {
  const s = emptyState();
  for (const a of addresses) s.addresses.set(a, vipAddress(4, a));
  for (const a of virtualServers) {
    const server: VirtualServer = { family: 4, protocol: 'TCP', address: a, port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
    s.virtualServers.set(virtualServerKey(server), { server, realServers: new Map() });
  }
  return s;
}

describe('KernelTally', () => {
  it('counts an address we had bound, found gone and bound again, and a foreign one found and removed, as drift', () => {
    const tally = new KernelTally(state(['10.96.0.1', '10.96.0.2']), state(['10.96.0.2', '10.96.0.9']));
    expect(tally.addressDrift(state(['10.96.0.1', '10.96.0.2']))).to.equal(2);
    // our own changes are not drift: a new address bound, one of ours unbound as planned
    expect(new KernelTally(state(['10.96.0.1']), state(['10.96.0.1'])).addressDrift(state(['10.96.0.3']))).to.equal(0);
  });

  it('counts as removed what the kernel held and no longer holds, not what stays (a draining virtual server keeps its address)', () => {
    const tally = new KernelTally(state([]), state(['10.96.0.1', '10.96.0.2'], ['10.96.0.1', '10.96.0.2']));
    expect(tally.removed(state(['10.96.0.2'], ['10.96.0.2']))).to.deep.equal({ virtualServers: 1, addresses: 1 });
    expect(tally.removed(state(['10.96.0.1', '10.96.0.2'], ['10.96.0.1', '10.96.0.2']))).to.deep.equal({ virtualServers: 0, addresses: 0 });
  });
});
