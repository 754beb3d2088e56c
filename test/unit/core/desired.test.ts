// Service + EndpointSlices → desired virtual servers, table-driven: what kube-proxy would program.
import { expect } from 'chai';
import type { CoreConfig, Rejection } from '../../../src/core/index.js';
import { desiredForService, parseCidrs } from '../../../src/core/index.js';
import type { EndpointLike, EndpointSliceLike, ServiceLike } from '../../../src/model/index.js';

const config: CoreConfig = { nodeName: 'node-a', families: [4], excludeCidrs: [] };
const dual: CoreConfig = { ...config, families: [4, 6] };

function svc(spec: NonNullable<ServiceLike['spec']>, meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): ServiceLike {
  return { metadata: { name: 'web', namespace: 'default', ...meta }, spec: { clusterIP: spec.clusterIPs?.[0] ?? '10.96.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...spec } };
}

function slice(endpoints: EndpointLike[], opts: { addressType?: string; ports?: EndpointSliceLike['ports']; name?: string } = {}): { key: string; slice: EndpointSliceLike } {
  const name = opts.name ?? 'web-abc';
  return {
    key: `default/${name}`,
    slice: {
      metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: opts.addressType ?? 'IPv4',
      endpoints,
      ports: opts.ports ?? [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  };
}

const ep = (address: string, conditions?: EndpointLike['conditions'], nodeName?: string): EndpointLike => ({
  addresses: [address],
  ...(conditions ? { conditions } : {}),
  ...(nodeName ? { nodeName } : {}),
});

/** "VSKEY scheduler flags timeout -> rs1,rs2" lines: everything an operator would see in ipvsadm. */
function render(service: ServiceLike, slices: ReturnType<typeof slice>[] = [], cfg: CoreConfig = config): { lines: string[]; reasons: string[]; rejections: readonly Rejection[] } {
  const d = desiredForService('default/web', service, slices, cfg);
  const lines = [...d.virtualServers].map(([k, v]) => {
    const s = v.server;
    const rs = [...v.realServers.keys()].sort().join(',');
    return `${k} ${s.scheduler} 0x${s.flags.toString(16)} ${s.timeout} /${s.netmask === 0xffffffff ? 32 : s.netmask} -> ${rs}`;
  });
  return { lines, reasons: d.rejections.map((r) => r.reason), rejections: d.rejections };
}

describe('core: desiredForService', () => {
  const cases: Array<{ name: string; service: ServiceLike; slices?: ReturnType<typeof slice>[]; cfg?: CoreConfig; lines: string[]; reasons?: string[] }> = [
    {
      name: 'a ClusterIP Service: one masq virtual server per port, ready endpoints by target port name',
      service: svc({ ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] }),
      slices: [slice([ep('10.244.0.5'), ep('10.244.1.7')], { ports: [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }] })],
      lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> 10.244.0.5:8080,10.244.1.7:8080', 'UDP/10.96.0.10:53 rr 0x0 0 /32 -> 10.244.0.5:5353,10.244.1.7:5353'],
    },
    { name: 'ClusterIP None is skipped', service: svc({ clusterIP: 'None', clusterIPs: ['None'] }), lines: [] },
    { name: 'ExternalName is skipped', service: svc({ type: 'ExternalName' }), lines: [] },
    { name: 'an empty ClusterIP is skipped', service: svc({ clusterIP: '' }), lines: [] },
    { name: 'the headless label is honoured', service: svc({}, { labels: { 'service.kubernetes.io/headless': '' } }), lines: [] },
    { name: 'another proxy\'s Service is skipped', service: svc({}, { labels: { 'service.kubernetes.io/service-proxy-name': 'other' } }), lines: [] },
    {
      name: 'our own proxy name is served',
      service: svc({}, { labels: { 'service.kubernetes.io/service-proxy-name': 'ipvs' } }),
      cfg: { ...config, proxyName: 'ipvs' },
      lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> '],
    },
    {
      name: 'ClientIP affinity: persistent, default timeout 10800',
      service: svc({ sessionAffinity: 'ClientIP' }),
      lines: ['TCP/10.96.0.10:80 rr 0x1 10800 /32 -> '],
    },
    {
      name: 'ClientIP affinity with a timeout',
      service: svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }),
      lines: ['TCP/10.96.0.10:80 rr 0x1 60 /32 -> '],
    },
    {
      name: 'scheduler annotation with flags for sh',
      service: svc({}, { annotations: { 'ipvs.kube-ipvs-proxy.io/scheduler': 'sh', 'ipvs.kube-ipvs-proxy.io/scheduler-flags': 'fallback, port' } }),
      lines: ['TCP/10.96.0.10:80 sh 0x18 0 /32 -> '],
    },
    { name: 'mh hashes the port by default, like kube-proxy', service: svc({}, { annotations: { 'ipvs.kube-ipvs-proxy.io/scheduler': 'mh' } }), lines: ['TCP/10.96.0.10:80 mh 0x10 0 /32 -> '] },
    { name: 'configured default scheduler', service: svc({}), cfg: { ...config, scheduler: 'wlc' }, lines: ['TCP/10.96.0.10:80 wlc 0x0 0 /32 -> '] },
    {
      name: 'an unknown scheduler falls back to the default, with a rejection',
      service: svc({}, { annotations: { 'ipvs.kube-ipvs-proxy.io/scheduler': 'fastest' } }),
      lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> '],
      reasons: ['InvalidScheduler'],
    },
    {
      name: 'scheduler flags on rr are ignored, with a rejection',
      service: svc({}, { annotations: { 'ipvs.kube-ipvs-proxy.io/scheduler-flags': 'port' } }),
      lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> '],
      reasons: ['InvalidSchedulerFlags'],
    },
    {
      name: 'no ready endpoint: serving+terminating ones are used; terminating non-serving never',
      service: svc({}),
      slices: [slice([ep('10.244.0.5', { ready: false, serving: true, terminating: true }), ep('10.244.0.6', { ready: false, serving: false, terminating: true }), ep('10.244.0.7', { ready: false })])],
      lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> 10.244.0.5:8080'],
    },
    {
      name: 'ready endpoints win over terminating ones; unset ready counts as ready',
      service: svc({}),
      slices: [slice([ep('10.244.0.5', { ready: false, serving: true, terminating: true }), ep('10.244.0.8')])],
      lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> 10.244.0.8:8080'],
    },
    {
      name: 'internalTrafficPolicy Local keeps only this node\'s endpoints',
      service: svc({ internalTrafficPolicy: 'Local' }),
      slices: [slice([ep('10.244.0.5', undefined, 'node-a'), ep('10.244.1.5', undefined, 'node-b')])],
      lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> 10.244.0.5:8080'],
    },
    {
      name: 'internalTrafficPolicy Local with no local endpoint: no real servers (no fallback)',
      service: svc({ internalTrafficPolicy: 'Local' }),
      slices: [slice([ep('10.244.1.5', undefined, 'node-b')])],
      lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> '],
    },
    {
      name: 'an endpoint in two slices is programmed once',
      service: svc({}),
      slices: [slice([ep('10.244.0.5', { ready: false })], { name: 'a' }), slice([ep('10.244.0.5'), ep('10.244.0.6')], { name: 'b' })],
      lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> 10.244.0.5:8080,10.244.0.6:8080'],
    },
    {
      name: 'slice ports of another name or protocol are not used',
      service: svc({}),
      slices: [slice([ep('10.244.0.5')], { ports: [{ name: 'metrics', port: 9090 }, { name: 'http', port: 8080, protocol: 'UDP' }] })],
      lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> '],
    },
    {
      name: 'dual-stack Service on a dual-stack node: one virtual server per family, slices by addressType',
      service: svc({ clusterIPs: ['10.96.0.10', 'fd00:0:0::a'] }),
      slices: [slice([ep('10.244.0.5')], { name: 'v4' }), slice([ep('fd00:10::0:5')], { name: 'v6', addressType: 'IPv6' })],
      cfg: dual,
      lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> 10.244.0.5:8080', 'TCP/[fd00::a]:80 rr 0x0 0 /128 -> [fd00:10::5]:8080'],
    },
    {
      name: 'dual-stack Service on an IPv4 node: only IPv4, silently',
      service: svc({ clusterIPs: ['10.96.0.10', 'fd00::a'] }),
      lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> '],
    },
    { name: 'an IPv6-only Service on an IPv4 node is rejected', service: svc({ clusterIPs: ['fd00::a'] }), lines: [], reasons: ['FamilyNotServed'] },
    // kube-proxy's excludeCIDRs protect others' rules from deletion; they do not hide Services
    { name: 'a ClusterIP inside an exclude CIDR is still programmed', service: svc({}), cfg: { ...config, excludeCidrs: parseCidrs(['10.96.0.0/28']) }, lines: render(svc({}), [], config).lines },
    {
      name: 'a NodePort Service is served on its ClusterIP, and its node ports are reported as not served',
      service: svc({ type: 'NodePort' }),
      lines: render(svc({}), [], config).lines,
      reasons: ['ServiceTypeNotServed'],
    },
    {
      name: 'externalIPs are reported as not served; the ClusterIP still is',
      service: svc({ externalIPs: ['192.0.2.10'] }),
      lines: render(svc({}), [], config).lines,
      reasons: ['ExternalIPsNotServed'],
    },
    { name: 'SCTP ports are programmed', service: svc({ ports: [{ name: 's', port: 9000, protocol: 'SCTP' }] }), lines: ['SCTP/10.96.0.10:9000 rr 0x0 0 /32 -> '] },
  ];
  it('counts the virtual servers of a Local Service that has endpoints, none on this node (kube-proxy\'s no_local_endpoints)', () => {
    const local = svc({ internalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] });
    const ports = [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }];
    const count = (service: ServiceLike, slices: ReturnType<typeof slice>[], cfg: CoreConfig = config): number => desiredForService('default/web', service, slices, cfg).noLocalEndpoints;
    expect(count(local, [slice([ep('10.244.1.5', undefined, 'node-b')], { ports })])).to.equal(2);
    expect(count(local, [slice([ep('10.244.1.5', undefined, 'node-b'), ep('10.244.0.5', undefined, 'node-a')], { ports })])).to.equal(0);
    expect(count(local, [])).to.equal(0); // no endpoints at all: not counted, as in kube-proxy
    expect(count(local, [slice([ep('10.244.1.5', { ready: false, serving: false }, 'node-b')], { ports })])).to.equal(0); // none usable
    expect(count(svc({ ports: local.spec?.ports }), [slice([ep('10.244.1.5', undefined, 'node-b')], { ports })])).to.equal(0); // Cluster policy
    // per virtual server: one port whose endpoints are elsewhere, one with none
    expect(count(local, [slice([ep('10.244.1.5', undefined, 'node-b')], { ports: [{ name: 'http', port: 8080 }] })])).to.equal(1);
  });

  for (const c of cases) {
    it(c.name, () => {
      const r = render(c.service, c.slices ?? [], c.cfg ?? config);
      expect(r.lines.sort()).to.deep.equal(c.lines.sort());
      expect(r.reasons).to.deep.equal(c.reasons ?? []);
    });
  }

  describe('invalid input becomes rejections, never exceptions, and spares the valid parts', () => {
    const bad: Array<{ name: string; service: ServiceLike; slices?: ReturnType<typeof slice>[]; lines: string[]; reasons: string[] }> = [
      { name: 'a malformed ClusterIP', service: svc({ clusterIP: '10.96.0.300' }), lines: [], reasons: ['InvalidClusterIP'] },
      { name: 'a non-decimal IPv4 form', service: svc({ clusterIP: '0x0a.0.0.1' }), lines: [], reasons: ['InvalidClusterIP'] },
      {
        name: 'a port out of range next to a good one',
        service: svc({ ports: [{ name: 'a', port: 70000 }, { name: 'http', port: 80 }] }),
        lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> '],
        reasons: ['InvalidPort'],
      },
      { name: 'an unknown protocol', service: svc({ ports: [{ name: 'x', port: 1, protocol: 'ICMP' }] }), lines: [], reasons: ['UnknownProtocol'] },
      {
        name: 'a bad endpoint address among good ones (reported once, not per port)',
        service: svc({ ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] }),
        slices: [slice([ep('10.244.0.5'), ep('not-an-ip'), ep('fd00::1')])],
        lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> 10.244.0.5:8080', 'TCP/10.96.0.10:81 rr 0x0 0 /32 -> 10.244.0.5:8080'],
        reasons: ['InvalidEndpointAddress', 'InvalidEndpointAddress'],
      },
      {
        name: 'a slice port out of range',
        service: svc({}),
        slices: [slice([ep('10.244.0.5')], { ports: [{ name: 'http', port: 0 }] })],
        lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> '],
        reasons: ['InvalidEndpointPort'],
      },
      { name: 'an affinity timeout out of range', service: svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } } }), lines: [], reasons: ['InvalidSessionAffinity'] },
      { name: 'a duplicate port', service: svc({ ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] }), lines: ['TCP/10.96.0.10:80 rr 0x0 0 /32 -> '], reasons: ['DuplicatePort'] },
      { name: 'no spec at all', service: { metadata: { name: 'x' } }, lines: [], reasons: [] },
    ];
    for (const c of bad) {
      it(c.name, () => {
        const r = render(c.service, c.slices ?? []);
        expect(r.lines.sort()).to.deep.equal(c.lines.sort());
        expect(r.reasons).to.deep.equal(c.reasons);
        for (const rej of r.rejections) expect(rej.object).to.match(/^(Service|EndpointSlice) default\//);
      });
    }
  });
});
