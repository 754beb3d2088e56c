// The netlink transport under the conditions that break naive clients: small receive buffers with
// every reply an error (the npm package aborts the process on overrun), concurrent dumps (EBUSY).
import { expect } from 'chai';
import { openIpvsKernel } from '../../../src/ipvs/index.js';
import type { IpvsOperation } from '../../../src/kernel/ports.js';
import { openNetlinkTransport, NetlinkProtocol } from '../../../src/netlink/index.js';
import { rs, vs } from '../../contract/ipvs-kernel.contract.js';
import { generatedVip } from '../../support/generated-table.js';
import { ipvsadmSave, run } from '../../support/run.js';

describe('netlink transport in the real kernel', function () {
  this.timeout(300_000);
  afterEach(() => run('ipvsadm', ['-C']));

  it('reads back the real socket buffer sizes it got', () => {
    const t = openNetlinkTransport(NetlinkProtocol.generic, { bufferBytes: 65_536 });
    // the kernel doubles SO_RCVBUF/SO_SNDBUF
    expect(t.receiveBufferBytes).to.equal(131_072);
    expect(t.sendBufferBytes).to.equal(131_072);
    t.close();
  });

  it('with a 32 KiB receive buffer, 3,000 messages that all fail are reported without overrun', async () => {
    const kernel = await openIpvsKernel({ bufferBytes: 16_384 });
    const services = Array.from({ length: 500 }, (_, i) => vs(generatedVip(i), 80));
    const setup = await kernel.apply(services.map((v) => ({ kind: 'addVirtualServer', virtualServer: v })));
    expect(setup.failures).to.deep.equal([]);
    // every message fails (EEXIST for the services, ENOENT for the missing real servers): each
    // error echoes its whole request into the small receive buffer
    const ops: IpvsOperation[] = [];
    for (const v of services) {
      ops.push({ kind: 'addVirtualServer', virtualServer: v });
      for (let j = 0; j < 5; j++) ops.push({ kind: 'deleteRealServer', virtualServer: v, realServer: rs(`10.244.1.${j + 1}`, 8080) });
    }
    const result = await kernel.apply(ops);
    expect(result.applied).to.equal(0);
    expect(result.failures.map((f) => f.error.errnoName)).to.deep.equal(ops.map((o) => (o.kind === 'addVirtualServer' ? 'EEXIST' : 'ENOENT')));
    kernel.close();
  });

  it('serializes concurrent dumps and writes on one socket (no EBUSY, nothing mixed up)', async () => {
    const kernel = await openIpvsKernel();
    const services = Array.from({ length: 40 }, (_, i) => vs(generatedVip(i), 80));
    await kernel.apply(services.flatMap((v, i) => [
      { kind: 'addVirtualServer' as const, virtualServer: v },
      { kind: 'addRealServer' as const, virtualServer: v, realServer: rs(`10.244.0.${i + 1}`, 8080) },
    ]));
    const extra = vs('10.97.0.1', 80);
    const [lists, all, applied] = await Promise.all([
      Promise.all(services.map((v) => kernel.listRealServers(v))),
      kernel.listVirtualServers(),
      kernel.apply([{ kind: 'addVirtualServer', virtualServer: extra }]),
    ]);
    expect(lists.map((l) => l.map((s) => s.server.address))).to.deep.equal(services.map((_, i) => [`10.244.0.${i + 1}`]));
    expect(all.length).to.equal(40);
    expect(applied.failures).to.deep.equal([]);
    expect(ipvsadmSave()).to.include('-A -t 10.97.0.1:80 -s rr');
    kernel.close();
  });
});
