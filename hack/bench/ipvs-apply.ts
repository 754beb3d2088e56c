// Benchmark: program N virtual servers × M real servers with our netlink client and with
// `ipvsadm -R`, alternating, in one kernel. Prints each time, the medians, the ratio ours/ipvsadm,
// then one JSON line. Usage: node dist/hack/bench/ipvs-apply.js [NxM] [runs]
//
// Every run gets a fresh network namespace rather than a flush: IPVS keeps deleted real servers in
// a per-netns "trash" list for ~2 minutes and scans it linearly on every real-server add, so after
// flushing 50,000 real servers the next run of either tool is slowed ~30x by its predecessor.
// Namespaces are deleted only at the end so their teardown never overlaps a measurement.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { openIpvsKernel } from '../../src/ipvs/index.js';
import type { IpvsOperation } from '../../src/kernel/ports.js';
import { generatedTableLines } from '../../test/support/generated-table.js';
import { ipvsOperations } from './rules.js';

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

/** Runs a command inside network namespace `netns`. */
function inNetns(netns: string, cmd: string, args: readonly string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', netns, cmd, ...args], { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'inherit'] });
}

function freshNetns(name: string): string {
  execFileSync('ip', ['netns', 'add', name]);
  // real servers need a local FIB table, which exists once lo is up (protocol.md §0)
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/** Rules in the namespace's IPVS table, counted by the witness (outside the timed part). */
function ruleCount(netns: string): number {
  return inNetns(netns, 'ipvsadm', ['-Sn']).split('\n').filter((l) => l !== '').length;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** In the child (already inside the namespace): open, apply, close; prints {"ms": …}. */
async function child(ops: readonly IpvsOperation[]): Promise<void> {
  const t0 = performance.now();
  // opening the socket and resolving the family is part of the cost, as ipvsadm's startup is of its own
  const kernel = await openIpvsKernel();
  const result = await kernel.apply(ops);
  kernel.close();
  const ms = performance.now() - t0;
  if (result.failures.length > 0) throw new Error(`our apply failed ${result.failures.length} operations, first: ${result.failures[0]?.error.message}`);
  console.log(JSON.stringify({ ms }));
}

/** Our client in a child process inside `netns`; the time is measured inside (Node startup excluded). */
function timeOurs(netns: string, shape: string): number {
  const out = inNetns(netns, process.execPath, [fileURLToPath(import.meta.url), '--child', shape]);
  const last = out.trim().split('\n').at(-1) ?? '';
  return (JSON.parse(last) as { ms: number }).ms;
}

/** `ipvsadm -R` inside `netns`, timed around the whole process. */
function timeIpvsadm(netns: string, rules: string): number {
  const t0 = performance.now();
  inNetns(netns, 'ipvsadm', ['-R'], rules);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const { services, reals } = parseArgs(argv.slice(1));
    await child(ipvsOperations({ services, reals }));
    return;
  }
  const { services, reals, runs } = parseArgs(argv);
  const shape = `${services}x${reals}`;
  const ops = ipvsOperations({ services, reals });
  const rules = generatedTableLines(services, reals).join('\n') + '\n';
  const expected = services * (reals + 1);
  const ours: number[] = [];
  const theirs: number[] = [];
  console.log(`ipvs-apply: ${services} virtual servers x ${reals} real servers = ${ops.length} operations, ${runs} runs each, kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`);
  const namespaces: string[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const nsOurs = freshNetns(`kipvs-bench-ours-${run}`);
      namespaces.push(nsOurs);
      const a = timeOurs(nsOurs, shape);
      const gotOurs = ruleCount(nsOurs);
      if (gotOurs !== expected) throw new Error(`ours: the kernel holds ${gotOurs} rules, expected ${expected}`);
      ours.push(a);
      const nsTheirs = freshNetns(`kipvs-bench-ipvsadm-${run}`);
      namespaces.push(nsTheirs);
      const b = timeIpvsadm(nsTheirs, rules);
      const gotTheirs = ruleCount(nsTheirs);
      if (gotTheirs !== expected) throw new Error(`ipvsadm -R: the kernel holds ${gotTheirs} rules, expected ${expected}`);
      theirs.push(b);
      console.log(`run ${run}: ours ${a.toFixed(0)} ms, ipvsadm -R ${b.toFixed(0)} ms`);
    }
  } finally {
    for (const ns of namespaces) execFileSync('ip', ['netns', 'del', ns]);
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
