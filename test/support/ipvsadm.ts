// ipvsadm as a witness: parsed `-Ln --stats --exact` and `-Ln --thresholds` views, and the
// `-Sn`/`-R` text of simple generated rule sets (used by the 10k-rule tests and the benchmark).
import { execFileSync } from 'node:child_process';
import { run } from './run.js';

/** `ipvsadm -Sn` lines, sorted, for tables too large for run()'s default output buffer. */
export function ipvsadmSaveLarge(): string[] {
  return execFileSync('ipvsadm', ['-Sn'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 300_000 })
    .split('\n')
    .filter((l) => l.trim() !== '')
    .sort();
}

export interface IpvsadmStatsRow {
  /** "TCP 10.96.0.1:80" for a virtual server, "-> 10.244.0.9:80" for a real server under it */
  readonly what: string;
  readonly conns: bigint;
  readonly inPkts: bigint;
  readonly outPkts: bigint;
  readonly inBytes: bigint;
  readonly outBytes: bigint;
}

/** `ipvsadm -Ln --stats --exact`, one row per virtual or real server, in ipvsadm's order. */
export function ipvsadmStats(): IpvsadmStatsRow[] {
  const lines = run('ipvsadm', ['-Ln', '--stats', '--exact']).split('\n').slice(3);
  const rows: IpvsadmStatsRow[] = [];
  for (const line of lines) {
    const m = /^\s*(->|TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (!m) continue;
    const [, kind = '', addr = '', c = '0', ip = '0', op = '0', ib = '0', ob = '0'] = m;
    rows.push({ what: `${kind} ${addr}`, conns: BigInt(c), inPkts: BigInt(ip), outPkts: BigInt(op), inBytes: BigInt(ib), outBytes: BigInt(ob) });
  }
  return rows;
}

/** `ipvsadm -Ln --thresholds` real-server rows: "-> ADDR:PORT upper lower". */
export function ipvsadmThresholds(): string[] {
  return run('ipvsadm', ['-Ln', '--thresholds'])
    .split('\n')
    .filter((l) => l.trim().startsWith('->') && !l.includes('RemoteAddress'))
    .map((l) => l.trim().split(/\s+/).slice(0, 4).join(' '));
}
