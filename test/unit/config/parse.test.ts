// The effective configuration from flags and a KubeProxyConfiguration file: defaults, precedence,
// every invalid input named by its flag or field, and the --write-config-to round trip.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  ConfigError,
  parseProxyConfig,
  renderKubeProxyConfiguration,
  type ConfigEnvironment,
  type ProxyConfig,
} from '../../../src/config/index.js';

function envWith(files: Record<string, string> = {}, over: Partial<ConfigEnvironment> = {}): ConfigEnvironment {
  return {
    hostname: 'Worker-1.Example',
    stderrIsTTY: false,
    readFile: (path: string): string => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
    ...over,
  };
}

function configOf(argv: string[], env: ConfigEnvironment = envWith()): ProxyConfig {
  const r = parseProxyConfig(argv, env);
  if (r.kind !== 'config') throw new Error(`expected a config, got ${r.kind === 'error' ? r.error.message : r.kind}`);
  return r.config;
}

function errorOf(argv: string[], env: ConfigEnvironment = envWith()): ConfigError {
  const r = parseProxyConfig(argv, env);
  if (r.kind !== 'error') throw new Error(`expected an error, got ${r.kind}`);
  return r.error;
}

const header = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n';

describe('config/parseProxyConfig', () => {
  it('gives kube-proxy defaults when nothing is set', () => {
    const c = configOf([]);
    expect(c).to.deep.equal({
      nodeName: 'worker-1.example',
      hostnameOverride: undefined,
      kubeconfig: undefined,
      master: undefined,
      kubeApiContentType: 'application/vnd.kubernetes.protobuf',
      ipvs: {
        scheduler: 'rr',
        syncPeriodMs: 30_000,
        minSyncPeriodMs: 0,
        excludeCIDRs: [],
        strictARP: false,
        tcpTimeoutMs: 0,
        tcpFinTimeoutMs: 0,
        udpTimeoutMs: 0,
        gracefulPeriodMs: 900_000,
      },
      clusterCIDRs: [],
      bindAddress: undefined,
      healthzBindAddress: { host: '0.0.0.0', port: 10256 },
      metricsBindAddress: { host: '127.0.0.1', port: 10249 },
      serviceProxyName: undefined,
      verbosity: 0,
      logFormat: 'json',
      cleanup: false,
      writeConfigTo: undefined,
      configFile: undefined,
    });
  });

  it('logs text by default when stderr is a terminal', () => {
    expect(configOf([], envWith({}, { stderrIsTTY: true })).logFormat).to.equal('text');
    expect(configOf(['--log-format=json'], envWith({}, { stderrIsTTY: true })).logFormat).to.equal('json');
  });

  it('reads every flag', () => {
    const c = configOf([
      '--kubeconfig=/etc/k/kubeconfig',
      '--master=https://10.0.0.1:6443',
      '--hostname-override=Node-A',
      '--proxy-mode=ipvs',
      '--ipvs-scheduler=wlc',
      '--ipvs-sync-period=1m',
      '--ipvs-min-sync-period=2s',
      '--ipvs-exclude-cidrs=10.1.0.0/16, fd00::/64',
      '--ipvs-strict-arp',
      '--ipvs-tcp-timeout=15m',
      '--ipvs-tcpfin-timeout=2m',
      '--ipvs-udp-timeout=300s',
      '--ipvs-graceful-period=2m',
      '--cluster-cidr=10.244.0.0/16,fd10::/56',
      '--bind-address=192.168.1.5',
      '--healthz-bind-address=[::]:10256',
      '--metrics-bind-address=0.0.0.0:10249',
      '--service-proxy-name=kube-ipvs-proxy',
      '--v=4',
      '--log-format=text',
      '--cleanup',
      '--write-config-to=/tmp/out.yaml',
    ]);
    expect(c.nodeName).to.equal('node-a');
    expect(c.hostnameOverride).to.equal('Node-A');
    expect(c.kubeconfig).to.equal('/etc/k/kubeconfig');
    expect(c.master).to.equal('https://10.0.0.1:6443');
    expect(c.ipvs).to.deep.equal({
      scheduler: 'wlc',
      syncPeriodMs: 60_000,
      minSyncPeriodMs: 2000,
      excludeCIDRs: ['10.1.0.0/16', 'fd00::/64'],
      strictARP: true,
      tcpTimeoutMs: 900_000,
      tcpFinTimeoutMs: 120_000,
      udpTimeoutMs: 300_000,
      gracefulPeriodMs: 120_000,
    });
    expect(c.clusterCIDRs).to.deep.equal(['10.244.0.0/16', 'fd10::/56']);
    expect(c.bindAddress).to.equal('192.168.1.5');
    expect(c.healthzBindAddress).to.deep.equal({ host: '::', port: 10256 });
    expect(c.metricsBindAddress).to.deep.equal({ host: '0.0.0.0', port: 10249 });
    expect(c.serviceProxyName).to.equal('kube-ipvs-proxy');
    expect(c.verbosity).to.equal(4);
    expect(c.logFormat).to.equal('text');
    expect(c.cleanup).to.equal(true);
    expect(c.writeConfigTo).to.equal('/tmp/out.yaml');
  });

  for (const argv of [['-v=3'], ['--v=3'], ['-v', '3'], ['-v3'], ['--v', '3']]) {
    it(`reads verbosity from ${argv.join(' ')}`, () => {
      expect(configOf(argv).verbosity).to.equal(3);
    });
  }

  it('accepts Go boolean spellings and lets the last repeated flag win', () => {
    expect(configOf(['--ipvs-strict-arp=1']).ipvs.strictARP).to.equal(true);
    expect(configOf(['--ipvs-strict-arp=True', '--ipvs-strict-arp=f']).ipvs.strictARP).to.equal(false);
    expect(configOf(['--ipvs-scheduler=lc', '--ipvs-scheduler=sh']).ipvs.scheduler).to.equal('sh');
  });

  it('adds up repeated --ipvs-exclude-cidrs, as kube-proxy\'s string-slice flag does', () => {
    expect(configOf(['--ipvs-exclude-cidrs=10.0.0.0/8', '--ipvs-exclude-cidrs=192.168.0.0/16']).ipvs.excludeCIDRs).to.deep.equal(['10.0.0.0/8', '192.168.0.0/16']);
    expect(configOf(['--ipvs-exclude-cidrs', '10.0.0.0/8,fd00::/64', '--ipvs-scheduler=lc', '--ipvs-exclude-cidrs=172.16.0.0/12']).ipvs.excludeCIDRs).to.deep.equal([
      '10.0.0.0/8',
      'fd00::/64',
      '172.16.0.0/12',
    ]);
    expect(configOf(['--ipvs-exclude-cidrs=', '--ipvs-exclude-cidrs=10.0.0.0/8']).ipvs.excludeCIDRs).to.deep.equal(['10.0.0.0/8']);
    // flags replace the file's list, as any flag overrides its field
    const file = header + 'ipvs:\n  excludeCIDRs: [10.1.0.0/16]\n';
    const r = parseProxyConfig(['--config=f', '--ipvs-exclude-cidrs=10.2.0.0/16', '--ipvs-exclude-cidrs=10.3.0.0/16'], envWith({ f: file }));
    expect(r.kind === 'config' && r.config.ipvs.excludeCIDRs).to.deep.equal(['10.2.0.0/16', '10.3.0.0/16']);
    expect(errorOf(['--ipvs-exclude-cidrs=10.0.0.0/8', '--ipvs-exclude-cidrs=bogus']).issues.map((i) => i.field)).to.deep.equal(['--ipvs-exclude-cidrs']);
  });

  it('takes kube-proxy\'s --logging-format for --log-format', () => {
    expect(configOf(['--logging-format=text']).logFormat).to.equal('text');
    expect(configOf(['--logging-format=json']).logFormat).to.equal('json');
    expect(errorOf(['--logging-format=xml']).issues.map((i) => i.field)).to.deep.equal(['--logging-format']);
  });

  it('starts with a warning, not an error, on kube-proxy flags and file fields it does not implement, and on unknown file fields', () => {
    const file = header + 'udpIdleTimeout: 250ms\nipvs:\n  schedular: lc\n  scheduler: sh\nconntrack:\n  maxPerCore: 0\n  min: 10\n';
    const r = parseProxyConfig(['--config=f', '--masquerade-all', '--conntrack-max-per-core=0', '--ipvs-strict-arp'], envWith({ f: file }));
    if (r.kind !== 'config') throw new Error(r.kind === 'error' ? r.error.message : r.kind);
    expect(r.config.ipvs.scheduler).to.equal('sh');
    expect(r.config.ipvs.strictARP).to.equal(true);
    expect(r.warnings).to.deep.equal([
      '--masquerade-all: ignored, kube-ipvs-proxy does not implement this kube-proxy flag (value true)',
      '--conntrack-max-per-core: ignored, kube-ipvs-proxy does not implement this kube-proxy flag (value "0")',
      'udpIdleTimeout: unknown field, ignored (value "250ms")',
      'ipvs.schedular: unknown field, ignored (value "lc")',
      'conntrack: ignored, kube-ipvs-proxy does not implement this kube-proxy field (value {"maxPerCore":0,"min":10})',
    ]);
  });

  it('disables a server with an empty bind address flag', () => {
    const c = configOf(['--healthz-bind-address=', '--metrics-bind-address=']);
    expect(c.healthzBindAddress).to.equal(undefined);
    expect(c.metricsBindAddress).to.equal(undefined);
  });

  it('treats 0.0.0.0 and :: as no node IP override', () => {
    expect(configOf(['--bind-address=0.0.0.0']).bindAddress).to.equal(undefined);
    expect(configOf(['--bind-address=::']).bindAddress).to.equal(undefined);
  });

  it('reads a YAML config file', () => {
    const file =
      header +
      `mode: ipvs
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
hostnameOverride: node-b
clusterCIDR: 10.244.0.0/16
healthzBindAddress: 0.0.0.0:20256
metricsBindAddress: 127.0.0.1:20249
bindAddress: 10.0.0.7
logging:
  format: text
  verbosity: 2
ipvs:
  scheduler: lc
  syncPeriod: 45s
  minSyncPeriod: 1s
  excludeCIDRs: [10.9.0.0/16]
  strictARP: true
  tcpTimeout: 10m
  tcpFinTimeout: 30s
  udpTimeout: 1m
`;
    const c = configOf(['--config=/etc/kp.yaml'], envWith({ '/etc/kp.yaml': file }));
    expect(c.configFile).to.equal('/etc/kp.yaml');
    expect(c.kubeconfig).to.equal('/var/lib/kube-proxy/kubeconfig.conf');
    expect(c.nodeName).to.equal('node-b');
    expect(c.clusterCIDRs).to.deep.equal(['10.244.0.0/16']);
    expect(c.healthzBindAddress).to.deep.equal({ host: '0.0.0.0', port: 20256 });
    expect(c.metricsBindAddress).to.deep.equal({ host: '127.0.0.1', port: 20249 });
    expect(c.bindAddress).to.equal('10.0.0.7');
    expect(c.logFormat).to.equal('text');
    expect(c.verbosity).to.equal(2);
    expect(c.ipvs).to.deep.include({
      scheduler: 'lc',
      syncPeriodMs: 45_000,
      minSyncPeriodMs: 1000,
      excludeCIDRs: ['10.9.0.0/16'],
      strictARP: true,
      tcpTimeoutMs: 600_000,
      tcpFinTimeoutMs: 30_000,
      udpTimeoutMs: 60_000,
    });
  });

  it('reads a JSON config file', () => {
    const file = JSON.stringify({
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      ipvs: { scheduler: 'sh', syncPeriod: '10s' },
    });
    const c = configOf(['--config', 'kp.json'], envWith({ 'kp.json': file }));
    expect(c.ipvs.scheduler).to.equal('sh');
    expect(c.ipvs.syncPeriodMs).to.equal(10_000);
  });

  it('lets flags override the file', () => {
    const file = header + 'ipvs:\n  scheduler: lc\n  syncPeriod: 45s\nhostnameOverride: from-file\nlogging:\n  verbosity: 2\n';
    const c = configOf(['--config=kp', '--ipvs-scheduler=wrr', '-v=6', '--hostname-override=from-flag'], envWith({ kp: file }));
    expect(c.ipvs.scheduler).to.equal('wrr');
    expect(c.ipvs.syncPeriodMs).to.equal(45_000); // not overridden
    expect(c.verbosity).to.equal(6);
    expect(c.nodeName).to.equal('from-flag');
  });

  it('reads the API content type from --kube-api-content-type or clientConnection.contentType, the flag winning', () => {
    const file = header + 'clientConnection:\n  contentType: application/json\n';
    expect(configOf(['--config=kp'], envWith({ kp: file })).kubeApiContentType).to.equal('application/json');
    expect(configOf(['--config=kp', '--kube-api-content-type=application/vnd.kubernetes.protobuf'], envWith({ kp: file })).kubeApiContentType).to.equal('application/vnd.kubernetes.protobuf');
    expect(configOf(['--kube-api-content-type=application/json']).kubeApiContentType).to.equal('application/json');
  });

  it('reads zero values in a generated file as defaults, and warns about ignored kube-proxy fields', () => {
    // the shape kubeadm writes into the kube-proxy ConfigMap
    const file =
      header +
      `bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: 10.244.0.0/16
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
detectLocal:
  bridgeInterface: ""
  interfaceNamePrefix: ""
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  localhostNodePorts: null
  masqueradeAll: true
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
  tcpFinTimeout: 0s
  tcpTimeout: 0s
  udpTimeout: 0s
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
  verbosity: 0
metricsBindAddress: ""
mode: ipvs
nodePortAddresses: null
oomScoreAdj: null
portRange: ""
showHiddenMetricsForVersion: ""
winkernel:
  enableDSR: false
  networkName: ""
`;
    const r = parseProxyConfig(['--config=cm'], envWith({ cm: file }));
    if (r.kind !== 'config') throw new Error(r.kind === 'error' ? r.error.message : r.kind);
    expect(r.config.ipvs.syncPeriodMs).to.equal(30_000);
    expect(r.config.ipvs.scheduler).to.equal('rr');
    expect(r.config.healthzBindAddress).to.deep.equal({ host: '0.0.0.0', port: 10256 });
    expect(r.config.metricsBindAddress).to.deep.equal({ host: '127.0.0.1', port: 10249 });
    expect(r.config.nodeName).to.equal('worker-1.example');
    expect(r.warnings).to.deep.equal(['iptables: ignored, kube-ipvs-proxy does not implement this kube-proxy field (value {"localhostNodePorts":null,"masqueradeAll":true,"masqueradeBit":null,"minSyncPeriod":"0s","syncPeriod":"0s"})']);
  });

  it('answers --help with the flag list', () => {
    const r = parseProxyConfig(['--help'], envWith());
    expect(r.kind).to.equal('help');
    if (r.kind === 'help') {
      expect(r.text).to.contain('--ipvs-sync-period');
      expect(r.text).to.contain('--ipvs-graceful-period');
    }
  });

  it('answers --version, and lists it in --help', () => {
    expect(parseProxyConfig(['--version'], envWith()).kind).to.equal('version');
    const help = parseProxyConfig(['--help'], envWith());
    expect(help.kind === 'help' && help.text).to.contain('--version');
    expect(parseProxyConfig(['--version', '--bogus'], envWith()).kind).to.equal('error');
  });

  describe('rejects bad input, naming the flag or field', () => {
    const cases: Array<{ argv: string[]; files?: Record<string, string>; field: string; says: string }> = [
      { argv: ['--ipvs-sync-period=abc'], field: '--ipvs-sync-period', says: '"abc" is not a duration' },
      { argv: ['--ipvs-sync-period=30'], field: '--ipvs-sync-period', says: 'is not a duration' },
      { argv: ['--ipvs-sync-period=0s'], field: '--ipvs-sync-period', says: 'greater than zero' },
      { argv: ['--ipvs-sync-period='], field: '--ipvs-sync-period', says: 'is not a duration' },
      { argv: ['--ipvs-min-sync-period=1m'], field: '--ipvs-min-sync-period', says: 'longer than the sync period' },
      { argv: ['--ipvs-min-sync-period=-1s'], field: '--ipvs-min-sync-period', says: 'negative' },
      { argv: ['--ipvs-tcp-timeout=-1s'], field: '--ipvs-tcp-timeout', says: 'negative' },
      { argv: ['--ipvs-tcpfin-timeout=x'], field: '--ipvs-tcpfin-timeout', says: 'not a duration' },
      { argv: ['--ipvs-udp-timeout=5'], field: '--ipvs-udp-timeout', says: 'not a duration' },
      { argv: ['--ipvs-graceful-period=soon'], field: '--ipvs-graceful-period', says: 'not a duration' },
      { argv: ['--ipvs-scheduler=fastest'], field: '--ipvs-scheduler', says: 'not an IPVS scheduler' },
      { argv: ['--ipvs-exclude-cidrs=10.0.0.0/33'], field: '--ipvs-exclude-cidrs', says: '"10.0.0.0/33" is not a CIDR' },
      { argv: ['--ipvs-exclude-cidrs=10.0.0.1'], field: '--ipvs-exclude-cidrs', says: 'is not a CIDR' },
      { argv: ['--cluster-cidr=pods'], field: '--cluster-cidr', says: 'is not a CIDR' },
      { argv: ['--ipvs-strict-arp=maybe'], field: '--ipvs-strict-arp', says: 'is not a boolean' },
      { argv: ['--cleanup=yes'], field: '--cleanup', says: 'is not a boolean' },
      { argv: ['--healthz-bind-address=localhost:10256'], field: '--healthz-bind-address', says: 'not an IP:port' },
      { argv: ['--healthz-bind-address=0.0.0.0'], field: '--healthz-bind-address', says: 'not an IP:port' },
      { argv: ['--metrics-bind-address=1.2.3.4:70000'], field: '--metrics-bind-address', says: 'not an IP:port' },
      { argv: ['--bind-address=node1'], field: '--bind-address', says: 'not an IP address' },
      { argv: ['-v=11'], field: '-v', says: 'not a verbosity level' },
      { argv: ['--v=loud'], field: '-v', says: 'not a verbosity level' },
      { argv: ['--log-format=xml'], field: '--log-format', says: '"xml" is not a log format' },
      { argv: ['--kube-api-content-type=application/yaml'], field: '--kube-api-content-type', says: '"application/yaml" is not a content type this proxy reads' },
      { argv: ['--config=f'], files: { f: header + 'clientConnection:\n  contentType: text/plain\n' }, field: 'clientConnection.contentType', says: 'not a content type' },
      { argv: ['--proxy-mode=iptables'], field: '--proxy-mode', says: 'only implements mode "ipvs"' },
      { argv: ['--service-proxy-name=not a label'], field: '--service-proxy-name', says: 'not a valid label value' },
      { argv: ['--ipvs-schedular=rr'], field: '--ipvs-schedular', says: 'unknown flag' },
      { argv: ['--no-cleanup'], field: '--no-cleanup', says: 'use --cleanup=false' },
      { argv: ['-x'], field: '-x', says: 'unknown flag' },
      { argv: ['ipvs'], field: 'argv', says: 'unexpected argument "ipvs"' },
      { argv: ['--config=nope.yaml'], field: '--config', says: 'cannot read "nope.yaml"' },
      { argv: ['--config=f'], files: { f: header + 'ipvs:\n  syncPeriod: abc\n' }, field: 'ipvs.syncPeriod', says: '"abc" is not a duration' },
      { argv: ['--config=f'], files: { f: header + 'ipvs:\n  syncPeriod: 30\n' }, field: 'ipvs.syncPeriod', says: '30 is not a duration' },
      { argv: ['--config=f'], files: { f: header + 'ipvs:\n  minSyncPeriod: 5m\n' }, field: 'ipvs.minSyncPeriod', says: 'longer than the sync period' },
      { argv: ['--config=f'], files: { f: header + 'ipvs:\n  strictARP: "yes"\n' }, field: 'ipvs.strictARP', says: '"yes" is not a boolean' },
      { argv: ['--config=f'], files: { f: header + 'ipvs:\n  excludeCIDRs: [10.0.0.0/8, bogus]\n' }, field: 'ipvs.excludeCIDRs', says: '"bogus" is not a CIDR' },
      { argv: ['--config=f'], files: { f: header + 'ipvs: fast\n' }, field: 'ipvs', says: 'is not an object' },
      { argv: ['--config=f'], files: { f: header + 'mode: nftables\n' }, field: 'mode', says: '"nftables" is not supported' },
      { argv: ['--config=f'], files: { f: header + 'logging:\n  verbosity: 20\n' }, field: 'logging.verbosity', says: 'not a verbosity level' },
      { argv: ['--config=f'], files: { f: header + 'logging:\n  format: pretty\n' }, field: 'logging.format', says: 'not a log format' },
      { argv: ['--config=f'], files: { f: header + 'healthzBindAddress: 10256\n' }, field: 'healthzBindAddress', says: 'is not a string' },
      { argv: ['--config=f'], files: { f: header + 'metricsBindAddress: ":10249"\n' }, field: 'metricsBindAddress', says: 'not an IP:port' },
      { argv: ['--config=f'], files: { f: header + 'clientConnection:\n  kubeconfig: [a]\n' }, field: 'clientConnection.kubeconfig', says: 'is not a string' },
      { argv: ['--config=f'], files: { f: 'apiVersion: kubeproxy.config.k8s.io/v1beta9\nkind: KubeProxyConfiguration\n' }, field: 'apiVersion', says: 'is not supported' },
      { argv: ['--config=f'], files: { f: 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeletConfiguration\n' }, field: 'kind', says: 'is not supported' },
      { argv: ['--config=f'], files: { f: 'ipvs: [unclosed\n' }, field: 'f', says: 'is not valid YAML or JSON' },
      { argv: ['--config=f'], files: { f: '{"apiVersion": ' }, field: 'f', says: 'is not valid YAML or JSON' },
      { argv: ['--config=f'], files: { f: '- a\n- b\n' }, field: 'f', says: 'must hold a KubeProxyConfiguration object' },
    ];
    for (const c of cases) {
      it(`${c.argv.join(' ')}${c.files ? ` with ${JSON.stringify(Object.values(c.files)[0]?.replace(header, '…'))}` : ''} → ${c.field}`, () => {
        const e = errorOf(c.argv, envWith(c.files ?? {}));
        expect(e).to.be.instanceOf(ConfigError);
        expect(e.code).to.equal('KIPVS_CONFIG_INVALID');
        expect(e.issues.map((i) => i.field)).to.include(c.field);
        expect(e.message).to.contain(`${c.field}: `);
        expect(e.message).to.contain(c.says);
        expect(e.message).not.to.match(/\n\s+at /); // a message, not a stack trace
      });
    }

    it('reports every problem at once', () => {
      const e = errorOf(['--ipvs-sync-period=abc', '--ipvs-scheduler=nope', '--log-format=xml', '--bogus', '--ipvs-strict-arp=maybe']);
      expect(e.issues.map((i) => i.field)).to.deep.equal(['--ipvs-strict-arp', '--bogus', '--ipvs-scheduler', '--ipvs-sync-period', '--log-format']);
    });

    it('reports a file\'s unusable header together with its bad values and bad flags', () => {
      const file = 'apiVersion: kubeproxy.config.k8s.io/v1beta9\nkind: KubeProxyConfiguration\nschedular: x\nipvs:\n  syncPeriod: 30\n  strictARP: "yes"\n';
      const e = errorOf(['--config=f', '--log-format=xml'], envWith({ f: file }));
      expect(e.issues.map((i) => i.field)).to.have.members(['apiVersion', 'ipvs.syncPeriod', 'ipvs.strictARP', '--log-format']);
    });

    it('names a bad file value under the flag when a flag overrides it', () => {
      const e = errorOf(['--config=f', '--ipvs-sync-period=zz'], envWith({ f: header + 'ipvs:\n  syncPeriod: 10s\n' }));
      expect(e.issues).to.deep.equal([{ field: '--ipvs-sync-period', message: '"zz" is not a duration (use Go syntax such as "30s", "1m30s", "500ms")' }]);
    });
  });

  describe('--write-config-to round trip', () => {
    function roundTrip(c: ProxyConfig): ProxyConfig {
      const text = renderKubeProxyConfiguration(c);
      const back = configOf(['--config=written.yaml'], envWith({ 'written.yaml': text }));
      expect(back.configFile).to.equal('written.yaml');
      return { ...back, configFile: undefined };
    }
    // what a KubeProxyConfiguration cannot carry (CLI-only or our own flags) comes back as default
    function fileFields(c: ProxyConfig): unknown {
      return {
        ...c,
        master: undefined,
        serviceProxyName: undefined,
        cleanup: false,
        writeConfigTo: undefined,
        configFile: undefined,
        ipvs: { ...c.ipvs, gracefulPeriodMs: 900_000 },
      };
    }

    it('reads back the defaults and a fully set configuration', () => {
      for (const argv of [
        [],
        ['--hostname-override=n9', '--kubeconfig=/k', '--ipvs-scheduler=mh', '--ipvs-sync-period=1m30s', '--ipvs-min-sync-period=500ms',
          '--ipvs-exclude-cidrs=10.0.0.0/8,fd00::/8', '--ipvs-strict-arp', '--ipvs-tcp-timeout=900s', '--ipvs-tcpfin-timeout=1m',
          '--ipvs-udp-timeout=5m', '--cluster-cidr=10.244.0.0/16,fd10::/56', '--bind-address=fd00::5', '--healthz-bind-address=[fd00::5]:1',
          '--metrics-bind-address=0.0.0.0:0', '-v=7', '--log-format=text'],
      ]) {
        const c = configOf(argv);
        expect(roundTrip(c)).to.deep.equal(c);
      }
    });

    it('renders flag-only settings as a comment and keeps the file loadable', () => {
      const c = configOf(['--ipvs-graceful-period=90s', '--service-proxy-name=mine', '--master=https://api:6443']);
      const text = renderKubeProxyConfiguration(c);
      expect(text).to.contain('#   --ipvs-graceful-period=1m30s');
      expect(text).to.contain('#   --service-proxy-name=mine');
      expect(text).to.match(/^apiVersion: kubeproxy\.config\.k8s\.io\/v1alpha1$/m);
      expect(text).to.match(/^kind: KubeProxyConfiguration$/m);
      expect(fileFields(roundTrip(c))).to.deep.equal(fileFields(c));
    });

    it('reads back any valid flag combination', () => {
      const duration = fc.integer({ min: 1, max: 7200 }).map((s) => `${s}s`);
      const cidr = fc.oneof(
        fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 8, max: 32 })).map(([a, p]) => `10.${a}.0.0/${p}`),
        fc.integer({ min: 16, max: 128 }).map((p) => `fd00:${p.toString(16)}::/${p}`),
      );
      const arb = fc.record(
        {
          '--hostname-override': fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
          '--ipvs-scheduler': fc.constantFrom('rr', 'wrr', 'lc', 'sh', 'mh'),
          '--ipvs-tcp-timeout': duration,
          '--ipvs-udp-timeout': duration,
          '--ipvs-exclude-cidrs': fc.array(cidr, { maxLength: 3 }).map((a) => a.join(',')),
          '--cluster-cidr': fc.array(cidr, { maxLength: 2 }).map((a) => a.join(',')),
          '--ipvs-strict-arp': fc.constantFrom('true', 'false'),
          '--healthz-bind-address': fc.integer({ min: 0, max: 65535 }).map((p) => `127.0.0.1:${p}`),
          '-v': fc.integer({ min: 0, max: 10 }).map(String),
        },
        { requiredKeys: [] },
      );
      fc.assert(
        fc.property(arb, (flags) => {
          const c = configOf(Object.entries(flags).map(([k, v]) => `${k}=${v}`));
          expect(roundTrip(c)).to.deep.equal(c);
        }),
        { numRuns: 200 },
      );
    });
  });
});
