// The seed's story end to end, in a real kernel: pods are network namespaces on a bridge, the API
// server is our fake one speaking the real protocol, and kube-ipvs-proxy is the built command.
// Everything is checked the way an operator would: ipvsadm, ip, curl.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { FakeApiServer, endpointSliceObject, nodeObject, serviceObject, type EndpointSpec } from '../../support/fake-apiserver/index.js';
import { PodNetwork, type Pod } from '../../support/pods.js';
import { ProxyProcess, eventually } from '../../support/proxy-process.js';
import { ipAddresses, ipvsadmSave, run, sh } from '../../support/run.js';

const NODE = 'node-1';
const HEALTHZ = '127.0.0.1:10256';
const METRICS = '127.0.0.1:10249';

function curlNode(url: string): string {
  return run('curl', ['-sS', '--fail', '--max-time', '5', url]);
}

/** HTTP status and body of a local endpoint (health/metrics), without failing on 503. */
function httpGet(url: string): { status: number; body: string } {
  const out = run('curl', ['-sS', '--max-time', '5', '-w', '\n%{http_code}', url]);
  const i = out.lastIndexOf('\n');
  return { status: Number(out.slice(i + 1)), body: out.slice(0, i) };
}

function metricValue(exposition: string, series: string): number {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

function udpAsk(pod: Pod, host: string, port: number): string {
  return pod.exec('bash', ['-c', `exec 3<>/dev/udp/${host}/${port}; echo hello >&3; timeout 3 head -n 1 <&3`]).trim();
}

function endpoints(...pods: Array<[string, boolean?]>): EndpointSpec[] {
  return pods.map(([ip, ready]) => ({ addresses: [ip], ready: ready ?? true, nodeName: NODE }));
}

describe('kube-ipvs-proxy end to end (the seed story)', function () {
  this.timeout(180_000);
  const net = new PodNetwork();
  let api: FakeApiServer;
  let kubeconfig: string;
  let proxy: ProxyProcess | undefined;
  let client: Pod;
  const proxyArgs = (): string[] => [
    '--kubeconfig', kubeconfig,
    '--hostname-override', NODE,
    '--ipvs-min-sync-period', '0s',
    '--ipvs-sync-period', '2s',
    '--healthz-bind-address', HEALTHZ,
    '--metrics-bind-address', METRICS,
    '-v', '4',
  ];
  const startProxy = (): ProxyProcess => (proxy = ProxyProcess.start(proxyArgs()));
  const table = (): string[] => ipvsadmSave();
  const hasLines = (...lines: string[]) => () => {
    const t = table();
    return lines.every((l) => t.includes(l)) ? t : undefined;
  };

  before(async () => {
    net.setUp();
    for (const [name, octet] of [['web-1', 11], ['web-2', 12], ['web-3', 13]] as const) await net.addPod(name, octet, { http: 8080, udp: 5353 });
    client = await net.addPod('client', 99);
    // an administrator's own rule, on an address we do not own: it must survive everything
    run('ipvsadm', ['-A', '-t', '192.0.2.1:80', '-s', 'wrr']);
    run('ipvsadm', ['-a', '-t', '192.0.2.1:80', '-r', '10.244.0.11:8080', '-m']);
    api = await FakeApiServer.start();
    kubeconfig = api.writeKubeconfig();
    api.create(nodeObject(NODE, { internalIPs: ['10.244.0.1'] }));
  });

  after(async () => {
    if (proxy) await proxy.kill();
    ProxyProcess.runToEnd(['--cleanup']);
    sh('ipvsadm -D -t 192.0.2.1:80 2>/dev/null; true');
    net.tearDown();
    await api?.close();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && proxy) console.log(`--- proxy output ---\n${proxy.output.slice(-6000)}`);
  });

  it('maps a Service ClusterIP to its pod: ipvsadm shows it, kube-ipvs0 holds it, curl through it answers', async () => {
    startProxy();
    api.create(serviceObject('default', 'web', { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 'http' }] }));
    api.create(endpointSliceObject('default', 'web-abc', 'web', { endpoints: endpoints(['10.244.0.11']), ports: [{ name: 'http', port: 8080 }] }));
    await eventually('the virtual server', hasLines('-A -t 10.96.0.10:80 -s rr', '-a -t 10.96.0.10:80 -r 10.244.0.11:8080 -m -w 1'));
    expect(ipAddresses('kube-ipvs0')).to.include('10.96.0.10/32');
    const link = JSON.parse(run('ip', ['-j', '-d', 'link', 'show', 'kube-ipvs0'])) as Array<{ linkinfo?: { info_kind?: string } }>;
    expect(link[0]?.linkinfo?.info_kind).to.equal('dummy');
    expect(client.curl('http://10.244.0.11:8080/')).to.equal('web-1\n'); // the pod IP, directly
    expect(client.curl('http://10.96.0.10/')).to.equal('web-1\n'); // the Service IP, from a pod
    expect(curlNode('http://10.96.0.10/')).to.equal('web-1\n'); // and from the node
  });

  it('leaves the administrator\'s IPVS rule alone', () => {
    expect(table()).to.include.members(['-A -t 192.0.2.1:80 -s wrr', '-a -t 192.0.2.1:80 -r 10.244.0.11:8080 -m -w 1']);
  });

  it('scales 1 → 3: every pod answers through the ClusterIP', async () => {
    api.update(endpointSliceObject('default', 'web-abc', 'web', { endpoints: endpoints(['10.244.0.11'], ['10.244.0.12'], ['10.244.0.13']), ports: [{ name: 'http', port: 8080 }] }));
    await eventually('three real servers', hasLines('-a -t 10.96.0.10:80 -r 10.244.0.12:8080 -m -w 1', '-a -t 10.96.0.10:80 -r 10.244.0.13:8080 -m -w 1'));
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) seen.add(client.curl('http://10.96.0.10/').trim());
    expect([...seen].sort()).to.deep.equal(['web-1', 'web-2', 'web-3']);
  });

  it('gives an endpoint that turns not-ready no new connections', async () => {
    api.update(endpointSliceObject('default', 'web-abc', 'web', { endpoints: endpoints(['10.244.0.11'], ['10.244.0.12', false], ['10.244.0.13']), ports: [{ name: 'http', port: 8080 }] }));
    await eventually('web-2 out of rotation', () => (table().some((l) => l.startsWith('-a -t 10.96.0.10:80 -r 10.244.0.12:8080') && !l.endsWith('-w 0')) ? undefined : true));
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) seen.add(client.curl('http://10.96.0.10/').trim());
    expect([...seen].sort()).to.deep.equal(['web-1', 'web-3']);
  });

  it('serves a multi-port Service with named target ports', async () => {
    api.create(serviceObject('default', 'multi', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'admin', port: 8081, targetPort: 'adm' }] }));
    api.create(endpointSliceObject('default', 'multi-1', 'multi', { endpoints: endpoints(['10.244.0.12']), ports: [{ name: 'http', port: 8080 }, { name: 'admin', port: 8080 }] }));
    await eventually('both ports', hasLines('-a -t 10.96.0.20:80 -r 10.244.0.12:8080 -m -w 1', '-a -t 10.96.0.20:8081 -r 10.244.0.12:8080 -m -w 1'));
    expect(client.curl('http://10.96.0.20/')).to.equal('web-2\n');
    expect(client.curl('http://10.96.0.20:8081/')).to.equal('web-2\n');
  });

  it('serves UDP', async () => {
    api.create(serviceObject('default', 'dns', { clusterIP: '10.96.0.53', ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }] }));
    api.create(endpointSliceObject('default', 'dns-1', 'dns', { endpoints: endpoints(['10.244.0.13']), ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }] }));
    await eventually('the UDP virtual server', hasLines('-A -u 10.96.0.53:53 -s rr', '-a -u 10.96.0.53:53 -r 10.244.0.13:5353 -m -w 1'));
    expect(udpAsk(client, '10.96.0.53', 53)).to.equal('web-3');
  });

  it('keeps a client on one pod with sessionAffinity ClientIP', async () => {
    api.create(serviceObject('default', 'sticky', {
      clusterIP: '10.96.0.30',
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
    }));
    api.create(endpointSliceObject('default', 'sticky-1', 'sticky', { endpoints: endpoints(['10.244.0.11'], ['10.244.0.12'], ['10.244.0.13']), ports: [{ name: 'http', port: 8080 }] }));
    await eventually('a persistent virtual server', hasLines('-A -t 10.96.0.30:80 -s rr -p 600'));
    await eventually('its three real servers', () => table().filter((l) => l.startsWith('-a -t 10.96.0.30:80')).length === 3);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(client.curl('http://10.96.0.30/').trim());
    expect(seen.size).to.equal(1);
  });

  it('skips invalid objects with a log line and a metric, and keeps serving the others', async () => {
    api.create(serviceObject('default', 'bad-ip', { clusterIP: '10.96.0.999', ports: [{ name: 'http', port: 80 }] }));
    api.create(serviceObject('default', 'bad-proto', { clusterIP: '10.96.0.41', ports: [{ name: 'x', port: 80, protocol: 'ICMP' as 'TCP' }] }));
    api.create(endpointSliceObject('default', 'web-bad', 'web', { endpoints: [{ addresses: ['not-an-ip'] }], ports: [{ name: 'http', port: 8080 }] }));
    const metrics = await eventually('rejections counted', () => {
      const m = httpGet(`http://${METRICS}/metrics`).body;
      return m.includes('kube_ipvs_proxy_objects_rejected_total{') ? m : undefined;
    });
    expect(metrics).to.match(/kube_ipvs_proxy_objects_rejected_total\{reason="[A-Za-z]+"\} [1-9]/);
    expect(proxy?.running).to.equal(true);
    expect(table().some((l) => l.includes('10.96.0.41'))).to.equal(false);
    expect(client.curl('http://10.96.0.10/')).to.match(/^web-[13]\n$/);
    expect(proxy?.output).to.match(/skipped invalid part of a cluster object/);
  });

  it('exposes kube-proxy\'s metrics, and they move when Services change', async () => {
    const before = httpGet(`http://${METRICS}/metrics`).body;
    for (const name of [
      'kubeproxy_sync_proxy_rules_duration_seconds_count',
      'kubeproxy_sync_proxy_rules_last_timestamp_seconds',
      'kubeproxy_network_programming_duration_seconds_count',
      'kubeproxy_sync_proxy_rules_service_changes_total',
      'kubeproxy_sync_proxy_rules_endpoint_changes_total',
      'kube_ipvs_proxy_virtual_servers',
      // the process's own, as client_golang gives kube-proxy's
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
    ]) expect(before, name).to.include(`\n${name} `);
    api.create(serviceObject('default', 'counted', { clusterIP: '10.96.0.44', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    await eventually('the new virtual server', hasLines('-A -t 10.96.0.44:80 -s rr'));
    const after = await eventually('metrics moved', () => {
      const m = httpGet(`http://${METRICS}/metrics`).body;
      return metricValue(m, 'kube_ipvs_proxy_virtual_servers') > metricValue(before, 'kube_ipvs_proxy_virtual_servers') ? m : undefined;
    });
    expect(metricValue(after, 'kubeproxy_sync_proxy_rules_service_changes_total')).to.be.greaterThan(metricValue(before, 'kubeproxy_sync_proxy_rules_service_changes_total'));
    expect(metricValue(after, 'kubeproxy_sync_proxy_rules_duration_seconds_count')).to.be.greaterThan(metricValue(before, 'kubeproxy_sync_proxy_rules_duration_seconds_count'));
    // client-go's request series (two lists, two watches and the Node's at least), and kube-proxy's /configz
    expect(metricValue(after, `rest_client_requests_total{code="200",host="${new URL(api.url).host}",method="GET"}`)).to.be.at.least(4);
    const configz = JSON.parse(httpGet(`http://${METRICS}/configz`).body) as Record<string, { mode?: string; metricsBindAddress?: string }>;
    expect(configz['kubeproxy.config.k8s.io']).to.include({ mode: 'ipvs', metricsBindAddress: METRICS });
  });

  it('puts back a real server deleted by hand, at the next audit', async () => {
    run('ipvsadm', ['-d', '-t', '10.96.0.10:80', '-r', '10.244.0.13:8080']);
    expect(table()).to.not.include('-a -t 10.96.0.10:80 -r 10.244.0.13:8080 -m -w 1');
    await eventually('the real server back', hasLines('-a -t 10.96.0.10:80 -r 10.244.0.13:8080 -m -w 1'), 20_000);
  });

  it('answers /healthz 200, turns 503 while changes cannot be applied, and 200 again once they can', async () => {
    await eventually('healthy', () => httpGet(`http://${HEALTHZ}/healthz`).status === 200);
    const body = JSON.parse(httpGet(`http://${HEALTHZ}/healthz`).body) as Record<string, unknown>;
    expect(body).to.have.keys('lastUpdated', 'currentTime', 'nodeEligible');
    // someone replaces kube-ipvs0 by a bridge: the proxy must not touch it, so nothing can be applied
    sh('ip link del kube-ipvs0 && ip link add kube-ipvs0 type bridge');
    api.create(serviceObject('default', 'blocked', { clusterIP: '10.96.0.45', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    await eventually('/healthz 503', () => httpGet(`http://${HEALTHZ}/healthz`).status === 503, 30_000);
    expect(httpGet(`http://${HEALTHZ}/livez`).status).to.equal(503);
    sh('ip link del kube-ipvs0');
    await eventually('/healthz 200 again', () => httpGet(`http://${HEALTHZ}/healthz`).status === 200, 30_000);
    await eventually('the blocked change applied, link back as a dummy', hasLines('-A -t 10.96.0.45:80 -s rr'));
    expect(ipAddresses('kube-ipvs0')).to.include.members(['10.96.0.10/32', '10.96.0.45/32']);
  });

  it('keeps a long download through the ClusterIP alive across a proxy restart, and rewrites nothing', async () => {
    const tableBefore = table();
    const download = spawn('ip', ['netns', 'exec', 'client', 'curl', '-sS', '--max-time', '60', '-o', '/dev/null', '-w', '%{size_download}', 'http://10.96.0.10/slow?bytes=3000000&rate=600000']);
    let size = '';
    download.stdout.on('data', (d: Buffer) => (size += d.toString()));
    const done = new Promise<number | null>((resolve) => download.on('exit', resolve));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await proxy?.stop()).to.equal(0);
    expect(table()).to.deep.equal(tableBefore); // a stop leaves the kernel as it is
    startProxy();
    await eventually('the new proxy healthy', () => httpGet(`http://${HEALTHZ}/healthz`).status === 200, 30_000);
    expect(await done).to.equal(0);
    expect(Number(size)).to.equal(3_000_000);
    expect(table()).to.deep.equal(tableBefore);
  });

  it('reconciles what changed while it was down, without touching the rest', async () => {
    await proxy?.kill();
    api.delete('services', 'default', 'counted');
    api.update(endpointSliceObject('default', 'multi-1', 'multi', { endpoints: endpoints(['10.244.0.13']), ports: [{ name: 'http', port: 8080 }, { name: 'admin', port: 8080 }] }));
    startProxy();
    await eventually('multi moved to web-3', hasLines('-a -t 10.96.0.20:80 -r 10.244.0.13:8080 -m -w 1'));
    await eventually('counted gone', () => !table().some((l) => l.includes('10.96.0.44')));
    expect(ipAddresses('kube-ipvs0')).to.not.include('10.96.0.44/32');
    expect(table()).to.include('-A -t 192.0.2.1:80 -s wrr');
    expect(client.curl('http://10.96.0.20/')).to.equal('web-3\n');
  });

  it('lets a download through a deleted Service finish, then removes its virtual server and address', async () => {
    api.create(serviceObject('default', 'drain', { clusterIP: '10.96.0.60', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    api.create(endpointSliceObject('default', 'drain-1', 'drain', { endpoints: endpoints(['10.244.0.12']), ports: [{ name: 'http', port: 8080 }] }));
    await eventually('the drain virtual server', hasLines('-a -t 10.96.0.60:80 -r 10.244.0.12:8080 -m -w 1'));
    const download = spawn('ip', ['netns', 'exec', 'client', 'curl', '-sS', '--max-time', '60', '-o', '/dev/null', '-w', '%{size_download}', 'http://10.96.0.60/slow?bytes=3000000&rate=600000']);
    let size = '';
    download.stdout.on('data', (d: Buffer) => (size += d.toString()));
    const done = new Promise<number | null>((resolve) => download.on('exit', resolve));
    await eventually('the download under way', () => /10\.244\.0\.12:8080\s+Masq\s+1\s+1\s/.test(run('ipvsadm', ['-Ln', '-t', '10.96.0.60:80'])));
    api.delete('services', 'default', 'drain');
    // the real server drains at weight 0; the virtual server and its address stay meanwhile
    await eventually('weight 0', hasLines('-A -t 10.96.0.60:80 -s rr', '-a -t 10.96.0.60:80 -r 10.244.0.12:8080 -m -w 0'));
    expect(ipAddresses('kube-ipvs0')).to.include('10.96.0.60/32');
    expect(await done).to.equal(0);
    expect(Number(size)).to.equal(3_000_000);
    await eventually('the virtual server gone', () => !table().some((l) => l.includes('10.96.0.60')), 60_000);
    await eventually('its address unbound', () => !ipAddresses('kube-ipvs0').includes('10.96.0.60/32'));
  });

  it('removes a deleted Service\'s virtual servers and its address', async () => {
    api.delete('services', 'default', 'multi');
    await eventually('multi gone', () => !table().some((l) => l.includes('10.96.0.20')));
    await eventually('its address unbound', () => !ipAddresses('kube-ipvs0').includes('10.96.0.20/32'));
  });

  it('--cleanup removes what it owns and kube-ipvs0, and nothing else', async () => {
    expect(await proxy?.stop()).to.equal(0);
    const r = ProxyProcess.runToEnd(['--cleanup']);
    expect(r.code, r.output).to.equal(0);
    expect(table()).to.deep.equal(['-A -t 192.0.2.1:80 -s wrr', '-a -t 192.0.2.1:80 -r 10.244.0.11:8080 -m -w 1']);
    expect(sh('ip link show kube-ipvs0 2>&1 || true')).to.match(/does not exist/);
  });
});
