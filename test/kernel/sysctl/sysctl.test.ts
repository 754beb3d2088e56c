// The sysctl module against the kernel's own /proc/sys, read back with `sysctl -n`.
import { expect } from 'chai';
import { constants as osConstants, release } from 'node:os';
import { SysctlError, applyIpvsSysctls, checkBridgeNfCallIptables, parseKernelVersion, readSysctl, writeSysctl } from '../../../src/sysctl/index.js';
import { run } from '../../support/run.js';

const E = osConstants.errno;
const sysctlN = (name: string): string => run('sysctl', ['-n', name.replaceAll('/', '.')]).trim();

describe('sysctls in the kernel', () => {
  const touched = [
    'net/ipv4/vs/conntrack',
    'net/ipv4/vs/conn_reuse_mode',
    'net/ipv4/vs/expire_nodest_conn',
    'net/ipv4/vs/expire_quiescent_template',
    'net/ipv4/ip_forward',
    'net/ipv4/conf/all/arp_ignore',
    'net/ipv4/conf/all/arp_announce',
  ];
  const saved = new Map<string, string>();
  before(() => {
    for (const n of touched) saved.set(n, sysctlN(n));
  });
  after(() => {
    for (const [n, v] of saved) run('sysctl', ['-qw', `${n.replaceAll('/', '.')}=${v}`]);
  });

  it("applies kube-proxy's IPVS set with strict ARP, read back by sysctl, and changes nothing the second time", async () => {
    for (const n of ['net/ipv4/vs/conntrack', 'net/ipv4/vs/expire_nodest_conn', 'net/ipv4/ip_forward', 'net/ipv4/conf/all/arp_announce']) {
      run('sysctl', ['-qw', `${n.replaceAll('/', '.')}=0`]);
    }
    const reuseBefore = sysctlN('net/ipv4/vs/conn_reuse_mode');
    const first = await applyIpvsSysctls({ strictArp: true });
    expect(first.failures).to.deep.equal([]);
    expect(first.changed.map((c) => c.name)).to.include.members([
      'net/ipv4/vs/conntrack',
      'net/ipv4/vs/expire_nodest_conn',
      'net/ipv4/ip_forward',
      'net/ipv4/conf/all/arp_announce',
    ]);
    expect(sysctlN('net/ipv4/vs/conntrack')).to.equal('1');
    expect(sysctlN('net/ipv4/vs/expire_nodest_conn')).to.equal('1');
    expect(sysctlN('net/ipv4/vs/expire_quiescent_template')).to.equal('1');
    expect(sysctlN('net/ipv4/ip_forward')).to.equal('1');
    expect(sysctlN('net/ipv4/conf/all/arp_ignore')).to.equal('1');
    expect(sysctlN('net/ipv4/conf/all/arp_announce')).to.equal('2');
    const v = parseKernelVersion(release());
    if (v !== undefined && (v[0] > 5 || (v[0] === 5 && v[1] >= 9))) {
      expect(sysctlN('net/ipv4/vs/conn_reuse_mode'), 'left alone on >= 5.9').to.equal(reuseBefore);
    } else {
      expect(sysctlN('net/ipv4/vs/conn_reuse_mode')).to.equal('0');
    }
    expect(await applyIpvsSysctls({ strictArp: true })).to.deep.equal({ changed: [], failures: [] });
  });

  it('reads and writes one sysctl as sysctl sees it', async () => {
    run('sysctl', ['-qw', 'net.ipv4.vs.expire_quiescent_template=0']);
    expect(await readSysctl('net/ipv4/vs/expire_quiescent_template')).to.equal('0');
    await writeSysctl('net.ipv4.vs.expire_quiescent_template', '1');
    expect(sysctlN('net/ipv4/vs/expire_quiescent_template')).to.equal('1');
  });

  it('says ENOENT for a sysctl the kernel does not have, EACCES for a read-only one, EINVAL for a bad value', async () => {
    const missing = await readSysctl('net/ipv4/vs/no_such_knob').catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(SysctlError).and.include({ errno: E.ENOENT, path: '/proc/sys/net/ipv4/vs/no_such_knob' });
    const readOnly = await writeSysctl('kernel/version', 'x').catch((e: unknown) => e);
    expect(readOnly).to.be.instanceOf(SysctlError).and.include({ errno: E.EACCES, operation: 'sysctl.write' });
    const bad = await writeSysctl('net/ipv4/vs/conntrack', 'yes').catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(SysctlError).and.include({ errno: E.EINVAL });
  });

  it('reports bridge-nf-call-iptables as the kernel has it, without writing it', async () => {
    let expected: string | undefined;
    try {
      expected = sysctlN('net/bridge/bridge-nf-call-iptables');
    } catch {
      expected = undefined; // br_netfilter not loaded
    }
    const r = await checkBridgeNfCallIptables();
    if (expected === undefined) expect(r).to.deep.equal({ state: 'absent' });
    else if (expected === '1') expect(r).to.deep.equal({ state: 'enabled' });
    else expect(r).to.deep.equal({ state: 'disabled', value: expected });
    expect(expected === undefined ? undefined : sysctlN('net/bridge/bridge-nf-call-iptables')).to.equal(expected);
  });
});
