// NetlinkIpvsKernel against the real kernel, every change read back by ipvsadm (the witness users
// trust): each operation kind, each error case, counters, IPv6/UDP/SCTP/fwmark.
import { expect } from 'chai';
import { connect } from 'node:net';
import { constants as osConstants } from 'node:os';
import { openIpvsKernel } from '../../../src/ipvs/index.js';
import type { NetlinkIpvsKernel } from '../../../src/ipvs/index.js';
import { isKernelError } from '../../../src/kernel/errors.js';
import type { IpvsOperation } from '../../../src/kernel/ports.js';
import { VirtualServerFlags } from '../../../src/model/index.js';
import { fwmarkVs, rs, vs } from '../../contract/ipvs-kernel.contract.js';
import { ipvsadmStats, ipvsadmThresholds } from '../../support/ipvsadm.js';
import { ipvsadmSave, run, sh } from '../../support/run.js';

const E = osConstants.errno;

describe('NetlinkIpvsKernel read back by ipvsadm', () => {
  let kernel: NetlinkIpvsKernel;
  before(async () => {
    run('ipvsadm', ['-C']);
    kernel = await openIpvsKernel();
  });
  after(() => {
    kernel.close();
    sh('ipvsadm -C; ip link del kipvs-w0 2>/dev/null; true');
  });
  afterEach(() => run('ipvsadm', ['-C']));

  async function applyOk(ops: IpvsOperation[]): Promise<void> {
    const result = await kernel.apply(ops);
    expect(result.failures.map((f) => f.error.message)).to.deep.equal([]);
    expect(result.applied).to.equal(ops.length);
  }

  const tcp = vs('10.96.0.1', 80);
  const udp6 = vs('fd00::1', 53, { protocol: 'UDP', scheduler: 'sh', flags: VirtualServerFlags.sched1 | VirtualServerFlags.sched2 });
  const sctp = vs('10.1.1.1', 9, { protocol: 'SCTP', flags: VirtualServerFlags.persistent, timeout: 60, netmask: 0xffffff00 });
  const fw4 = fwmarkVs(4, 5, { flags: VirtualServerFlags.persistent, timeout: 30 });
  const fw6 = fwmarkVs(6, 6);
  const v6p = vs('fd00::20', 80, { flags: VirtualServerFlags.persistent, timeout: 300, netmask: 64 });
  const udpOps = vs('10.0.0.1', 53, { protocol: 'UDP', flags: VirtualServerFlags.onePacket });

  it('adds virtual servers of every kind: ipvsadm -Sn shows them', async () => {
    await applyOk([tcp, udp6, sctp, fw4, fw6, v6p, udpOps].map((v) => ({ kind: 'addVirtualServer' as const, virtualServer: v })));
    expect(ipvsadmSave()).to.deep.equal(
      [
        '-A -t 10.96.0.1:80 -s rr',
        '-A -u [fd00::1]:53 -s sh -b sh-fallback,sh-port',
        '-A --sctp-service 10.1.1.1:9 -s rr -p 60 -M 255.255.255.0',
        '-A -f 5 -s rr -p 30',
        '-A -f 6 -6 -s rr',
        '-A -t [fd00::20]:80 -s rr -p 300 -M 64',
        '-A -u 10.0.0.1:53 -s rr -o',
      ].sort(),
    );
  });

  it('adds, updates and deletes real servers of every forwarding method: ipvsadm -Sn and --thresholds follow', async () => {
    await applyOk([
      { kind: 'addVirtualServer', virtualServer: sctp },
      { kind: 'addRealServer', virtualServer: sctp, realServer: rs('10.2.2.2', 9, { forward: 'tunnel', upperThreshold: 10, lowerThreshold: 5 }) },
      { kind: 'addRealServer', virtualServer: sctp, realServer: rs('10.2.2.3', 9, { forward: 'droute', weight: 0 }) },
      { kind: 'addVirtualServer', virtualServer: v6p },
      { kind: 'addRealServer', virtualServer: v6p, realServer: rs('fd00::5', 80, { upperThreshold: 100, lowerThreshold: 10 }) },
    ]);
    expect(ipvsadmSave()).to.deep.equal(
      [
        '-A --sctp-service 10.1.1.1:9 -s rr -p 60 -M 255.255.255.0',
        '-a --sctp-service 10.1.1.1:9 -r 10.2.2.2:9 -i -w 1 --tun-type ipip',
        '-a --sctp-service 10.1.1.1:9 -r 10.2.2.3:9 -g -w 0',
        '-A -t [fd00::20]:80 -s rr -p 300 -M 64',
        '-a -t [fd00::20]:80 -r [fd00::5]:80 -m -w 1',
      ].sort(),
    );
    expect(ipvsadmThresholds().sort()).to.deep.equal(['-> 10.2.2.2:9 10 5', '-> 10.2.2.3:9 0 0', '-> [fd00::5]:80 100 10']);

    await applyOk([
      { kind: 'updateVirtualServer', virtualServer: { ...sctp, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff } },
      { kind: 'updateRealServer', virtualServer: sctp, realServer: rs('10.2.2.3', 9, { forward: 'masq', weight: 4 }) },
      { kind: 'deleteRealServer', virtualServer: sctp, realServer: rs('10.2.2.2', 9) },
      { kind: 'deleteVirtualServer', virtualServer: v6p },
    ]);
    expect(ipvsadmSave()).to.deep.equal(['-A --sctp-service 10.1.1.1:9 -s wlc', '-a --sctp-service 10.1.1.1:9 -r 10.2.2.3:9 -m -w 4']);
  });

  it('failing operations return typed errors with their errno and leave ipvsadm -Sn unchanged', async () => {
    await applyOk([
      { kind: 'addVirtualServer', virtualServer: tcp },
      { kind: 'addRealServer', virtualServer: tcp, realServer: rs('10.244.0.9', 80) },
    ]);
    const before = ipvsadmSave();
    const missing = vs('10.96.9.9', 80);
    const result = await kernel.apply([
      { kind: 'addVirtualServer', virtualServer: { ...tcp, scheduler: 'wrr' } },
      { kind: 'addRealServer', virtualServer: tcp, realServer: rs('10.244.0.9', 80, { weight: 7 }) },
      { kind: 'updateVirtualServer', virtualServer: missing },
      { kind: 'deleteVirtualServer', virtualServer: missing },
      { kind: 'addRealServer', virtualServer: missing, realServer: rs('10.244.0.9', 80) },
      { kind: 'updateRealServer', virtualServer: tcp, realServer: rs('10.244.0.10', 80) },
      { kind: 'deleteRealServer', virtualServer: tcp, realServer: rs('10.244.0.10', 80) },
      { kind: 'addRealServer', virtualServer: tcp, realServer: rs('10.244.0.11', 80, { weight: -1 }) },
      { kind: 'addVirtualServer', virtualServer: vs('10.96.0.7', 80, { scheduler: 'nosuch' }) },
    ]);
    expect(result.applied).to.equal(0);
    expect(result.failures.map((f) => [f.index, f.error.errnoName, f.error.operation, f.error.key])).to.deep.equal([
      [0, 'EEXIST', 'ipvs.addVirtualServer', 'TCP/10.96.0.1:80'],
      [1, 'EEXIST', 'ipvs.addRealServer', 'TCP/10.96.0.1:80 -> 10.244.0.9:80'],
      [2, 'ESRCH', 'ipvs.updateVirtualServer', 'TCP/10.96.9.9:80'],
      [3, 'ESRCH', 'ipvs.deleteVirtualServer', 'TCP/10.96.9.9:80'],
      [4, 'ESRCH', 'ipvs.addRealServer', 'TCP/10.96.9.9:80 -> 10.244.0.9:80'],
      [5, 'ENOENT', 'ipvs.updateRealServer', 'TCP/10.96.0.1:80 -> 10.244.0.10:80'],
      [6, 'ENOENT', 'ipvs.deleteRealServer', 'TCP/10.96.0.1:80 -> 10.244.0.10:80'],
      [7, 'ERANGE', 'ipvs.addRealServer', 'TCP/10.96.0.1:80 -> 10.244.0.11:80'],
      [8, 'ENOENT', 'ipvs.addVirtualServer', 'TCP/10.96.0.7:80'],
    ]);
    expect(result.failures.every((f) => isKernelError(f.error) && f.error.code === 'KIPVS_KERNEL_ERRNO')).to.equal(true);
    expect(result.failures[0]?.error.errno).to.equal(E.EEXIST);
    expect(ipvsadmSave()).to.deep.equal(before);
  });

  it('reports the same counters as ipvsadm -Ln --stats after real traffic', async () => {
    sh('ip link add kipvs-w0 type dummy && ip link set kipvs-w0 up && ip addr add 10.96.0.1/32 dev kipvs-w0 && ip route add 10.244.0.0/24 dev kipvs-w0');
    const real = rs('10.244.0.9', 80);
    await applyOk([
      { kind: 'addVirtualServer', virtualServer: tcp },
      { kind: 'addRealServer', virtualServer: tcp, realServer: real },
    ]);
    // a SYN to the VIP is scheduled to the (silent) real server: one connection, some packets
    await new Promise<void>((resolve) => {
      const s = connect({ host: '10.96.0.1', port: 80 });
      s.on('error', () => resolve());
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 1500);
    });
    // The kernel folds per-CPU counters into what it reports every 2 s (its estimator): wait for the
    // connection to show, then take our reading between two identical witness readings.
    let witness = ipvsadmStats();
    let ours: Awaited<ReturnType<typeof kernel.listVirtualServers>>[number]['stats'] | undefined;
    let oursReal: Awaited<ReturnType<typeof kernel.listRealServers>>[number]['stats'] | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      const first = ipvsadmStats();
      ours = (await kernel.listVirtualServers())[0]?.stats;
      oursReal = (await kernel.listRealServers(tcp))[0]?.stats;
      witness = ipvsadmStats();
      const settled = JSON.stringify(first, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) === JSON.stringify(witness, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      if (settled && witness.find((r) => r.what === 'TCP 10.96.0.1:80')?.conns === 1n) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const wVs = witness.find((r) => r.what === 'TCP 10.96.0.1:80');
    const wRs = witness.find((r) => r.what === '-> 10.244.0.9:80');
    expect(wVs?.conns).to.equal(1n);
    expect((wVs?.inPkts ?? 0n) > 0n).to.equal(true);
    expect(ours).to.deep.equal({ connections: wVs?.conns, packetsIn: wVs?.inPkts, packetsOut: wVs?.outPkts, bytesIn: wVs?.inBytes, bytesOut: wVs?.outBytes });
    expect(oursReal).to.deep.equal({ connections: wRs?.conns, packetsIn: wRs?.inPkts, packetsOut: wRs?.outPkts, bytesIn: wRs?.inBytes, bytesOut: wRs?.outBytes });
    sh('ip link del kipvs-w0');
  });

  it('sets timeouts read back by ipvsadm -L --timeout', async () => {
    await kernel.setTimeouts({ tcp: 901, tcpFin: 121, udp: 301 });
    expect(run('ipvsadm', ['-L', '--timeout']).trim()).to.equal('Timeout (tcp tcpfin udp): 901 121 301');
    expect(await kernel.getTimeouts()).to.deep.equal({ tcp: 901, tcpFin: 121, udp: 301 });
    run('ipvsadm', ['--set', '900', '120', '300']);
    expect(await kernel.getTimeouts()).to.deep.equal({ tcp: 900, tcpFin: 120, udp: 300 });
  });

  it('flush empties the table ipvsadm sees', async () => {
    run('ipvsadm', ['-A', '-t', '10.96.0.1:80', '-s', 'rr']);
    run('ipvsadm', ['-A', '-f', '9', '-s', 'rr']);
    await kernel.flush();
    expect(ipvsadmSave()).to.deep.equal([]);
  });
});
