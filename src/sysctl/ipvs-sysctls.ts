// The sysctls kube-proxy's IPVS mode sets on a node, applied only where they differ.
import { release } from 'node:os';
import { DEFAULT_SYSCTL_ROOT, SysctlError, readSysctl, writeSysctl } from './sysctl.js';

export interface DesiredSysctl {
  readonly name: string;
  readonly value: string;
  /** why the proxier wants it (logged with the change) */
  readonly reason: string;
}

export interface SysctlChange {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

export interface SysctlReport {
  /** what was written (old → new); empty when the node was already as wanted */
  readonly changed: readonly SysctlChange[];
  /** what could not be read or written; the others were still applied */
  readonly failures: readonly SysctlError[];
}

export interface IpvsSysctlOptions {
  /** set arp_ignore=1 / arp_announce=2 on conf/all (kube-proxy --ipvs-strict-arp) */
  readonly strictArp: boolean;
  /** `uname -r` text; defaults to this kernel's */
  readonly kernelRelease?: string;
  /** /proc/sys, injectable for tests */
  readonly root?: string;
}

/** [major, minor] of a release string like "5.4.0-150-generic"; undefined when unparseable. */
export function parseKernelVersion(text: string): readonly [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text);
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

function atLeast(v: readonly [number, number], major: number, minor: number): boolean {
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

/** kube-proxy's IPVS sysctl set for a kernel release (protocol.md §6, features.md). */
export function desiredIpvsSysctls(options: { strictArp: boolean; kernelRelease: string }): DesiredSysctl[] {
  const out: DesiredSysctl[] = [
    { name: 'net/ipv4/vs/conntrack', value: '1', reason: 'masquerade and stateful filtering need conntrack entries for IPVS connections' },
  ];
  const v = parseKernelVersion(options.kernelRelease);
  // with conntrack=1, mode 1 dropped the SYN of a reused port on 4.1–5.8 (1 s connect delays);
  // fixed in 5.9, where the default is left alone. The sysctl does not exist before 4.1.
  if (v !== undefined && atLeast(v, 4, 1) && !atLeast(v, 5, 9)) {
    out.push({ name: 'net/ipv4/vs/conn_reuse_mode', value: '0', reason: 'kernel before 5.9: avoid 1 s SYN drops on port reuse' });
  }
  out.push(
    { name: 'net/ipv4/vs/expire_nodest_conn', value: '1', reason: 'close connections to removed real servers at once' },
    { name: 'net/ipv4/vs/expire_quiescent_template', value: '1', reason: 'drop affinity to terminating (weight 0) real servers' },
    { name: 'net/ipv4/ip_forward', value: '1', reason: 'IPVS NAT forwards to remote endpoints' },
  );
  if (options.strictArp) {
    out.push(
      { name: 'net/ipv4/conf/all/arp_ignore', value: '1', reason: 'strict ARP: do not answer ARP for VIPs on kube-ipvs0' },
      { name: 'net/ipv4/conf/all/arp_announce', value: '2', reason: 'strict ARP: never use a VIP as ARP source' },
    );
  }
  return out;
}

/**
 * Writes each wanted sysctl whose current value differs, and reports what changed, so the caller logs
 * once. Every sysctl is attempted; failures (ENOENT when ip_vs is not loaded, EACCES/EROFS without
 * privileges or on a read-only /proc/sys) are collected, never thrown.
 */
export async function applySysctls(wanted: readonly DesiredSysctl[], root: string = DEFAULT_SYSCTL_ROOT): Promise<SysctlReport> {
  const changed: SysctlChange[] = [];
  const failures: SysctlError[] = [];
  for (const s of wanted) {
    try {
      const current = await readSysctl(s.name, root);
      if (current === s.value) continue;
      await writeSysctl(s.name, s.value, root);
      changed.push({ name: s.name, from: current, to: s.value });
    } catch (e) {
      if (e instanceof SysctlError) failures.push(e);
      else throw e;
    }
  }
  return { changed, failures };
}

export async function applyIpvsSysctls(options: IpvsSysctlOptions): Promise<SysctlReport> {
  const wanted = desiredIpvsSysctls({ strictArp: options.strictArp, kernelRelease: options.kernelRelease ?? release() });
  return applySysctls(wanted, options.root ?? DEFAULT_SYSCTL_ROOT);
}

export type BridgeNfCallIptables =
  | { readonly state: 'enabled' }
  | { readonly state: 'disabled'; readonly value: string }
  /** br_netfilter not loaded: the sysctl does not exist */
  | { readonly state: 'absent' }
  | { readonly state: 'unreadable'; readonly error: SysctlError };

/**
 * Read-only, as kube-proxy: net/bridge/bridge-nf-call-iptables should be 1 so bridged pod-to-pod
 * traffic to a VIP crosses netfilter and IPVS; the caller logs when it is not. Never written.
 */
export async function checkBridgeNfCallIptables(root: string = DEFAULT_SYSCTL_ROOT): Promise<BridgeNfCallIptables> {
  try {
    const value = await readSysctl('net/bridge/bridge-nf-call-iptables', root);
    return value === '1' ? { state: 'enabled' } : { state: 'disabled', value };
  } catch (e) {
    if (!(e instanceof SysctlError)) throw e;
    return e.errnoName === 'ENOENT' ? { state: 'absent' } : { state: 'unreadable', error: e };
  }
}
