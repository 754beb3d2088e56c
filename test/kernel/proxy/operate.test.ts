// Running kube-ipvs-proxy the way operators configure it, in a real kernel: a KubeProxyConfiguration
// file, per-Service scheduler annotation, IPv6 ClusterIPs, lists in protobuf or JSON, and bad
// configuration refused before the kernel is touched. Checked with ipvsadm, ip and sysctl.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeApiServer, endpointSliceObject, nodeObject, serviceObject } from '../../support/fake-apiserver/index.js';
import { ProxyProcess, eventually } from '../../support/proxy-process.js';
import { ipAddresses, ipvsadmSave, run, sh } from '../../support/run.js';

const NODE = 'node-op';

describe('operating kube-ipvs-proxy', function () {
  this.timeout(120_000);
  let api: FakeApiServer;
  let kubeconfig: string;
  let proxy: ProxyProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'kipvs-operate-'));

  before(async () => {
    api = await FakeApiServer.start();
    kubeconfig = api.writeKubeconfig();
    api.create(nodeObject(NODE));
  });

  after(async () => {
    await proxy?.kill();
    ProxyProcess.runToEnd(['--cleanup']);
    await api.close();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && proxy) console.log(`--- proxy output ---\n${proxy.output.slice(-6000)}`);
  });

  it('refuses a bad configuration with the field named, and touches nothing in the kernel', () => {
    const tableBefore = ipvsadmSave();
    const linkBefore = sh('ip -o link show kube-ipvs0 2>&1 || true');
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nipvs:\n  syncPeriod: soon\n');
    const r = ProxyProcess.runToEnd(['--config', file, '--kubeconfig', kubeconfig]);
    expect(r.code).to.equal(2);
    expect(r.output).to.include('ipvs.syncPeriod');
    const flags = ProxyProcess.runToEnd(['--ipvs-scheduler', 'bogus', '--kubeconfig', kubeconfig]);
    expect(flags.code).to.equal(2);
    expect(flags.output).to.include('--ipvs-scheduler');
    expect(sh('ip -o link show kube-ipvs0 2>&1 || true')).to.equal(linkBefore);
    expect(ipvsadmSave()).to.deep.equal(tableBefore);
  });

  it('changes no sysctl when its client configuration is unusable (a mistyped --kubeconfig in a crash loop)', () => {
    sh('sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0 net.ipv4.vs.conntrack=0');
    const r = ProxyProcess.runToEnd(['--ipvs-strict-arp', '--kubeconfig', join(dir, 'no-such-kubeconfig')]);
    expect(r.code).to.equal(1);
    expect(r.output).to.include('no usable client configuration');
    expect(run('sysctl', ['-n', 'net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce', 'net.ipv4.vs.conntrack']).split('\n').map((l) => l.trim()).filter((l) => l !== '')).to.deep.equal(['0', '0', '0']);
  });

  it('runs from a KubeProxyConfiguration file: its scheduler, strict ARP and timeouts reach the kernel', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
        'kind: KubeProxyConfiguration',
        'mode: ipvs',
        `hostnameOverride: ${NODE}`,
        'healthzBindAddress: 127.0.0.1:10266',
        'metricsBindAddress: 127.0.0.1:10259',
        'clientConnection:',
        `  kubeconfig: ${kubeconfig}`,
        'ipvs:',
        '  scheduler: wrr',
        '  strictARP: true',
        '  minSyncPeriod: 0s',
        '  tcpTimeout: 901s',
        '  tcpFinTimeout: 121s',
        '  udpTimeout: 301s',
        '',
      ].join('\n'),
    );
    api.create(serviceObject('default', 'conf', { clusterIP: '10.96.1.10', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    api.create(endpointSliceObject('default', 'conf-1', 'conf', { endpoints: [{ addresses: ['10.244.1.5'] }], ports: [{ name: 'http', port: 8080 }] }));
    proxy = ProxyProcess.start(['--config', file]);
    await eventually('the wrr virtual server', () => ipvsadmSave().includes('-A -t 10.96.1.10:80 -s wrr'));
    expect(ipvsadmSave()).to.include('-a -t 10.96.1.10:80 -r 10.244.1.5:8080 -m -w 1');
    expect(run('ipvsadm', ['-L', '--timeout']).trim()).to.equal('Timeout (tcp tcpfin udp): 901 121 301');
    expect(run('sysctl', ['-n', 'net.ipv4.conf.all.arp_ignore']).trim()).to.equal('1');
    expect(run('sysctl', ['-n', 'net.ipv4.conf.all.arp_announce']).trim()).to.equal('2');
    expect(run('sysctl', ['-n', 'net.ipv4.vs.conntrack']).trim()).to.equal('1');
    expect(run('sysctl', ['-n', 'net.ipv4.vs.expire_nodest_conn']).trim()).to.equal('1');
    expect(run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:10266/healthz'])).to.equal('200');
    // Services and EndpointSlices were listed in protobuf, as kube-proxy lists them
    expect(api.requests.protobuf).to.equal(2);
  });

  it('writes the effective configuration back with --write-config-to, flags overriding the file', () => {
    const out = join(dir, 'effective.yaml');
    const r = ProxyProcess.runToEnd(['--config', join(dir, 'config.yaml'), '--ipvs-scheduler', 'lc', '--write-config-to', out]);
    expect(r.code, r.output).to.equal(0);
    const written = readFileSync(out, 'utf8');
    expect(written).to.include('kind: KubeProxyConfiguration');
    expect(written).to.match(/scheduler: lc/);
    expect(written).to.match(/strictARP: true/);
  });

  it('takes a per-Service scheduler from the annotation', async () => {
    const svc = serviceObject('default', 'hashed', { clusterIP: '10.96.1.20', ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
    svc.metadata = { ...(svc.metadata as object), annotations: { 'ipvs.kube-ipvs-proxy.io/scheduler': 'sh' } };
    api.create(svc);
    await eventually('the sh virtual server', () => ipvsadmSave().some((l) => l.startsWith('-A -t 10.96.1.20:80 -s sh')));
  });

  it('programs an IPv6 ClusterIP as a /128 on kube-ipvs0 and an IPv6 virtual server', async () => {
    api.create(serviceObject('default', 'six', { clusterIP: 'fd00:10:96::a', ipFamilies: ['IPv6'], ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    api.create(endpointSliceObject('default', 'six-1', 'six', { addressType: 'IPv6', endpoints: [{ addresses: ['fd00:10:244::5'] }], ports: [{ name: 'http', port: 8080 }] }));
    await eventually('the IPv6 virtual server', () => ipvsadmSave().includes('-a -t [fd00:10:96::a]:80 -r [fd00:10:244::5]:8080 -m -w 1'));
    expect(ipAddresses('kube-ipvs0')).to.include('fd00:10:96::a/128');
  });

  it('follows topology hints for its Node\'s zone, and uses every endpoint again when the Node loses its zone label', async () => {
    const zoned = (t: readonly string[]): boolean => t.includes('-a -t 10.96.1.40:80 -r 10.244.1.41:8080 -m -w 1') && !t.some((l) => l.includes('10.244.2.42'));
    api.update(nodeObject(NODE, { labels: { 'topology.kubernetes.io/zone': 'zone-a' } }));
    api.create(serviceObject('default', 'zoned', { clusterIP: '10.96.1.40', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    api.create(
      endpointSliceObject('default', 'zoned-1', 'zoned', {
        endpoints: [
          { addresses: ['10.244.1.41'], zone: 'zone-a', forZones: ['zone-a'] },
          { addresses: ['10.244.2.42'], zone: 'zone-b', forZones: ['zone-b'] },
        ],
        ports: [{ name: 'http', port: 8080 }],
      }),
    );
    await eventually('only the same-zone endpoint', () => zoned(ipvsadmSave()));
    api.update(nodeObject(NODE));
    await eventually('both endpoints', () => ipvsadmSave().includes('-a -t 10.96.1.40:80 -r 10.244.2.42:8080 -m -w 1'));
    expect(ipvsadmSave()).to.include('-a -t 10.96.1.40:80 -r 10.244.1.41:8080 -m -w 1');
  });

  it('stops on SIGTERM with exit 0 and leaves the kernel as it is', async () => {
    const before = ipvsadmSave();
    expect(await proxy?.stop()).to.equal(0);
    expect(ipvsadmSave()).to.deep.equal(before);
    expect(ipAddresses('kube-ipvs0')).to.include('10.96.1.10/32');
  });

  it('lists in JSON with --kube-api-content-type=application/json, and the kernel ends the same', async () => {
    const before = ipvsadmSave();
    const listsBefore = api.requests.list;
    const protobufBefore = api.requests.protobuf;
    api.create(serviceObject('default', 'json', { clusterIP: '10.96.1.30', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    api.create(endpointSliceObject('default', 'json-1', 'json', { endpoints: [{ addresses: ['10.244.1.30'] }], ports: [{ name: 'http', port: 8080 }] }));
    proxy = ProxyProcess.start(['--kubeconfig', kubeconfig, '--hostname-override', NODE, '--ipvs-min-sync-period', '0s', '--ipvs-scheduler', 'wrr', '--healthz-bind-address', '127.0.0.1:10266', '--metrics-bind-address', '127.0.0.1:10259', '--kube-api-content-type', 'application/json']);
    await eventually('the new Service', () => ipvsadmSave().includes('-a -t 10.96.1.30:80 -r 10.244.1.30:8080 -m -w 1'));
    expect(api.requests.list).to.be.above(listsBefore);
    expect(api.requests.protobuf).to.equal(protobufBefore);
    const now = ipvsadmSave();
    for (const line of before) expect(now, line).to.include(line);
  });

  it('--cleanup keeps kube-ipvs0 for an address --ipvs-exclude-cidrs protects, and removes only its own', async () => {
    expect(await proxy?.stop()).to.equal(0);
    proxy = undefined;
    sh('ip addr add 10.200.0.1/32 dev kube-ipvs0 && ipvsadm -A -t 10.200.0.1:443 -s rr');
    const r = ProxyProcess.runToEnd(['--cleanup', '--ipvs-exclude-cidrs', '10.200.0.0/16']);
    expect(r.code, r.output).to.equal(0);
    expect(r.output).to.include('the link stays for the addresses --ipvs-exclude-cidrs protects');
    expect(ipAddresses('kube-ipvs0')).to.deep.equal(['10.200.0.1/32']);
    expect(ipvsadmSave()).to.include('-A -t 10.200.0.1:443 -s rr');
    expect(ipvsadmSave().filter((l) => l.includes(' -t 10.96.') || l.includes('[fd00:10:96'))).to.deep.equal([]);
    sh('ipvsadm -D -t 10.200.0.1:443 && ip link del kube-ipvs0');
  });
});
