// The pieces of the kind e2e scripts that can be checked without Docker: how a node's IPVS table is
// read (hack/e2e/lib.sh vs_has_rs, on tables read back from a real kernel) and which upstream specs
// the conformance job runs and skips (hack/e2e/focus.txt, skip.txt through lib.sh's regex_of).
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const fixture = (name: string): string => readFileSync(`${root}test/unit/deploy/fixtures/${name}`, 'utf8');

function libCall(fn: string, args: string[], input = ''): { status: number | null; stdout: string } {
  const r = spawnSync('bash', ['-c', `. hack/e2e/lib.sh && ${fn} "$@"`, 'lib', ...args], {
    cwd: root, input, encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout };
}

const hasRoute = (table: string, ...route: string[]): boolean => libCall('vs_has_rs', route, table).status === 0;

function listRegex(file: string): RegExp {
  const out = execFileSync('bash', ['-c', '. hack/e2e/lib.sh && regex_of "$1"', 'lib', file], { cwd: root, encoding: 'utf8' });
  // ginkgo takes Go (RE2) syntax; the lists use only what RE2 and JavaScript read alike
  return new RegExp(out.trim());
}

for (const [form, file] of [['ipvsadm -Ln', 'ipvsadm-Ln.txt'], ['/proc/net/ip_vs', 'proc-net-ip_vs.txt']] as const) {
  describe(`hack/e2e/lib.sh vs_has_rs reading ${form}`, () => {
    const table = fixture(file);
    it('finds a real server under its virtual server', () => {
      expect(hasRoute(table, 'TCP', '10.96.120.5', '80', '10.244.1.3', '80')).to.equal(true);
      expect(hasRoute(table, 'TCP', '10.96.120.5', '80', '10.244.2.7', '80')).to.equal(true);
      expect(hasRoute(table, 'TCP', '10.96.0.1', '443', '172.18.0.3', '6443')).to.equal(true);
      expect(hasRoute(table, 'UDP', '10.96.0.10', '53', '10.244.0.4', '53')).to.equal(true);
    });
    it('does not find a real server under another virtual server, port or protocol', () => {
      expect(hasRoute(table, 'TCP', '10.96.0.1', '443', '10.244.1.3', '80')).to.equal(false);
      expect(hasRoute(table, 'TCP', '10.96.120.5', '80', '10.244.1.3', '8080')).to.equal(false);
      expect(hasRoute(table, 'TCP', '10.96.120.5', '81', '10.244.1.3', '80')).to.equal(false);
      expect(hasRoute(table, 'TCP', '10.96.0.10', '53', '10.244.0.4', '53')).to.equal(false);
      expect(hasRoute(table, 'TCP', '10.96.120.5', '80', '10.244.9.9', '80')).to.equal(false);
    });
  });
}

describe('hack/e2e/lib.sh hex_ip', () => {
  it('writes an IPv4 address the way /proc/net/ip_vs does', () => {
    expect(libCall('hex_ip', ['10.96.0.1']).stdout).to.equal('0A600001');
    expect(libCall('hex_ip', ['172.18.255.3']).stdout).to.equal('AC12FF03');
  });
});

describe('conformance spec selection (hack/e2e/focus.txt, skip.txt)', () => {
  const focus = listRegex('hack/e2e/focus.txt');
  const skip = listRegex('hack/e2e/skip.txt');
  const runs = (spec: string): boolean => focus.test(spec) && !skip.test(spec);

  it('gives every skipped pattern a reason', () => {
    const lines = readFileSync(`${root}hack/e2e/skip.txt`, 'utf8').split('\n')
      .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    expect(lines.length).to.be.greaterThan(0);
    for (const line of lines) expect(line, line).to.match(/^\S.*\S # \S.{8,}$/);
  });

  it('runs the ClusterIP specs', () => {
    for (const spec of [
      '[sig-network] Services should provide secure master service  [Conformance]',
      '[sig-network] Services should serve a basic endpoint from pods  [Conformance]',
      '[sig-network] Services should serve multiport endpoints from pods  [Conformance]',
      '[sig-network] Services should have session affinity work for service with type clusterIP [LinuxOnly] [Conformance]',
      '[sig-network] Services should have session affinity timeout work for service with type clusterIP [LinuxOnly]',
      '[sig-network] Services should be able to change the type from ClusterIP to ExternalName [Conformance]',
      '[sig-network] Services should be able to change the type from NodePort to ExternalName [Conformance]',
      '[sig-network] Services should prevent NodePort collisions',
      '[sig-network] Services should respect internalTrafficPolicy=Local Pod to Pod',
      '[sig-network] Services should implement service.kubernetes.io/headless',
      '[sig-network] Networking Granular Checks: Services should update endpoints: udp',
      '[sig-network] Networking Granular Checks: Services should function for client IP based session affinity: http [LinuxOnly]',
      '[sig-network] Networking Granular Checks: Services should be able to handle large requests: udp',
    ]) expect(runs(spec), spec).to.equal(true);
  });

  it('skips what needs NodePort, ExternalIP, a load balancer, or a whole cluster to itself', () => {
    for (const spec of [
      '[sig-network] Services should be able to create a functioning NodePort service [Conformance]',
      '[sig-network] Services should have session affinity work for NodePort service [LinuxOnly] [Conformance]',
      '[sig-network] Services should be possible to connect to a service via ExternalIP when the external IP is not assigned to a node',
      '[sig-network] Services should work after restarting kube-proxy [Disruptive]',
      '[sig-network] Services should allow creating a basic SCTP service with pod and endpoints [LinuxOnly] [Serial]',
      '[sig-network] Services should serve endpoints on same port and different protocol for internal traffic on Type LoadBalancer ',
      '[sig-network] Networking Granular Checks: Services should function for pod-Service: http',
      '[sig-network] Networking Granular Checks: Services should function for endpoint-Service: sctp [Feature:SCTPConnectivity]',
      '[sig-network] Networking Granular Checks: Services should update nodePort: udp [Slow]',
    ]) expect(runs(spec), spec).to.equal(false);
  });

  it('leaves out other suites', () => {
    for (const spec of [
      '[sig-network] DNS should provide DNS for services  [Conformance]',
      '[sig-network] Conntrack should be able to preserve UDP traffic when server pod cycles for a ClusterIP service',
      '[sig-network] Networking Granular Checks: Pods should function for intra-pod communication: http [NodeConformance] [Conformance]',
    ]) expect(focus.test(spec), spec).to.equal(false);
  });
});
