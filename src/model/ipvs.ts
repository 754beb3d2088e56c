// The IPVS vocabulary of the whole program: virtual servers, real servers, and their keys.
// Identity and desired settings only; counters observed in the kernel live in *Status types.

export type IpFamily = 4 | 6;
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** Scheduler modules of Linux IPVS (net/netfilter/ipvs/ip_vs_*.c). */
export const IPVS_SCHEDULERS: readonly string[] = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos'];
/** kube-proxy's default scheduler. */
export const DEFAULT_SCHEDULER = 'rr';

/** How IPVS hands packets to a real server (the kernel's IP_VS_CONN_F_* forwarding methods). */
export type ForwardMethod = 'masq' | 'local' | 'tunnel' | 'droute' | 'bypass';

/** Virtual-server flag bits as the kernel defines them (IP_VS_SVC_F_*). HASHED is kernel-owned. */
export const VirtualServerFlags = {
  persistent: 0x1,
  hashed: 0x2,
  onePacket: 0x4,
  sched1: 0x8, // sh/mh: fallback
  sched2: 0x10, // sh/mh: hash the port too
  sched3: 0x20,
} as const;

/**
 * A virtual server: either (address, protocol, port) or a firewall mark.
 * `address` is canonical text (ipaddr.js `toString()`: IPv4 dotted, IPv6 RFC 5952).
 */
export interface VirtualServer {
  readonly family: IpFamily;
  readonly protocol: Protocol;
  readonly address: string;
  readonly port: number;
  /** non-zero for a fwmark service; then address is the family's unspecified address and port 0 */
  readonly fwmark: number;
  readonly scheduler: string;
  /** IP_VS_SVC_F_* bits without HASHED */
  readonly flags: number;
  /** persistence timeout in seconds (0 when not persistent) */
  readonly timeout: number;
  /** IPv4: mask bits as a u32 (0xffffffff = /32); IPv6: prefix length (128) */
  readonly netmask: number;
  readonly persistenceEngine?: string;
}

export interface RealServer {
  readonly family: IpFamily;
  readonly address: string;
  readonly port: number;
  readonly forward: ForwardMethod;
  readonly weight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
}

export interface TrafficStats {
  readonly connections: bigint;
  readonly packetsIn: bigint;
  readonly packetsOut: bigint;
  readonly bytesIn: bigint;
  readonly bytesOut: bigint;
}

/** A real server as the kernel reports it: identity and settings, plus what it observed. */
export interface RealServerStatus {
  readonly server: RealServer;
  readonly activeConnections: number;
  readonly inactiveConnections: number;
  readonly persistentConnections: number;
  readonly stats: TrafficStats;
}

export interface VirtualServerStatus {
  readonly server: VirtualServer;
  readonly stats: TrafficStats;
}

/** Stable text key of a virtual server: "TCP/10.96.0.1:80", "UDP/[fd00::1]:53", "FWM/4/0x4000". */
export type VirtualServerKey = string & { readonly __brand: 'VirtualServerKey' };
/** Stable text key of a real server within its virtual server: "10.244.0.5:8080", "[fd00::5]:80". */
export type RealServerKey = string & { readonly __brand: 'RealServerKey' };

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export function virtualServerKey(vs: Pick<VirtualServer, 'family' | 'protocol' | 'address' | 'port' | 'fwmark'>): VirtualServerKey {
  if (vs.fwmark !== 0) return `FWM/${vs.family}/0x${vs.fwmark.toString(16)}` as VirtualServerKey;
  return `${vs.protocol}/${hostPort(vs.address, vs.port)}` as VirtualServerKey;
}

export function realServerKey(rs: Pick<RealServer, 'address' | 'port'>): RealServerKey {
  return hostPort(rs.address, rs.port) as RealServerKey;
}

/** True when two virtual servers need no SET_SERVICE to turn one into the other. */
export function sameVirtualServerSettings(a: VirtualServer, b: VirtualServer): boolean {
  return (
    a.scheduler === b.scheduler &&
    (a.flags & ~VirtualServerFlags.hashed) === (b.flags & ~VirtualServerFlags.hashed) &&
    a.timeout === b.timeout &&
    a.netmask === b.netmask &&
    (a.persistenceEngine ?? '') === (b.persistenceEngine ?? '')
  );
}

/** True when two real servers need no SET_DEST to turn one into the other. */
export function sameRealServerSettings(a: RealServer, b: RealServer): boolean {
  return (
    a.forward === b.forward &&
    a.weight === b.weight &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold
  );
}
