// Runs the system tools that serve as the tests' independent witnesses (ipvsadm, ip, curl).
import { execFileSync } from 'node:child_process';

/** Runs a command, returns its stdout; throws with stderr on a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): string {
  return execFileSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeoutMs ?? 60_000,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** Runs a shell line (for pipelines in test set-up). */
export function sh(line: string, opts: { timeoutMs?: number } = {}): string {
  return run('bash', ['-c', line], opts);
}

/** `ipvsadm -Sn` lines, sorted, for whole-table comparisons. */
export function ipvsadmSave(): string[] {
  return run('ipvsadm', ['-Sn']).split('\n').filter((l) => l.trim() !== '').sort();
}

interface IpAddrJson {
  ifname: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

/** Addresses on a link as `ip -j addr show dev NAME` reports them ("10.96.0.1/32"). */
export function ipAddresses(link: string): string[] {
  const out = JSON.parse(run('ip', ['-j', 'addr', 'show', 'dev', link])) as IpAddrJson[];
  return (out[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).sort();
}
