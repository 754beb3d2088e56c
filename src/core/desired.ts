// One Service and its EndpointSlices → the virtual servers (with real servers) it should have.
// Pure: skips what a proxy must skip, turns invalid input into rejections, never throws.
import type { IpFamily, RealServer, RealServerKey, ServiceLike, VirtualServer, VirtualServerKey } from '../model/index.js';
import { DEFAULT_SCHEDULER, HEADLESS_LABEL, IPVS_SCHEDULERS, PROTOCOLS, SERVICE_PROXY_NAME_LABEL, VirtualServerFlags, virtualServerKey } from '../model/index.js';
import type { CoreConfig } from './config.js';
import {
  DEFAULT_AFFINITY_TIMEOUT_SECONDS,
  MAX_AFFINITY_TIMEOUT_SECONDS,
  SCHEDULER_ANNOTATION,
  SCHEDULER_FLAGS_ANNOTATION,
} from './config.js';
import { selectRealServers, type EndpointChoice, type SliceRef } from './endpoints.js';
import { parseIp } from './ip.js';
import type { Rejection } from './rejection.js';
import type { VirtualServerState } from './state.js';

export interface ServiceDesired {
  readonly virtualServers: ReadonlyMap<VirtualServerKey, VirtualServerState>;
  readonly rejections: readonly Rejection[];
  /**
   * virtual servers of an internalTrafficPolicy Local Service left without real servers although
   * the Service has usable endpoints on other nodes (kube-proxy's no_local_endpoints count)
   */
  readonly noLocalEndpoints: number;
}

const EMPTY: ServiceDesired = { virtualServers: new Map(), rejections: [], noLocalEndpoints: 0 };

/** True when this proxy must leave the Service alone (not an error). */
export function isIgnoredService(service: ServiceLike, config: CoreConfig): boolean {
  const spec = service.spec;
  if (!spec || spec.type === 'ExternalName') return true;
  const labels = service.metadata?.labels ?? {};
  if (HEADLESS_LABEL in labels) return true;
  const proxyName = labels[SERVICE_PROXY_NAME_LABEL];
  if (proxyName !== undefined && proxyName !== config.proxyName) return true;
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP ?? ''];
  return ips.every((ip) => ip === '' || ip === 'None');
}

interface Settings {
  readonly scheduler: string;
  readonly flags: number;
  readonly timeout: number;
}

function virtualServerSettings(service: ServiceLike, config: CoreConfig, object: string, rejections: Rejection[]): Settings | undefined {
  const spec = service.spec ?? {};
  const annotations = service.metadata?.annotations ?? {};
  const fallback = config.scheduler ?? DEFAULT_SCHEDULER;
  let scheduler = fallback;
  const wanted = annotations[SCHEDULER_ANNOTATION]?.trim();
  if (wanted !== undefined && wanted !== '') {
    if (IPVS_SCHEDULERS.includes(wanted)) scheduler = wanted;
    else rejections.push({ reason: 'InvalidScheduler', object, detail: `annotation ${SCHEDULER_ANNOTATION}=${JSON.stringify(wanted)} is not an IPVS scheduler; using ${fallback}` });
  }

  let flags = 0;
  const flagText = annotations[SCHEDULER_FLAGS_ANNOTATION];
  if (flagText !== undefined && flagText.trim() !== '') {
    if (scheduler !== 'sh' && scheduler !== 'mh') {
      rejections.push({ reason: 'InvalidSchedulerFlags', object, detail: `${SCHEDULER_FLAGS_ANNOTATION} applies to sh and mh only, not ${scheduler}; ignored` });
    } else {
      for (const token of flagText.split(',').map((t) => t.trim()).filter((t) => t !== '')) {
        if (token === 'fallback') flags |= VirtualServerFlags.sched1;
        else if (token === 'port') flags |= VirtualServerFlags.sched2;
        else rejections.push({ reason: 'InvalidSchedulerFlags', object, detail: `unknown scheduler flag ${JSON.stringify(token)} (known: fallback, port); ignored` });
      }
    }
  } else if (scheduler === 'mh') {
    // as kube-proxy: mh hashes the source port too, or one client IP lands on one backend (#115526)
    flags |= VirtualServerFlags.sched2;
  }

  let timeout = 0;
  if (spec.sessionAffinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS;
    if (!Number.isInteger(t) || t < 1 || t > MAX_AFFINITY_TIMEOUT_SECONDS) {
      rejections.push({ reason: 'InvalidSessionAffinity', object, detail: `clientIP.timeoutSeconds ${t} is outside 1..${MAX_AFFINITY_TIMEOUT_SECONDS}; Service skipped` });
      return undefined;
    }
    flags |= VirtualServerFlags.persistent;
    timeout = t;
  }
  return { scheduler, flags, timeout };
}

/**
 * Parts of a Service this proxy does not implement yet are said out loud (a log line and a metric
 * through the rejection), not silently dropped: its ClusterIP is still served.
 */
function noteUnservedParts(spec: NonNullable<ServiceLike['spec']>, object: string, rejections: Rejection[]): void {
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    rejections.push({ reason: 'ServiceTypeNotServed', object, detail: `type ${spec.type}: only its ClusterIP is served; node ports and load-balancer addresses are not implemented` });
  }
  if ((spec.externalIPs?.length ?? 0) > 0) {
    rejections.push({ reason: 'ExternalIPsNotServed', object, detail: `externalIPs ${spec.externalIPs?.join(',') ?? ''} are not implemented; only the ClusterIP is served` });
  }
}

/**
 * The virtual servers of one Service: one per (ClusterIP of a family the node serves, port,
 * protocol), with the real servers its slices give. `slices` are the Service's own slices.
 */
export function desiredForService(key: string, service: ServiceLike, slices: readonly SliceRef[], config: CoreConfig): ServiceDesired {
  if (isIgnoredService(service, config)) return EMPTY;
  const object = `Service ${key}`;
  const rejections: Rejection[] = [];
  const spec = service.spec ?? {};

  const vips: Array<{ family: IpFamily; address: string }> = [];
  const ipTexts = spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP ?? ''];
  const otherFamilies: string[] = [];
  for (const text of ipTexts) {
    const ip = parseIp(text);
    if (!ip) {
      rejections.push({ reason: 'InvalidClusterIP', object, detail: `clusterIP ${JSON.stringify(text)} is not an IP address; skipped` });
    } else if (!config.families.includes(ip.family)) {
      otherFamilies.push(ip.address);
    } else if (!vips.some((v) => v.address === ip.address)) {
      vips.push(ip);
    }
  }
  // A dual-stack Service on a single-stack node is normal; only a Service with nothing we can
  // serve is worth a rejection.
  if (vips.length === 0 && otherFamilies.length > 0 && rejections.length === 0) {
    rejections.push({ reason: 'FamilyNotServed', object, detail: `clusterIPs ${otherFamilies.join(',')} are of a family this node does not serve` });
  }

  noteUnservedParts(spec, object, rejections);
  const settings = virtualServerSettings(service, config, object, rejections);
  if (!settings || vips.length === 0) return { virtualServers: new Map(), rejections, noLocalEndpoints: 0 };

  const localOnly = spec.internalTrafficPolicy === 'Local';
  const virtualServers = new Map<VirtualServerKey, VirtualServerState>();
  let noLocalEndpoints = 0;
  for (const port of spec.ports ?? []) {
    const protocol = port.protocol ?? 'TCP';
    const portName = port.name ?? '';
    if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
      rejections.push({ reason: 'UnknownProtocol', object, detail: `port ${JSON.stringify(portName)} has protocol ${JSON.stringify(protocol)}; port skipped` });
      continue;
    }
    if (!Number.isInteger(port.port) || port.port < 1 || port.port > 65535) {
      rejections.push({ reason: 'InvalidPort', object, detail: `port ${JSON.stringify(portName)} is ${port.port}; port skipped` });
      continue;
    }
    for (const vip of vips) {
      const server: VirtualServer = {
        family: vip.family,
        protocol: protocol as VirtualServer['protocol'],
        address: vip.address,
        port: port.port,
        fwmark: 0,
        scheduler: settings.scheduler,
        flags: settings.flags,
        timeout: settings.timeout,
        netmask: vip.family === 4 ? 0xffffffff : 128,
      };
      const vsKey = virtualServerKey(server);
      if (virtualServers.has(vsKey)) {
        rejections.push({ reason: 'DuplicatePort', object, detail: `${vsKey} is listed twice; the first one is used` });
        continue;
      }
      // internalTrafficPolicy Local with no local endpoint: no real servers, so the traffic is
      // refused. kube-proxy's IPVS mode instead falls back to all endpoints (PR #97081), which
      // breaks the "Local" promise; the iptables/nftables modes drop, and so do we.
      const choice: EndpointChoice = { family: vip.family, portName, protocol, localOnly, nodeName: config.nodeName, zone: config.zone ?? '' };
      const realServers: Map<RealServerKey, RealServer> = selectRealServers(slices, choice, rejections);
      // counted as kube-proxy does: endpoints exist, none here (a Service with none at all is not)
      if (localOnly && realServers.size === 0 && selectRealServers(slices, { ...choice, localOnly: false }, []).size > 0) noLocalEndpoints++;
      virtualServers.set(vsKey, { server, realServers });
    }
  }
  // a bad endpoint is seen once per (VIP, port); report it once
  if (rejections.length < 2) return { virtualServers, rejections, noLocalEndpoints };
  const unique = new Map(rejections.map((r) => [`${r.reason}|${r.object}|${r.detail}`, r]));
  return { virtualServers, rejections: [...unique.values()], noLocalEndpoints };
}
