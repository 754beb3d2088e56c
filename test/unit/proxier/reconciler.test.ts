// Reconciler scenarios on the stateful fakes: each asserts the final kernel state an operator
// would see (the fake's ipvsadm-like table and the dummy link's addresses), not call sequences.
import { expect } from 'chai';
import { constants as osConstants } from 'node:os';
import type { RealServer, VirtualServer } from '../../../src/model/index.js';
import { Env, service, slice } from './env.js';

const E = osConstants.errno;
const web = service('web', '10.96.0.10');
const webSlice = slice('web', ['10.244.0.5', '10.244.0.6']);
const WEB = [
  '-A TCP/10.96.0.10:80 -s rr flags=0x0',
  '-a TCP/10.96.0.10:80 -r 10.244.0.5:8080 -masq -w 1',
  '-a TCP/10.96.0.10:80 -r 10.244.0.6:8080 -masq -w 1',
];

const adminVs: VirtualServer = { family: 4, protocol: 'TCP', address: '192.168.1.1', port: 80, fwmark: 0, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff };
const adminRs: RealServer = { family: 4, address: '192.168.1.20', port: 80, forward: 'droute', weight: 3, upperThreshold: 0, lowerThreshold: 0 };
const ADMIN = ['-A TCP/192.168.1.1:80 -s wlc flags=0x0', '-a TCP/192.168.1.1:80 -r 192.168.1.20:80 -droute -w 3'];

async function started(env: Env, objects: Array<[string, ReturnType<typeof service>]> = [['default/web', web]], slices: Array<[string, ReturnType<typeof slice>]> = [['default/web-x', webSlice]]): Promise<void> {
  for (const [k, s] of objects) env.reconciler.serviceChanged(k, s);
  for (const [k, s] of slices) env.reconciler.endpointSliceChanged(k, s);
  env.reconciler.synced();
  await env.advance(0);
}

/**
 * Holds the audit's real-server dumps open, as 10,000 of them in a slow kernel do, and lets the audit
 * come due: its read starts and waits until released (or failed); restore() puts the dumps back.
 */
async function auditReadHeld(env: Env): Promise<{ release(): void; fail(e: Error): void; restore(): void }> {
  let release = (): void => undefined;
  let fail = (_e: Error): void => undefined;
  const held = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  const listRealServers = env.ipvs.listRealServers.bind(env.ipvs);
  env.ipvs.listRealServers = async (vs) => {
    await held;
    return listRealServers(vs);
  };
  env.clock.step(30_000); // the audit is due: its read starts and waits
  await new Promise((r) => setImmediate(r));
  return { release, fail, restore: () => (env.ipvs.listRealServers = listRealServers) };
}

describe('Reconciler', () => {
  it('programs nothing before synced(), then the Services, their real servers and VIPs', async () => {
    const env = new Env();
    env.reconciler.serviceChanged('default/web', web);
    env.reconciler.endpointSliceChanged('default/web-x', webSlice);
    await env.advance(120_000);
    expect(env.ipvs.log).to.deep.equal([]);
    expect(env.link.log).to.deep.equal([]);
    env.reconciler.synced();
    await env.advance(0);
    expect(env.table()).to.deep.equal(WEB);
    expect(env.vips()).to.deep.equal(['10.96.0.10/32']);
    expect(env.reconciler.health().lastResult?.kind).to.equal('full');
    expect(env.reconciler.health().lastResult?.failures).to.deep.equal([]);
  });

  it('reports the Local Services with endpoints but none on this node, as of each sync', async () => {
    const env = new Env();
    const series = 'kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy="internal"}';
    const local = service('local', '10.96.0.40', [{ name: 'http', port: 80 }], { internalTrafficPolicy: 'Local' });
    const remote = { addresses: ['10.244.1.9'], nodeName: 'node-b' };
    await started(env, [['default/web', web], ['default/local', local]], [['default/web-x', webSlice], ['default/local-x', slice('local', [remote])]]);
    expect(await env.metric(series)).to.equal(1);
    env.reconciler.endpointSliceChanged('default/local-x', slice('local', [remote, { addresses: ['10.244.0.9'], nodeName: 'node-a' }]));
    await env.advance(1_000);
    expect(await env.metric(series)).to.equal(0);
    env.reconciler.endpointSliceChanged('default/local-x', slice('local', [remote]));
    await env.advance(1_000);
    expect(await env.metric(series)).to.equal(1);
    env.reconciler.serviceChanged('default/local', undefined);
    await env.advance(1_000);
    expect(await env.metric(series)).to.equal(0);
  });

  it('follows topology hints for this Node\'s zone, and recomputes only hinted Services when the zone label changes', async () => {
    const env = new Env();
    const zoned = (ip: string, zone: string): { addresses: string[]; hints: { forZones: Array<{ name: string }> } } => ({ addresses: [ip], hints: { forZones: [{ name: zone }] } });
    const hinted = service('hinted', '10.96.0.50');
    await started(env, [['default/web', web], ['default/hinted', hinted]], [['default/web-x', webSlice], ['default/hinted-x', slice('hinted', [zoned('10.244.0.7', 'zone-a'), zoned('10.244.1.7', 'zone-b')])]]);
    const reals = (): string[] => env.table().filter((l) => l.startsWith('-a TCP/10.96.0.50:80')).map((l) => l.split(' ')[3] ?? '');
    // no zone known yet: every endpoint
    expect(reals()).to.deep.equal(['10.244.0.7:8080', '10.244.1.7:8080']);
    const node = (zone: string | undefined): Parameters<typeof env.reconciler.nodeChanged>[0] => ({ metadata: { name: 'node-a', labels: zone === undefined ? {} : { 'topology.kubernetes.io/zone': zone } } });
    env.reconciler.nodeChanged(node('zone-b'));
    await env.advance(1_000);
    expect(reals()).to.deep.equal(['10.244.1.7:8080']);
    expect(env.table().filter((l) => l.includes('10.96.0.10'))).to.deep.equal(WEB); // unhinted: untouched
    const computed = env.reconciler.health().lastResult?.servicesComputed;
    expect(computed).to.equal(1);
    env.reconciler.nodeChanged(node(undefined));
    await env.advance(1_000);
    expect(reals()).to.deep.equal(['10.244.0.7:8080', '10.244.1.7:8080']);
    // a deleted Node has no zone either, as in kube-proxy
    env.reconciler.nodeChanged(node('zone-b'));
    await env.advance(1_000);
    expect(reals()).to.deep.equal(['10.244.1.7:8080']);
    env.reconciler.nodeChanged(undefined);
    await env.advance(1_000);
    expect(reals()).to.deep.equal(['10.244.0.7:8080', '10.244.1.7:8080']);
  });

  it('an audit with no drift writes nothing', async () => {
    const env = new Env();
    await started(env);
    env.ipvs.clearLog();
    env.link.clearLog();
    await env.advance(95_000);
    expect(env.ipvs.log.filter((e) => e.call === 'listVirtualServers')).to.have.length(3); // three audits ran
    expect(await env.metric('kube_ipvs_proxy_audit_read_duration_seconds_count')).to.equal(3);
    expect(env.ipvs.writeCount).to.equal(0);
    expect(env.link.writeCount).to.equal(0);
    expect(env.table()).to.deep.equal(WEB);
  });

  it('stays idle while an audit reads the kernel back and nothing changed: no empty syncs', async () => {
    const env = new Env();
    await started(env);
    const read = await auditReadHeld(env);
    const partial = 'kubeproxy_sync_partial_proxy_rules_duration_seconds_count';
    const before = (await env.metric(partial)) ?? 0;
    for (let i = 0; i < 50; i++) {
      env.clock.step(100);
      await new Promise((r) => setImmediate(r));
    }
    expect(((await env.metric(partial)) ?? 0) - before).to.equal(0);
    read.restore();
    read.release();
    await env.advance(1_000);
    expect(await env.metric('kube_ipvs_proxy_audit_read_duration_seconds_count')).to.equal(1);
  });

  it('serves a change while an audit reads the kernel back, and the audit then neither undoes it nor calls it drift', async () => {
    const env = new Env();
    const api = service('api', '10.96.0.20', [{ name: 'http', port: 443 }]);
    await started(env, [['default/web', web], ['default/api', api]], [['default/web-x', webSlice], ['default/api-x', slice('api', ['10.244.0.9'])]]);
    const read = await auditReadHeld(env);

    // meanwhile a new endpoint for web and a new Service
    env.reconciler.endpointSliceChanged('default/web-x', slice('web', ['10.244.0.5', '10.244.0.6', '10.244.0.7']));
    env.reconciler.serviceChanged('default/db', service('db', '10.96.0.30', [{ name: 'pg', port: 5432 }]));
    env.reconciler.endpointSliceChanged('default/db-x', slice('db', ['10.244.0.11'], [{ name: 'pg', port: 5432, protocol: 'TCP' }]));
    for (let i = 0; i < 20 && !env.table().includes('-a TCP/10.96.0.10:80 -r 10.244.0.7:8080 -masq -w 1'); i++) {
      env.clock.step(1_000);
      await new Promise((r) => setImmediate(r));
    }
    expect(env.table(), 'programmed while the audit still reads').to.include.members(['-a TCP/10.96.0.10:80 -r 10.244.0.7:8080 -masq -w 1', '-a TCP/10.96.0.30:5432 -r 10.244.0.11:5432 -masq -w 1']);
    expect(env.reconciler.health().lastResult?.kind).to.equal('partial');

    env.ipvs.clearLog();
    env.link.clearLog();
    read.release();
    await env.advance(1_000);
    expect(env.reconciler.health().lastResult?.kind).to.equal('full');
    expect(env.ipvs.writeCount, 'the audit wrote nothing').to.equal(0);
    expect(env.link.writeCount).to.equal(0);
    expect(await env.metric('kube_ipvs_proxy_drift_repaired_total{kind="ipvs"}')).to.equal(undefined);
    expect(env.table()).to.include.members([...WEB, '-a TCP/10.96.0.10:80 -r 10.244.0.7:8080 -masq -w 1', '-A TCP/10.96.0.30:5432 -s rr flags=0x0']);
    expect(env.vips()).to.deep.equal(['10.96.0.10/32', '10.96.0.20/32', '10.96.0.30/32']);

    // and the next audit still finds drift made by hand
    const vs = env.ipvs.snapshot().get('TCP/10.96.0.30:5432' as never)!.server;
    await env.ipvs.apply([{ kind: 'deleteVirtualServer', virtualServer: vs }]);
    await env.advance(30_000);
    expect(env.table()).to.include('-A TCP/10.96.0.30:5432 -s rr flags=0x0');
    expect(await env.metric('kube_ipvs_proxy_drift_repaired_total{kind="ipvs"}')).to.be.greaterThan(0);
  });

  it('stops without waiting for an audit\'s read, and says nothing of it afterwards', async () => {
    const env = new Env();
    await started(env);
    const read = await auditReadHeld(env);
    const stopped = await Promise.race([env.reconciler.stop().then(() => true), new Promise((r) => setTimeout(() => r(false), 1_000))]);
    expect(stopped, 'stop() returned').to.equal(true);
    read.fail(new Error('socket closed')); // as closing the netlink sockets after a stop would
    await new Promise((r) => setImmediate(r));
    expect(env.logs.filter((l) => l.level !== 'info' && l.level !== 'debug')).to.deep.equal([]);
  });

  it('reads the kernel itself instead of an audit\'s earlier read when a sync failed meanwhile', async () => {
    const env = new Env();
    await started(env);
    const read = await auditReadHeld(env);
    // a change whose batch fails as a whole (a transport error): the shadow copy is in doubt now
    env.ipvs.injectFailure({ call: 'apply', errno: E.ETIMEDOUT, times: 1 });
    env.reconciler.endpointSliceChanged('default/web-x', slice('web', ['10.244.0.5', '10.244.0.6', '10.244.0.7']));
    for (let i = 0; i < 5 && env.reconciler.health().lastResult?.failures.length === 0; i++) {
      env.clock.step(1_000);
      await new Promise((r) => setImmediate(r));
    }
    expect(env.reconciler.health().lastResult?.failures[0]?.errnoName).to.equal('ETIMEDOUT');
    env.ipvs.clearLog();
    read.restore();
    read.release();
    await env.advance(5_000);
    // the retry after the failure read the kernel back itself, and everything is in place
    expect(env.ipvs.log.filter((e) => e.call === 'listVirtualServers').length).to.be.greaterThan(0);
    expect(env.table()).to.include('-a TCP/10.96.0.10:80 -r 10.244.0.7:8080 -masq -w 1');
    expect(env.reconciler.health().lastResult?.failures).to.deep.equal([]);
  });

  it('heals drift at the next audit: deleted virtual server, deleted or changed real server, unbound VIP', async () => {
    const env = new Env();
    await started(env);
    const vs = env.ipvs.snapshot().get('TCP/10.96.0.10:80' as never)!.server;
    const rs = { family: 4, address: '10.244.0.6', port: 8080, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 } as const;
    await env.ipvs.apply([{ kind: 'deleteRealServer', virtualServer: vs, realServer: rs }]);
    await env.advance(30_000);
    expect(env.table()).to.deep.equal(WEB);
    expect(await env.metric('kube_ipvs_proxy_drift_repaired_total{kind="ipvs"}')).to.equal(1);

    await env.ipvs.apply([{ kind: 'updateRealServer', virtualServer: vs, realServer: { ...rs, weight: 7 } }, { kind: 'updateVirtualServer', virtualServer: { ...vs, scheduler: 'lc' } }]);
    await env.advance(30_000);
    expect(env.table()).to.deep.equal(WEB);

    await env.ipvs.apply([{ kind: 'deleteVirtualServer', virtualServer: vs }]);
    await env.advance(30_000);
    expect(env.table()).to.deep.equal(WEB);

    // a VIP unbound by hand: the virtual server is no longer provably ours, so re-adding it meets
    // EEXIST; the retry reads the kernel back, adopts it, and all is as desired again
    const link = await env.link.getLink('kube-ipvs0');
    await env.link.applyAddresses(link!.index, [{ kind: 'deleteAddress', address: { family: 4, address: '10.96.0.10', prefixLength: 32 } }]);
    await env.advance(60_000);
    expect(env.vips()).to.deep.equal(['10.96.0.10/32']);
    expect(env.table()).to.deep.equal(WEB);
    expect(env.reconciler.health().lastResult?.failures).to.deep.equal([]);
    expect(await env.metric('kube_ipvs_proxy_drift_repaired_total{kind="address"}')).to.equal(1);
  });

  it('recreates kube-ipvs0 deleted by hand at the next audit, binds its addresses again, and says so', async () => {
    const env = new Env();
    await started(env);
    await env.link.deleteLink('kube-ipvs0');
    expect(env.vips()).to.deep.equal([]);
    await env.advance(30_000);
    expect(env.vips()).to.deep.equal(['10.96.0.10/32']);
    expect(env.table()).to.deep.equal(WEB);
    expect(await env.metric('kube_ipvs_proxy_drift_repaired_total{kind="link"}')).to.equal(1);
    expect(await env.metric('kube_ipvs_proxy_drift_repaired_total{kind="address"}')).to.equal(1);
    const warned = env.logs.find((l) => l.msg.startsWith('audit found kernel state'));
    expect(warned?.fields).to.include({ addresses: 1, link: 'kube-ipvs0 was deleted or replaced (a new ifindex), and is set up again' });
  });

  it('adopts the kernel state at restart and corrects it in place, without a flush or a delete of what stays', async () => {
    const first = new Env();
    await started(first, [
      ['default/web', web],
      ['default/api', service('api', '10.96.0.20', [{ name: 'http', port: 443 }])],
    ], [
      ['default/web-x', webSlice],
      ['default/api-x', slice('api', ['10.244.0.9'])],
    ]);
    await first.reconciler.stop();

    // while we were down: api lost an endpoint and gained one, web is unchanged
    const second = new Env({}, { ipvs: first.ipvs, link: first.link });
    first.ipvs.clearLog();
    first.link.clearLog();
    await started(second, [
      ['default/web', web],
      ['default/api', service('api', '10.96.0.20', [{ name: 'http', port: 443 }])],
    ], [
      ['default/web-x', webSlice],
      ['default/api-x', slice('api', ['10.244.0.10'])],
    ]);
    // the new endpoint first; the old one's removal waits for its connection count (it has none)
    expect(second.ipvs.log.filter((e) => e.write).map((e) => `${e.call} ${e.key}`)).to.deep.equal([
      'addRealServer TCP/10.96.0.20:443 -> 10.244.0.10:8080',
      'deleteRealServer TCP/10.96.0.20:443 -> 10.244.0.9:8080',
    ]);
    expect(second.ipvs.log.some((e) => e.call === 'flush')).to.equal(false);
    expect(second.link.writeCount).to.equal(0);
    expect(second.table()).to.include.members(WEB);
  });

  it('names in its initial-sync log line what it removed at a restart: a Service deleted while it was down', async () => {
    const first = new Env();
    await started(first, [['default/web', web], ['default/gone', service('gone', '10.96.0.21')]], [['default/web-x', webSlice]]);
    await first.reconciler.stop();
    const second = new Env({}, { ipvs: first.ipvs, link: first.link });
    await started(second);
    expect(second.table()).to.deep.equal(WEB);
    const done = second.logs.find((l) => l.msg.startsWith('initial sync done'));
    expect(done?.fields).to.include({ removedVirtualServers: 1, removedAddresses: 1, virtualServers: 1 });
  });

  it('counts in that line only what it removed: a deleted Service still draining connections is not', async () => {
    const first = new Env({ gracePeriodMs: 600_000 });
    await started(first, [['default/web', web], ['default/gone', service('gone', '10.96.0.21')]], [['default/web-x', webSlice], ['default/gone-x', slice('gone', ['10.244.0.8'])]]);
    first.ipvs.setConnections('TCP/10.96.0.21:80', '10.244.0.8:8080', { active: 1, inactive: 0 });
    await first.reconciler.stop();
    const second = new Env({ gracePeriodMs: 600_000 }, { ipvs: first.ipvs, link: first.link });
    await started(second);
    expect(second.vips()).to.include('10.96.0.21/32');
    expect(second.table()).to.include('-a TCP/10.96.0.21:80 -r 10.244.0.8:8080 -masq -w 0');
    const done = second.logs.find((l) => l.msg.startsWith('initial sync done'));
    expect(done?.fields).to.include({ removedVirtualServers: 0, removedAddresses: 0 });
  });

  it('never touches IPVS rules it does not own: admin rules survive syncs, audits, deletions and cleanup', async () => {
    const env = new Env({ excludeCidrs: ['10.96.100.0/24'] });
    await env.ipvs.apply([
      { kind: 'addVirtualServer', virtualServer: adminVs },
      { kind: 'addRealServer', virtualServer: adminVs, realServer: adminRs },
    ]);
    // an excluded VIP bound on our link by someone else, with its virtual server
    const excluded: VirtualServer = { ...adminVs, address: '10.96.100.1' };
    const link = await env.link.ensureDummyLink('kube-ipvs0');
    await env.link.applyAddresses(link.index, [{ kind: 'addAddress', address: { family: 4, address: '10.96.100.1', prefixLength: 32 } }]);
    await env.ipvs.apply([{ kind: 'addVirtualServer', virtualServer: excluded }]);

    await started(env);
    env.reconciler.serviceChanged('default/web', undefined);
    await env.advance(65_000);
    expect(env.table()).to.deep.equal([...ADMIN, '-A TCP/10.96.100.1:80 -s wlc flags=0x0'].sort());
    expect(env.vips()).to.deep.equal(['10.96.100.1/32']);

    env.reconciler.serviceChanged('default/web', web);
    await env.advance(1_000);
    const result = await env.reconciler.cleanup();
    // the excluded address keeps the link (its virtual server would be unreachable without it): only ours goes
    expect(result).to.deep.include({ virtualServersDeleted: 1, linkDeleted: false, addressesDeleted: 1, addressesKept: 1 });
    expect(env.table()).to.deep.equal([...ADMIN, '-A TCP/10.96.100.1:80 -s wlc flags=0x0'].sort());
    expect(env.vips()).to.deep.equal(['10.96.100.1/32']);
  });

  it('serves a Service whose ClusterIP is inside an exclude CIDR, audits it without writes, and removes it when deleted', async () => {
    const env = new Env({ excludeCidrs: ['10.96.0.0/28'] });
    await started(env);
    expect(env.table()).to.deep.equal(WEB);
    env.ipvs.clearLog();
    env.link.clearLog();
    await env.advance(65_000);
    expect(env.ipvs.writeCount + env.link.writeCount).to.equal(0);
    env.reconciler.serviceChanged('default/web', undefined);
    await env.advance(2_000);
    expect(env.table()).to.deep.equal([]);
    expect(env.vips()).to.deep.equal([]);
  });

  it('removes a deleted Service\'s virtual servers and unbinds its VIP only when its last virtual server is gone', async () => {
    const env = new Env();
    const two = service('web', '10.96.0.10', [{ name: 'http', port: 80 }, { name: 'https', port: 443 }]);
    await started(env, [['default/web', two]]);
    env.reconciler.serviceChanged('default/web', web);
    await env.advance(1_000);
    expect(env.table().filter((l) => l.startsWith('-A'))).to.deep.equal(['-A TCP/10.96.0.10:80 -s rr flags=0x0']);
    expect(env.vips()).to.deep.equal(['10.96.0.10/32']);
    env.reconciler.serviceChanged('default/web', undefined);
    await env.advance(1_000);
    expect(env.table()).to.deep.equal([]);
    expect(env.vips()).to.deep.equal([]);
  });

  describe('graceful termination', () => {
    const dual = service('dns', '10.96.0.53', [{ name: 'tcp', port: 53, protocol: 'TCP' }, { name: 'udp', port: 53, protocol: 'UDP' }]);
    const ports = [{ name: 'tcp', port: 5353, protocol: 'TCP' }, { name: 'udp', port: 5353, protocol: 'UDP' }];
    const both = slice('dns', ['10.244.0.5', '10.244.0.6'], ports);
    const one = slice('dns', ['10.244.0.5'], ports);

    async function terminating(options: ConstructorParameters<typeof Env>[0] = {}): Promise<Env> {
      const env = new Env({ gracePeriodMs: 600_000, gracefulCheckIntervalMs: 10_000, ...options });
      await started(env, [['default/dns', dual]], [['default/dns-x', both]]);
      env.ipvs.setConnections('TCP/10.96.0.53:53', '10.244.0.6:5353', { active: 1, inactive: 2 });
      env.ipvs.setConnections('UDP/10.96.0.53:53', '10.244.0.6:5353', { active: 0, inactive: 4 });
      env.reconciler.endpointSliceChanged('default/dns-x', one);
      await env.advance(1_000);
      return env;
    }

    it('keeps a TCP real server with connections at weight 0 and deletes the UDP one at once', async () => {
      const env = await terminating();
      expect(env.table()).to.deep.equal([
        '-A TCP/10.96.0.53:53 -s rr flags=0x0',
        '-A UDP/10.96.0.53:53 -s rr flags=0x0',
        '-a TCP/10.96.0.53:53 -r 10.244.0.5:5353 -masq -w 1',
        '-a TCP/10.96.0.53:53 -r 10.244.0.6:5353 -masq -w 0',
        '-a UDP/10.96.0.53:53 -r 10.244.0.5:5353 -masq -w 1',
      ]);
      // audits leave it alone while it drains
      await env.advance(35_000);
      expect(env.table()).to.include('-a TCP/10.96.0.53:53 -r 10.244.0.6:5353 -masq -w 0');
      // its connections end: it goes at the next check
      env.ipvs.setConnections('TCP/10.96.0.53:53', '10.244.0.6:5353', { active: 0, inactive: 0 });
      await env.advance(10_000);
      expect(env.table()).to.not.include('-a TCP/10.96.0.53:53 -r 10.244.0.6:5353 -masq -w 0');
      expect(await env.metric('kube_ipvs_proxy_graceful_terminations')).to.equal(0);
    });

    it('drains a deleted Service: its TCP virtual server and VIP stay at weight 0 until the connections end; UDP goes at once', async () => {
      const env = new Env({ gracePeriodMs: 600_000, gracefulCheckIntervalMs: 10_000 });
      await started(env, [['default/dns', dual]], [['default/dns-x', both]]);
      env.ipvs.setConnections('TCP/10.96.0.53:53', '10.244.0.6:5353', { active: 1, inactive: 0 });
      env.reconciler.serviceChanged('default/dns', undefined);
      await env.advance(1_000);
      expect(env.table()).to.deep.equal(['-A TCP/10.96.0.53:53 -s rr flags=0x0', '-a TCP/10.96.0.53:53 -r 10.244.0.6:5353 -masq -w 0']);
      expect(env.vips()).to.deep.equal(['10.96.0.53/32']);
      // audits leave it as it is, and write nothing
      env.ipvs.clearLog();
      await env.advance(35_000);
      expect(env.ipvs.writeCount).to.equal(0);
      expect(env.table()).to.have.length(2);
      env.ipvs.setConnections('TCP/10.96.0.53:53', '10.244.0.6:5353', { active: 0, inactive: 0 });
      await env.advance(12_000);
      expect(env.table()).to.deep.equal([]);
      expect(env.vips()).to.deep.equal([]);
    });

    it('gives a drained virtual server back to its Service when the Service returns', async () => {
      const env = new Env({ gracePeriodMs: 600_000, gracefulCheckIntervalMs: 10_000 });
      await started(env, [['default/dns', dual]], [['default/dns-x', both]]);
      env.ipvs.setConnections('TCP/10.96.0.53:53', '10.244.0.6:5353', { active: 1, inactive: 0 });
      env.reconciler.serviceChanged('default/dns', undefined);
      await env.advance(1_000);
      env.reconciler.serviceChanged('default/dns', dual);
      await env.advance(1_000);
      expect(env.table()).to.include.members(['-a TCP/10.96.0.53:53 -r 10.244.0.5:5353 -masq -w 1', '-a TCP/10.96.0.53:53 -r 10.244.0.6:5353 -masq -w 1']);
      expect(await env.metric('kube_ipvs_proxy_graceful_terminations')).to.equal(0);
    });

    it('deletes it after the grace period even with connections left', async () => {
      const env = await terminating({ gracePeriodMs: 120_000 });
      await env.advance(100_000);
      expect(env.table()).to.include('-a TCP/10.96.0.53:53 -r 10.244.0.6:5353 -masq -w 0');
      await env.advance(30_000);
      expect(env.table()).to.not.include('-a TCP/10.96.0.53:53 -r 10.244.0.6:5353 -masq -w 0');
    });

    it('puts it back to weight 1 when the endpoint returns, and stops reaping it', async () => {
      const env = await terminating();
      env.reconciler.endpointSliceChanged('default/dns-x', both);
      await env.advance(1_000);
      expect(env.table()).to.include('-a TCP/10.96.0.53:53 -r 10.244.0.6:5353 -masq -w 1');
      env.ipvs.setConnections('TCP/10.96.0.53:53', '10.244.0.6:5353', { active: 0, inactive: 0 });
      await env.advance(60_000);
      expect(env.table()).to.include('-a TCP/10.96.0.53:53 -r 10.244.0.6:5353 -masq -w 1');
    });

    it('restores desired weights left at 0 by a restart mid-termination (kube-proxy #108319)', async () => {
      const env = await terminating();
      await env.reconciler.stop();
      const next = new Env({}, { ipvs: env.ipvs, link: env.link });
      // the endpoint is back by the time the new process starts
      await started(next, [['default/dns', dual]], [['default/dns-x', both]]);
      expect(next.table()).to.include('-a TCP/10.96.0.53:53 -r 10.244.0.6:5353 -masq -w 1');
      expect(next.table().filter((l) => l.endsWith('-w 0'))).to.deep.equal([]);
    });

    it('keeps draining a weight-0 real server found at restart, then deletes it', async () => {
      const env = await terminating();
      await env.reconciler.stop();
      const next = new Env({ gracefulCheckIntervalMs: 10_000 }, { ipvs: env.ipvs, link: env.link });
      await started(next, [['default/dns', dual]], [['default/dns-x', one]]);
      expect(next.table()).to.include('-a TCP/10.96.0.53:53 -r 10.244.0.6:5353 -masq -w 0');
      next.ipvs.setConnections('TCP/10.96.0.53:53', '10.244.0.6:5353', { active: 0, inactive: 0 });
      await next.advance(10_000);
      expect(next.table()).to.not.include('-a TCP/10.96.0.53:53 -r 10.244.0.6:5353 -masq -w 0');
    });
  });

  it('skips invalid objects with a log line and a metric while the others are programmed', async () => {
    const env = new Env();
    await started(env, [
      ['default/web', web],
      ['default/bad', service('bad', '10.96.0.300')],
      ['default/odd', service('odd', '10.96.0.30', [{ name: 'x', port: 99999 }, { name: 'http', port: 80 }])],
    ], [
      ['default/web-x', webSlice],
      ['default/odd-x', slice('odd', ['10.244.0.7', 'bogus'])],
    ]);
    expect(env.table()).to.deep.equal([...WEB, '-A TCP/10.96.0.30:80 -s rr flags=0x0', '-a TCP/10.96.0.30:80 -r 10.244.0.7:8080 -masq -w 1'].sort());
    expect(await env.metric('kube_ipvs_proxy_objects_rejected_total{reason="InvalidClusterIP"}')).to.equal(1);
    expect(await env.metric('kube_ipvs_proxy_objects_rejected_total{reason="InvalidPort"}')).to.equal(1);
    expect(await env.metric('kube_ipvs_proxy_objects_rejected_total{reason="InvalidEndpointAddress"}')).to.equal(1);
    const warned = env.logs.filter((l) => l.level === 'warn').map((l) => `${String(l.fields?.reason)} ${String(l.fields?.object)}`);
    expect(warned).to.include.members(['InvalidClusterIP Service default/bad', 'InvalidPort Service default/odd', 'InvalidEndpointAddress EndpointSlice default/odd-x']);

    // its endpoints change three times: the same bad port is not reported again; a new bad address is
    for (const extra of ['10.244.0.8', '10.244.0.9', 'worse']) {
      env.reconciler.endpointSliceChanged('default/odd-x', slice('odd', ['10.244.0.7', 'bogus', extra]));
      await env.advance(1_000);
    }
    expect(await env.metric('kube_ipvs_proxy_objects_rejected_total{reason="InvalidPort"}')).to.equal(1);
    expect(await env.metric('kube_ipvs_proxy_objects_rejected_total{reason="InvalidEndpointAddress"}')).to.equal(2);
    expect(env.logs.filter((l) => l.level === 'warn' && l.fields?.reason === 'InvalidPort')).to.have.length(1);
    // once fixed and broken again, it is reported again
    env.reconciler.serviceChanged('default/odd', service('odd', '10.96.0.30', [{ name: 'http', port: 80 }]));
    await env.advance(1_000);
    env.reconciler.serviceChanged('default/odd', service('odd', '10.96.0.30', [{ name: 'x', port: 99999 }, { name: 'http', port: 80 }]));
    await env.advance(1_000);
    expect(await env.metric('kube_ipvs_proxy_objects_rejected_total{reason="InvalidPort"}')).to.equal(2);
  });

  it('a kernel error on one Service does not block the others, and is retried with backoff', async () => {
    const env = new Env();
    env.ipvs.injectFailure({ call: 'addVirtualServer', key: 'TCP/10.96.0.20:80', errno: E.ENOMEM });
    await started(env, [
      ['default/web', web],
      ['default/api', service('api', '10.96.0.20')],
    ]);
    const first = env.reconciler.health().lastResult!;
    expect(first.failures.map((f) => `${f.operation} ${f.key} ${f.errnoName}`)).to.deep.equal(['ipvs.addVirtualServer TCP/10.96.0.20:80 ENOMEM']);
    expect(env.table()).to.include.members(WEB);
    await env.advance(1_000); // backoff starts at 1 s
    expect(env.table()).to.include('-A TCP/10.96.0.20:80 -s rr flags=0x0');
    expect(env.reconciler.health().lastResult?.failures).to.deep.equal([]);
  });

  it('keeps an object the kernel keeps refusing to itself: others are programmed on time, and health stays good', async () => {
    const env = new Env({ minSyncPeriodMs: 0 });
    env.ipvs.injectFailure({ call: 'addVirtualServer', key: 'TCP/10.96.0.20:80', errno: E.ENOENT, times: 1000 });
    await started(env, [
      ['default/web', web],
      ['default/api', service('api', '10.96.0.20')],
    ]);
    expect(env.table()).to.include.members(WEB);
    await env.advance(5_000);
    // a new Service while the refused one keeps failing: programmed at once, not after a backoff
    env.reconciler.serviceChanged('default/late', service('late', '10.96.0.30'));
    await env.advance(0);
    expect(env.table()).to.include('-A TCP/10.96.0.30:80 -s rr flags=0x0');
    expect(env.reconciler.health().pendingSince).to.equal(undefined);
    // it was retried on its own, with a growing delay, and logged each time
    const attempts = env.ipvs.log.filter((e) => e.call === 'addVirtualServer' && e.key === 'TCP/10.96.0.20:80').length;
    expect(attempts).to.be.within(3, 5);
    const refused = env.logs.filter((l) => l.msg.startsWith('the kernel refused a change'));
    expect(refused.length).to.equal(attempts);
    expect(refused[0]?.fields).to.include({ errno: 'ENOENT', operation: 'ipvs.addVirtualServer' });
    expect(refused[0]?.fields?.['reason']).to.be.a('string').that.is.not.empty;
    // not reported as programmed: the initial sync says so, and the gauges count it apart
    expect(env.logs.find((l) => l.msg.startsWith('initial sync done'))?.fields).to.include({ refusedVirtualServers: 1, virtualServers: 1 });
    expect(await env.metric('kube_ipvs_proxy_virtual_servers_refused')).to.equal(1);
    expect(await env.metric('kube_ipvs_proxy_virtual_servers')).to.equal(2); // web and late
    env.ipvs.clearFailures();
    await env.advance(20_000);
    expect(env.table()).to.include('-A TCP/10.96.0.20:80 -s rr flags=0x0');
    expect(await env.metric('kube_ipvs_proxy_virtual_servers_refused')).to.equal(0);
    expect(await env.metric('kube_ipvs_proxy_virtual_servers')).to.equal(3);
  });

  it('logs a virtual server skipped because its address could not be bound with that reason, and no errno of its own', async () => {
    const env = new Env({ minSyncPeriodMs: 0 });
    env.link.injectFailure({ call: 'addAddress', key: '10.96.0.20', errno: E.EADDRNOTAVAIL, times: 1 });
    await started(env, [['default/web', web], ['default/api', service('api', '10.96.0.20')]]);
    const skipped = env.logs.find((l) => l.msg.startsWith('the kernel refused a change') && l.fields?.['key'] === 'TCP/10.96.0.20:80');
    expect(skipped?.fields).to.include({ operation: 'ipvs.addVirtualServer', reason: 'skipped: its address could not be bound' });
    expect(skipped?.fields).to.not.have.property('errno');
    expect(await env.metric('kube_ipvs_proxy_addresses_bound')).to.equal(1); // the failed bind is not counted
    await env.advance(5_000);
    expect(env.table()).to.include('-A TCP/10.96.0.20:80 -s rr flags=0x0');
    expect(await env.metric('kube_ipvs_proxy_addresses_bound')).to.equal(2);
  });

  it('never runs two syncs at once, even when asked concurrently', async () => {
    const env = new Env();
    await started(env);
    let inFlight = 0;
    let maxInFlight = 0;
    const list = env.ipvs.listVirtualServers.bind(env.ipvs);
    env.ipvs.listVirtualServers = async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return list();
    };
    const results = await Promise.all([env.reconciler.syncNow({ full: true }), env.reconciler.syncNow({ full: true }), env.reconciler.syncNow({ full: true })]);
    expect(results.map((r) => r.kind)).to.deep.equal(['full', 'full', 'full']);
    expect(maxInFlight).to.equal(1);
    await env.reconciler.stop();
    expect((await env.reconciler.syncNow({ full: true })).operations).to.equal(0);
  });

  it('a Service whose objects are malformed beyond their types is skipped alone, the others still programmed', async () => {
    const env = new Env();
    const broken = { addressType: 'IPv4', endpoints: [{ conditions: { ready: true } }], ports: [{ name: 'http', port: 8080 }], metadata: { name: 'bad-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'bad' } } } as unknown as ReturnType<typeof slice>;
    const weird = { metadata: { name: 'odd', namespace: 'default' }, spec: { clusterIP: '10.96.0.40', ports: 'eighty' } } as unknown as ReturnType<typeof service>;
    await started(
      env,
      [['default/bad', service('bad', '10.96.0.50')], ['default/odd', weird], ['default/web', web]],
      [['default/bad-x', broken], ['default/web-x', webSlice]],
    );
    expect(env.table()).to.include.members(WEB);
    expect(env.table()).to.include('-A TCP/10.96.0.50:80 -s rr flags=0x0');
    expect(env.reconciler.health().lastResult?.failures).to.deep.equal([]);
    // one that makes the computation throw: counted and logged once, however often it is recomputed
    const worse = { metadata: { name: 'worse', namespace: 'default' }, spec: { clusterIP: '10.96.0.41', ports: [null] } } as unknown as ReturnType<typeof service>;
    const series = 'kube_ipvs_proxy_objects_rejected_total{reason="MalformedObject"}';
    for (let i = 0; i < 3; i++) {
      env.reconciler.serviceChanged('default/worse', worse);
      await env.advance(1_000);
    }
    expect(await env.metric(series)).to.equal(1);
    expect(env.logs.filter((l) => l.fields?.['reason'] === 'MalformedObject')).to.have.length(1);
    expect(env.table()).to.include.members(WEB);
  });

  it('survives a failing kernel read, and retries', async () => {
    const env = new Env();
    env.ipvs.injectFailure({ call: 'listVirtualServers', errno: E.EBUSY, times: 2 });
    await started(env);
    expect(env.reconciler.health().lastResult?.failures[0]?.errnoName).to.equal('EBUSY');
    await env.advance(3_000);
    expect(env.table()).to.deep.equal(WEB);
  });

  it('coalesces a burst of changes into one sync that recomputes only the changed Service and reads nothing', async () => {
    const env = new Env({ minSyncPeriodMs: 1_000 });
    const many: Array<[string, ReturnType<typeof service>]> = [];
    for (let i = 1; i <= 50; i++) many.push([`default/s${i}`, service(`s${i}`, `10.96.1.${i}`)]);
    await started(env, many, []);
    env.ipvs.clearLog();
    const syncsBefore = (await env.metric('kubeproxy_sync_proxy_rules_duration_seconds_count')) ?? 0;
    for (let i = 0; i < 20; i++) {
      env.reconciler.endpointSliceChanged('default/s7-x', slice('s7', [`10.244.7.${i + 1}`]));
      await env.advance(10);
    }
    await env.advance(1_000);
    expect(((await env.metric('kubeproxy_sync_proxy_rules_duration_seconds_count')) ?? 0) - syncsBefore).to.equal(1);
    const result = env.reconciler.health().lastResult!;
    expect(result).to.include({ kind: 'partial', servicesComputed: 1 });
    expect(env.ipvs.log.filter((e) => !e.write)).to.deep.equal([]); // no kernel reads
    expect(env.table().filter((l) => l.startsWith('-a TCP/10.96.1.7:80'))).to.deep.equal(['-a TCP/10.96.1.7:80 -r 10.244.7.20:8080 -masq -w 1']);
  });

  it('moves a slice between Services and follows it', async () => {
    const env = new Env();
    await started(env, [
      ['default/web', web],
      ['default/api', service('api', '10.96.0.20')],
    ]);
    const moved = { ...webSlice, metadata: { ...webSlice.metadata, labels: { 'kubernetes.io/service-name': 'api' } } };
    env.reconciler.endpointSliceChanged('default/web-x', moved);
    await env.advance(1_000);
    expect(env.table()).to.deep.equal([
      '-A TCP/10.96.0.10:80 -s rr flags=0x0',
      '-A TCP/10.96.0.20:80 -s rr flags=0x0',
      '-a TCP/10.96.0.20:80 -r 10.244.0.5:8080 -masq -w 1',
      '-a TCP/10.96.0.20:80 -r 10.244.0.6:8080 -masq -w 1',
    ]);
  });

  it('gives a virtual server claimed by two Services to the first, and to the second once released', async () => {
    const env = new Env();
    await started(env, [
      ['default/web', web],
      ['default/copy', service('copy', '10.96.0.10', [{ name: 'http', port: 80 }], { sessionAffinity: 'ClientIP' })],
    ]);
    expect(env.table()[0]).to.equal('-A TCP/10.96.0.10:80 -s rr flags=0x0');
    expect(await env.metric('kube_ipvs_proxy_objects_rejected_total{reason="VirtualServerConflict"}')).to.equal(1);
    env.reconciler.serviceChanged('default/web', undefined);
    await env.advance(1_000);
    expect(env.table()).to.deep.equal(['-A TCP/10.96.0.10:80 -s rr -p 10800 flags=0x1']);
    expect(env.vips()).to.deep.equal(['10.96.0.10/32']);
  });

  it('serves both families on a dual-stack node, binding /32 and /128', async () => {
    const env = new Env({ families: [4, 6] });
    const svc = service('web', '10.96.0.10', [{ name: 'http', port: 80 }], { clusterIPs: ['10.96.0.10', 'fd00::a'] });
    const v6 = { ...slice('web', ['fd00:10::5'], undefined, 'v6'), addressType: 'IPv6' };
    await started(env, [['default/web', svc]], [
      ['default/web-x', slice('web', ['10.244.0.5'])],
      ['default/web-v6', v6],
    ]);
    expect(env.table()).to.deep.equal([
      '-A TCP/10.96.0.10:80 -s rr flags=0x0',
      '-A TCP/[fd00::a]:80 -s rr flags=0x0',
      '-a TCP/10.96.0.10:80 -r 10.244.0.5:8080 -masq -w 1',
      '-a TCP/[fd00::a]:80 -r [fd00:10::5]:8080 -masq -w 1',
    ]);
    expect(env.vips()).to.deep.equal(['10.96.0.10/32', 'fd00::a/128']);
  });

  it('cleanup without a dummy link touches nothing', async () => {
    const env = new Env();
    await env.ipvs.apply([{ kind: 'addVirtualServer', virtualServer: adminVs }]);
    env.ipvs.clearLog();
    expect(await env.reconciler.cleanup()).to.deep.equal({ virtualServersDeleted: 0, linkDeleted: false, addressesDeleted: 0, addressesKept: 0, failures: [] });
    expect(env.ipvs.writeCount).to.equal(0);
    expect(env.table()).to.deep.equal(['-A TCP/192.168.1.1:80 -s wlc flags=0x0']);
  });

  it('reports changes waiting to be programmed, for health checks', async () => {
    const env = new Env();
    await started(env);
    expect(env.reconciler.health().pendingSince).to.equal(undefined);
    // a failure of the sync itself (the transport), not of one object
    env.ipvs.injectFailure({ call: 'apply', errno: E.ETIMEDOUT, times: 3 });
    const since = env.clock.now();
    env.reconciler.endpointSliceChanged('default/web-x', slice('web', ['10.244.0.9']));
    await env.advance(1_000);
    expect(env.reconciler.health().pendingSince).to.equal(since);
    await env.advance(10_000);
    expect(env.reconciler.health().pendingSince).to.equal(undefined);
    expect(env.table()).to.include('-a TCP/10.96.0.10:80 -r 10.244.0.9:8080 -masq -w 1');
  });
});
