// 10,000 virtual servers × 5 real servers in one batched apply (60,000 messages), read back by
// ipvsadm -Sn and by our own dumps; then the worst case for the receive buffer: every one of
// 60,000 messages failing (each error echoes its request) must not abort the process.
import { expect } from 'chai';
import { openIpvsKernel } from '../../../src/ipvs/index.js';
import type { NetlinkIpvsKernel } from '../../../src/ipvs/index.js';
import type { IpvsOperation } from '../../../src/kernel/ports.js';
import { realServerKey, virtualServerKey } from '../../../src/model/index.js';
import { rs, vs } from '../../contract/ipvs-kernel.contract.js';
import { generatedReal, generatedTableLines, generatedVip } from '../../support/generated-table.js';
import { ipvsadmSaveLarge } from '../../support/ipvsadm.js';
import { ipvsadmSave, run } from '../../support/run.js';

const SERVICES = 10_000;
const REALS = 5;

describe('NetlinkIpvsKernel with 10,000 virtual servers × 5 real servers', function () {
  this.timeout(600_000);
  let kernel: NetlinkIpvsKernel;
  const services = Array.from({ length: SERVICES }, (_, i) => vs(generatedVip(i), 80));
  const reals = Array.from({ length: REALS }, (_, j) => rs(generatedReal(j), 8080));
  const ops: IpvsOperation[] = [];
  for (const v of services) {
    ops.push({ kind: 'addVirtualServer', virtualServer: v });
    for (const r of reals) ops.push({ kind: 'addRealServer', virtualServer: v, realServer: r });
  }

  before(async () => {
    run('ipvsadm', ['-C']);
    kernel = await openIpvsKernel();
  });
  after(() => {
    kernel.close();
    run('ipvsadm', ['-C']);
  });

  it('applies all 60,000 operations in one call; ipvsadm -Sn reads back the identical table', async () => {
    expect(ops.length).to.equal(60_000);
    const result = await kernel.apply(ops);
    expect(result.failures.slice(0, 3).map((f) => f.error.message)).to.deep.equal([]);
    expect(result.applied).to.equal(60_000);
    const wanted = generatedTableLines(SERVICES, REALS).sort();
    // which lines differ (a deep-equal of 60,000 lines prints nothing useful)
    const difference = (saved: readonly string[]): { missing: string[]; unexpected: string[]; lines: number } => {
      const got = new Set(saved);
      const want = new Set(wanted);
      return { missing: wanted.filter((l) => !got.has(l)).slice(0, 5), unexpected: saved.filter((l) => !want.has(l)).slice(0, 5), lines: saved.length };
    };
    let read = difference(ipvsadmSaveLarge());
    if (read.missing.length + read.unexpected.length > 0 || read.lines !== wanted.length) {
      // once in a few full runs in UML the witness's read differed while a second read matched: a
      // table we wrote wrong stays wrong, so the second read decides, and the first is shown
      console.log(`ipvsadm -Sn, first read: ${JSON.stringify(read)}`);
      read = difference(ipvsadmSaveLarge());
    }
    expect(read).to.deep.equal({ missing: [], unexpected: [], lines: 60_000 });
  });

  it('lists the same table through its own dumps (one GET_DEST dump per virtual server)', async () => {
    const listed = (await kernel.listVirtualServers()).map((s) => s.server);
    expect(listed.map(virtualServerKey).sort()).to.deep.equal(services.map(virtualServerKey).sort());
    expect(listed.every((s) => s.scheduler === 'rr' && s.flags === 0)).to.equal(true);
    let count = 0;
    for (const v of services) {
      const got = (await kernel.listRealServers(v)).map((s) => s.server);
      expect(got.map(realServerKey).sort(), virtualServerKey(v)).to.deep.equal(reals.map(realServerKey));
      expect(got.every((r) => r.forward === 'masq' && r.weight === 1)).to.equal(true);
      count += got.length;
    }
    expect(count).to.equal(SERVICES * REALS);
  });

  it('survives 60,000 failing operations in one apply (every reply an error), each reported EEXIST at its index', async () => {
    const result = await kernel.apply(ops);
    expect(result.applied).to.equal(0);
    expect(result.failures.length).to.equal(60_000);
    expect(result.failures.every((f, i) => f.index === i && f.error.errnoName === 'EEXIST')).to.equal(true);
    expect(ipvsadmSaveLarge().length).to.equal(60_000);
  });

  it('deletes the whole table in one apply', async () => {
    const result = await kernel.apply(services.map((v) => ({ kind: 'deleteVirtualServer' as const, virtualServer: v })));
    expect(result.applied).to.equal(SERVICES);
    expect(ipvsadmSave()).to.deep.equal([]);
  });
});
