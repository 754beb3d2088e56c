// The fakes the reconciler is tested on must answer like the kernel, or every scenario test lies.
import { expect } from 'chai';
import { constants as osConstants } from 'node:os';
import type { RealServer, VirtualServer } from '../../../src/model/index.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { FakeLinkKernel } from '../../support/fake-link-kernel.js';

const E = osConstants.errno;
const vs: VirtualServer = { family: 4, protocol: 'TCP', address: '10.96.0.1', port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
const rs: RealServer = { family: 4, address: '10.244.0.5', port: 8080, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 };

describe('FakeIpvsKernel', () => {
  it('answers EEXIST, ESRCH and ENOENT where the kernel does, and applies the rest of a batch', async () => {
    const k = new FakeIpvsKernel();
    const r = await k.apply([
      { kind: 'addVirtualServer', virtualServer: vs },
      { kind: 'addVirtualServer', virtualServer: { ...vs, scheduler: 'wrr' } },
      { kind: 'addRealServer', virtualServer: { ...vs, port: 81 }, realServer: rs },
      { kind: 'updateRealServer', virtualServer: vs, realServer: rs },
      { kind: 'addRealServer', virtualServer: vs, realServer: rs },
      { kind: 'addRealServer', virtualServer: vs, realServer: { ...rs, weight: 5 } },
      { kind: 'deleteRealServer', virtualServer: vs, realServer: { ...rs, port: 1 } },
    ]);
    expect(r.applied).to.equal(2);
    expect(r.failures.map((f) => [f.index, f.error.errnoName])).to.deep.equal([
      [1, 'EEXIST'],
      [2, 'ESRCH'],
      [3, 'ENOENT'],
      [5, 'EEXIST'],
      [6, 'ENOENT'],
    ]);
    expect(k.dump()).to.deep.equal(['-A TCP/10.96.0.1:80 -s rr flags=0x0', '-a TCP/10.96.0.1:80 -r 10.244.0.5:8080 -masq -w 1']);
  });

  it('drops real servers with their virtual server, and lists copies', async () => {
    const k = new FakeIpvsKernel();
    await k.apply([
      { kind: 'addVirtualServer', virtualServer: vs },
      { kind: 'addRealServer', virtualServer: vs, realServer: rs },
    ]);
    const listed = await k.listRealServers(vs);
    (listed[0]!.server as { weight: number }).weight = 9;
    expect((await k.listRealServers(vs))[0]!.server.weight).to.equal(1);
    await k.apply([{ kind: 'deleteVirtualServer', virtualServer: vs }]);
    await k.apply([{ kind: 'addVirtualServer', virtualServer: vs }]);
    expect(await k.listRealServers(vs)).to.deep.equal([]);
  });

  it('injects failures, counts writes and reports connection counts', async () => {
    const k = new FakeIpvsKernel();
    k.injectFailure({ call: 'addVirtualServer', errno: E.ENOMEM });
    const r = await k.apply([{ kind: 'addVirtualServer', virtualServer: vs }]);
    expect(r.failures[0]!.error.errno).to.equal(E.ENOMEM);
    await k.apply([
      { kind: 'addVirtualServer', virtualServer: vs },
      { kind: 'addRealServer', virtualServer: vs, realServer: rs },
    ]);
    k.setConnections('TCP/10.96.0.1:80', '10.244.0.5:8080', { active: 2, inactive: 3 });
    const [status] = await k.listRealServers(vs);
    expect([status!.activeConnections, status!.inactiveConnections]).to.deep.equal([2, 3]);
    expect(k.writeCount).to.equal(3);
    k.clearLog();
    await k.listVirtualServers();
    expect(k.writeCount).to.equal(0);
  });

  it('rejects unknown schedulers and negative weights like the kernel', async () => {
    const k = new FakeIpvsKernel();
    const r = await k.apply([
      { kind: 'addVirtualServer', virtualServer: { ...vs, scheduler: 'nope' } },
      { kind: 'addVirtualServer', virtualServer: vs },
      { kind: 'addRealServer', virtualServer: vs, realServer: { ...rs, weight: -1 } },
    ]);
    expect(r.failures.map((f) => f.error.errnoName)).to.deep.equal(['ENOENT', 'ERANGE']);
  });
});

describe('FakeLinkKernel', () => {
  it('creates or adopts a dummy link, and answers EEXIST / EADDRNOTAVAIL for addresses', async () => {
    const k = new FakeLinkKernel();
    const link = await k.ensureDummyLink('kube-ipvs0');
    expect((await k.ensureDummyLink('kube-ipvs0')).index).to.equal(link.index);
    const a = { family: 4 as const, address: '10.96.0.1', prefixLength: 32 };
    const r = await k.applyAddresses(link.index, [
      { kind: 'addAddress', address: a },
      { kind: 'addAddress', address: a },
      { kind: 'deleteAddress', address: { ...a, address: '10.96.0.2' } },
    ]);
    expect(r.failures.map((f) => [f.index, f.error.errnoName])).to.deep.equal([
      [1, 'EEXIST'],
      [2, 'EADDRNOTAVAIL'],
    ]);
    expect(k.addressesOf('kube-ipvs0')).to.deep.equal(['10.96.0.1/32']);
    await k.deleteLink('kube-ipvs0');
    expect(await k.getLink('kube-ipvs0')).to.equal(undefined);
    let errno = 0;
    await k.deleteLink('kube-ipvs0').catch((e: { errno: number }) => (errno = e.errno));
    expect(errno).to.equal(E.ENODEV);
  });
});
