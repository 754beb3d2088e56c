import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  SysctlError,
  applyIpvsSysctls,
  checkBridgeNfCallIptables,
  desiredIpvsSysctls,
  parseKernelVersion,
  readSysctl,
  sysctlPath,
  writeSysctl,
} from '../../../src/sysctl/index.js';

const E = osConstants.errno;

describe('sysctl', () => {
  let root: string;
  const put = (name: string, value: string): void => {
    const p = join(root, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, `${value}\n`);
  };
  const get = (name: string): string => readFileSync(join(root, name), 'utf8');
  /** a node as after `modprobe ip_vs` on a fresh boot */
  const freshNode = (): void => {
    put('net/ipv4/vs/conntrack', '0');
    put('net/ipv4/vs/conn_reuse_mode', '1');
    put('net/ipv4/vs/expire_nodest_conn', '0');
    put('net/ipv4/vs/expire_quiescent_template', '0');
    put('net/ipv4/ip_forward', '0');
    put('net/ipv4/conf/all/arp_ignore', '0');
    put('net/ipv4/conf/all/arp_announce', '0');
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kipvs-sysctl-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  describe('files', () => {
    it('maps slash and dot names under the root, refusing escapes', () => {
      expect(sysctlPath('net/ipv4/vs/conntrack', '/r')).to.equal('/r/net/ipv4/vs/conntrack');
      expect(sysctlPath('net.ipv4.ip_forward', '/r')).to.equal('/r/net/ipv4/ip_forward');
      expect(() => sysctlPath('net/../../etc/passwd', '/r')).to.throw(RangeError);
      expect(() => sysctlPath('net//x', '/r')).to.throw(RangeError);
    });

    it('reads a value trimmed and writes it back', async () => {
      put('net/ipv4/ip_forward', '0');
      expect(await readSysctl('net/ipv4/ip_forward', root)).to.equal('0');
      await writeSysctl('net/ipv4/ip_forward', '1', root);
      expect(get('net/ipv4/ip_forward')).to.equal('1\n');
      put('net/ipv4/vs/conn_reuse_mode', '10');
      await writeSysctl('net.ipv4.vs.conn_reuse_mode', '0', root);
      expect(get('net/ipv4/vs/conn_reuse_mode')).to.equal('0\n');
    });

    it('says ENOENT with the path for a missing sysctl, and never creates it', async () => {
      const err = await readSysctl('net/ipv4/vs/conntrack', root).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(SysctlError).and.include({ errno: E.ENOENT, operation: 'sysctl.read', key: 'net/ipv4/vs/conntrack' });
      expect((err as SysctlError).path).to.equal(join(root, 'net/ipv4/vs/conntrack'));
      expect((err as Error).message).to.match(/ENOENT.*ip_vs/);
      mkdirSync(join(root, 'net/ipv4/vs'), { recursive: true });
      const werr = await writeSysctl('net/ipv4/vs/conntrack', '1', root).catch((e: unknown) => e);
      expect(werr).to.be.instanceOf(SysctlError).and.include({ errno: E.ENOENT, operation: 'sysctl.write' });
      expect(() => get('net/ipv4/vs/conntrack')).to.throw();
    });

    it('carries the errno of other failures (a directory: EISDIR)', async () => {
      mkdirSync(join(root, 'net/ipv4/conf'), { recursive: true });
      const err = await writeSysctl('net/ipv4/conf', '1', root).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(SysctlError).and.include({ errno: E.EISDIR });
    });
  });

  describe("kube-proxy's IPVS set", () => {
    const names = (release: string, strictArp = false): string[] => desiredIpvsSysctls({ strictArp, kernelRelease: release }).map((s) => `${s.name}=${s.value}`);

    it('parses kernel releases', () => {
      expect(parseKernelVersion('5.4.0-150-generic')).to.deep.equal([5, 4]);
      expect(parseKernelVersion('7.2.0-1-amd64')).to.deep.equal([7, 2]);
      expect(parseKernelVersion('weird')).to.equal(undefined);
    });

    it('sets conn_reuse_mode=0 only on 4.1 to 5.8', () => {
      const reuse = 'net/ipv4/vs/conn_reuse_mode=0';
      expect(names('4.0.9')).to.not.include(reuse);
      expect(names('4.1.0')).to.include(reuse);
      expect(names('5.4.0-150-generic')).to.include(reuse);
      expect(names('5.8.18')).to.include(reuse);
      expect(names('5.9.0')).to.not.include(reuse);
      expect(names('6.18.0')).to.not.include(reuse);
      expect(names('unparseable')).to.not.include(reuse);
    });

    it('asks for strict ARP only when told', () => {
      expect(names('6.1.0')).to.deep.equal([
        'net/ipv4/vs/conntrack=1',
        'net/ipv4/vs/expire_nodest_conn=1',
        'net/ipv4/vs/expire_quiescent_template=1',
        'net/ipv4/ip_forward=1',
      ]);
      expect(names('6.1.0', true).slice(-2)).to.deep.equal(['net/ipv4/conf/all/arp_ignore=1', 'net/ipv4/conf/all/arp_announce=2']);
    });

    it('writes what differs, reports it, and changes nothing the second time', async () => {
      freshNode();
      put('net/ipv4/ip_forward', '1');
      const first = await applyIpvsSysctls({ strictArp: true, kernelRelease: '5.4.0', root });
      expect(first.failures).to.deep.equal([]);
      expect(first.changed).to.deep.equal([
        { name: 'net/ipv4/vs/conntrack', from: '0', to: '1' },
        { name: 'net/ipv4/vs/conn_reuse_mode', from: '1', to: '0' },
        { name: 'net/ipv4/vs/expire_nodest_conn', from: '0', to: '1' },
        { name: 'net/ipv4/vs/expire_quiescent_template', from: '0', to: '1' },
        { name: 'net/ipv4/conf/all/arp_ignore', from: '0', to: '1' },
        { name: 'net/ipv4/conf/all/arp_announce', from: '0', to: '2' },
      ]);
      expect(get('net/ipv4/conf/all/arp_announce')).to.equal('2\n');
      const second = await applyIpvsSysctls({ strictArp: true, kernelRelease: '5.4.0', root });
      expect(second).to.deep.equal({ changed: [], failures: [] });
    });

    it('leaves conn_reuse_mode and ARP alone on a new kernel without strict ARP', async () => {
      freshNode();
      const report = await applyIpvsSysctls({ strictArp: false, kernelRelease: '6.12.0', root });
      expect(report.changed.map((c) => c.name)).to.not.include.members(['net/ipv4/vs/conn_reuse_mode', 'net/ipv4/conf/all/arp_ignore']);
      expect(get('net/ipv4/vs/conn_reuse_mode')).to.equal('1\n');
      expect(get('net/ipv4/conf/all/arp_ignore')).to.equal('0\n');
    });

    it('reports ENOENT for each vs/* sysctl when ip_vs is not loaded and still sets the rest', async () => {
      put('net/ipv4/ip_forward', '0');
      const report = await applyIpvsSysctls({ strictArp: false, kernelRelease: '6.12.0', root });
      expect(report.changed).to.deep.equal([{ name: 'net/ipv4/ip_forward', from: '0', to: '1' }]);
      expect(report.failures.map((f) => [f.key, f.errnoName])).to.deep.equal([
        ['net/ipv4/vs/conntrack', 'ENOENT'],
        ['net/ipv4/vs/expire_nodest_conn', 'ENOENT'],
        ['net/ipv4/vs/expire_quiescent_template', 'ENOENT'],
      ]);
    });
  });

  describe('bridge-nf-call-iptables check', () => {
    it('reads enabled, disabled and absent, and never writes', async () => {
      expect(await checkBridgeNfCallIptables(root)).to.deep.equal({ state: 'absent' });
      put('net/bridge/bridge-nf-call-iptables', '0');
      expect(await checkBridgeNfCallIptables(root)).to.deep.equal({ state: 'disabled', value: '0' });
      expect(get('net/bridge/bridge-nf-call-iptables')).to.equal('0\n');
      put('net/bridge/bridge-nf-call-iptables', '1');
      expect(await checkBridgeNfCallIptables(root)).to.deep.equal({ state: 'enabled' });
    });

    it('reports other read failures as unreadable with the errno', async () => {
      mkdirSync(join(root, 'net/bridge/bridge-nf-call-iptables'), { recursive: true });
      const r = await checkBridgeNfCallIptables(root);
      expect(r.state).to.equal('unreadable');
      if (r.state === 'unreadable') expect(r.error.errno).to.equal(E.EISDIR);
    });
  });
});
