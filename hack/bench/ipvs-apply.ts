// Benchmark: program N virtual servers × M real servers with our netlink client and with
// `ipvsadm -R`, alternating, in one kernel, flushing between runs. Prints each time, the medians,
// the ratio ours/ipvsadm, then one JSON line. Usage: node dist/hack/bench/ipvs-apply.js [NxM] [runs]
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { openIpvsKernel } from '../../src/ipvs/index.js';
import type { IpvsOperation } from '../../src/kernel/ports.js';
import type { RealServer, VirtualServer } from '../../src/model/index.js';
import { generatedReal, generatedTableLines, generatedVip } from '../../test/support/ipvsadm.js';

interface Args {
  readonly services: number;
  readonly reals: number;
  readonly runs: number;
}

function parseArgs(argv: readonly string[]): Args {
  const shape = argv[0] ?? '2000x5';
  const m = /^(\d+)x(\d+)$/.exec(shape);
  if (!m) throw new Error(`expected NxM (e.g. 2000x5), got "${shape}"`);
  const runs = Number(argv[1] ?? 3);
  return { services: Number(m[1]), reals: Number(m[2]), runs: Number.isInteger(runs) && runs > 0 ? runs : 3 };
}

function operations(services: number, reals: number): IpvsOperation[] {
  const ops: IpvsOperation[] = [];
  const realServers: RealServer[] = Array.from({ length: reals }, (_, j) => ({
    family: 4,
    address: generatedReal(j),
    port: 8080,
    forward: 'masq',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
  }));
  for (let i = 0; i < services; i++) {
    const virtualServer: VirtualServer = { family: 4, protocol: 'TCP', address: generatedVip(i), port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
    ops.push({ kind: 'addVirtualServer', virtualServer });
    for (const realServer of realServers) ops.push({ kind: 'addRealServer', virtualServer, realServer });
  }
  return ops;
}

function ipvsadm(args: readonly string[], input?: string): string {
  return execFileSync('ipvsadm', args, { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'inherit'] });
}

/** Rules in the kernel, counted by the witness (outside the timed part). */
function ruleCount(): number {
  return ipvsadm(['-Sn']).split('\n').filter((l) => l !== '').length;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

async function timeOurs(ops: readonly IpvsOperation[]): Promise<number> {
  const t0 = performance.now();
  // opening the socket and resolving the family is part of the cost, as ipvsadm's startup is of its own
  const kernel = await openIpvsKernel();
  const result = await kernel.apply(ops);
  kernel.close();
  const ms = performance.now() - t0;
  if (result.failures.length > 0) throw new Error(`our apply failed ${result.failures.length} operations, first: ${result.failures[0]?.error.message}`);
  return ms;
}

function timeIpvsadm(rules: string): number {
  const t0 = performance.now();
  ipvsadm(['-R'], rules);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const { services, reals, runs } = parseArgs(process.argv.slice(2));
  const ops = operations(services, reals);
  const rules = generatedTableLines(services, reals).join('\n') + '\n';
  const expected = services * (reals + 1);
  const ours: number[] = [];
  const theirs: number[] = [];
  console.log(`ipvs-apply: ${services} virtual servers x ${reals} real servers = ${ops.length} operations, ${runs} runs each, kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`);
  for (let run = 1; run <= runs; run++) {
    ipvsadm(['-C']);
    const a = await timeOurs(ops);
    if (ruleCount() !== expected) throw new Error(`ours: the kernel holds ${ruleCount()} rules, expected ${expected}`);
    ours.push(a);
    ipvsadm(['-C']);
    const b = timeIpvsadm(rules);
    if (ruleCount() !== expected) throw new Error(`ipvsadm -R: the kernel holds ${ruleCount()} rules, expected ${expected}`);
    theirs.push(b);
    ipvsadm(['-C']);
    console.log(`run ${run}: ours ${a.toFixed(0)} ms, ipvsadm -R ${b.toFixed(0)} ms`);
  }
  const ratio = median(ours) / median(theirs);
  console.log(`median: ours ${median(ours).toFixed(0)} ms, ipvsadm -R ${median(theirs).toFixed(0)} ms, ratio ours/ipvsadm ${ratio.toFixed(3)}`);

  // Addresses (ip -batch vs our rtnetlink client): to be added here by the lead, same shape:
  // time `ip -batch` adding N /32s to a dummy link vs the LinkKernel's applyAddresses, alternating.

  console.log(
    JSON.stringify({
      bench: 'ipvs-apply',
      services,
      reals,
      operations: ops.length,
      runs,
      oursMs: ours.map((x) => Math.round(x)),
      ipvsadmMs: theirs.map((x) => Math.round(x)),
      oursMedianMs: Math.round(median(ours)),
      ipvsadmMedianMs: Math.round(median(theirs)),
      ratio: Number(ratio.toFixed(3)),
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
