// Cold sync only, A/B: variants of the proxy's start (Node flags, or another built command) alternated
// in one kernel, each run in a fresh network namespace with its own fake API server. For one step at
// a time, where the whole benchmark (hack/bench/proxy.ts) takes minutes and the machine drifts.
//   bash hack/kernel-run.sh -- bash hack/with-node.sh node dist/hack/bench/cold-ab.js 5 2000x5 "" "--max-semi-space-size=8"
// A variant is a string of Node flags, optionally led by NOGZIP (the fake API server answers lists
// uncompressed) and then BIN=<path> (that command instead of dist/kube-ipvs-proxy.mjs); words after
// " -- " are added to the proxy's own flags. The variant FLOOR runs hack/bench/floor.js instead (spawn until it exits), so
// the proxy can be set beside its floor run by run. Prints each variant's median and runs (ms from spawn
// until the kernel holds the last Service's real servers); each run's line also gives the proxy's
// faults, peak RSS and CPU, the bench's own CPU in the window (the fake API server answering, the
// poller) and the machine's idle time. COLD_ERR=<file> appends the proxy's output to that file
// (its log on stderr; what Node flags such as --trace-gc print on stdout).
import { execFileSync, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { openIpvsKernel } from '../../src/ipvs/index.js';
import { FakeApiServer } from '../../test/support/fake-apiserver/index.js';
import { PROXY_BIN } from '../../test/support/proxy-process.js';
import { parseShape, virtualServerOf, type Shape } from './rules.js';
import { BENCH_NODE_FLAGS, apiObjects, proxyArgs, quiesce, warmListCache } from './table.js';

const SELF = fileURLToPath(import.meta.url);
const FLOOR = fileURLToPath(new URL('./floor.js', import.meta.url));

/** One cold start in this (fresh) network namespace; prints {"ms": …}. */
async function child(shape: Shape, variant: string): Promise<void> {
  const [nodePart = '', proxyPart = ''] = ` ${variant} `.split(' -- ');
  let flags = nodePart.split(' ').filter((f) => f !== '');
  const extraArgs = proxyPart.split(' ').filter((f) => f !== '');
  let bin = PROXY_BIN;
  const noCompression = flags[0] === 'NOGZIP';
  if (noCompression) flags = flags.slice(1);
  if (flags[0]?.startsWith('BIN=') === true) {
    bin = flags[0].slice(4);
    flags = flags.slice(1);
  }
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  if (variant.trim() === 'FLOOR') {
    floorChild(shape);
    return;
  }
  const api = await FakeApiServer.start({ noCompression });
  api.createMany(apiObjects(shape));
  const kubeconfig = api.writeKubeconfig();
  await warmListCache(api);
  const ipvs = await openIpvsKernel();
  const last = virtualServerOf(shape.services - 1);
  // the objects and list bodies just built are garbage or old: collect them now, not while the proxy starts
  (globalThis as { gc?: () => void }).gc?.();
  const cpu0 = process.cpuUsage();
  const idle0 = guestIdleTicks();
  const t0 = performance.now();
  const proxy = spawn(process.execPath, [...flags, bin, ...proxyArgs(kubeconfig, '1h'), ...extraArgs], { stdio: process.env['COLD_ERR'] ? ['ignore', openSync(process.env['COLD_ERR'], 'a'), openSync(process.env['COLD_ERR'], 'a')] : 'ignore' });
  const exited = new Promise((resolve) => proxy.on('exit', resolve));
  while ((await ipvs.listRealServers(last).catch(() => [])).length !== shape.reals) {
    if (proxy.exitCode !== null) throw new Error(`the proxy exited with ${proxy.exitCode}`);
    await sleep(20);
  }
  const ms = performance.now() - t0;
  const cpu1 = process.cpuUsage(cpu0);
  const idle1 = guestIdleTicks();
  const faults = minorFaults(proxy.pid ?? 0);
  proxy.kill('SIGTERM');
  await exited;
  ipvs.close();
  await api.close();
  // the bench's own CPU (fake API server, poller) and the machine's idle time in the same window
  const benchCpuMs = Math.round((cpu1.user + cpu1.system) / 1000);
  const idleMs = (idle1 - idle0) * 10;
  process.stdout.write(`${JSON.stringify({ ms, ...faults, benchCpuMs, idleMs })}\n`);
}

/** The floor (hack/bench/floor.js) from spawn to exit, with the same readings as a proxy run (its own, from inside it). */
function floorChild(shape: Shape): void {
  (globalThis as { gc?: () => void }).gc?.();
  const cpu0 = process.cpuUsage();
  const idle0 = guestIdleTicks();
  const t0 = performance.now();
  const out = execFileSync(process.execPath, [FLOOR, `${shape.services}x${shape.reals}`], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  const cpu1 = process.cpuUsage(cpu0);
  const idleMs = (guestIdleTicks() - idle0) * 10;
  const floor = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { minflt: number; maxRssMiB: number; userMs: number; sysMs: number };
  const benchCpuMs = Math.round((cpu1.user + cpu1.system) / 1000);
  process.stdout.write(`${JSON.stringify({ ms, minflt: floor.minflt, hwmMiB: floor.maxRssMiB, cpuMs: floor.userMs + floor.sysMs, userMs: floor.userMs, sysMs: floor.sysMs, benchCpuMs, idleMs })}\n`);
}

/** The machine's idle (idle + iowait) clock ticks so far, from /proc/stat. */
function guestIdleTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  return (cpu[3] ?? 0) + (cpu[4] ?? 0);
}

/** The proxy's minor page faults so far, its peak RSS (MiB) and its CPU time (user, system, 10 ms ticks): in UML every fresh page costs ~25 µs. */
function minorFaults(pid: number): { minflt: number; hwmMiB: number; cpuMs: number; userMs: number; sysMs: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  const userMs = Number(fields[11]) * 10;
  const sysMs = Number(fields[12]) * 10;
  return { minflt: Number(fields[7]), hwmMiB: Math.round(Number(hwm?.[1] ?? NaN) / 1024), cpuMs: userMs + sysMs, userMs, sysMs };
}

async function main(runs: number, shapeText: string, variants: readonly string[]): Promise<void> {
  const results = variants.map(() => [] as number[]);
  await quiesce();
  for (let r = 0; r < runs; r++) {
    for (let v = 0; v < variants.length; v++) {
      const i = (v + r) % variants.length; // rotate: no variant always goes first
      const netns = `cold-ab-${process.pid}-${r}-${i}`;
      execFileSync('ip', ['netns', 'add', netns]);
      try {
        const out = execFileSync('ip', ['netns', 'exec', netns, process.execPath, ...BENCH_NODE_FLAGS, SELF, '--child', shapeText, variants[i] ?? ''], { encoding: 'utf8' });
        const line = out.trim().split('\n').at(-1) ?? '{}';
        results[i]?.push(Math.round((JSON.parse(line) as { ms: number }).ms));
        process.stdout.write(`run ${r} variant ${i}: ${line}\n`);
      } finally {
        execFileSync('ip', ['netns', 'del', netns]);
      }
      await quiesce(); // the namespace's teardown is not the next run's
    }
  }
  variants.forEach((variant, i) => {
    const sorted = [...(results[i] ?? [])].sort((a, b) => a - b);
    process.stdout.write(`median ${sorted[Math.floor(sorted.length / 2)] ?? NaN} ms  [${(results[i] ?? []).join(', ')}]  variant "${variant}"\n`);
  });
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(parseShape(argv[1]), argv[2] ?? '');
else await main(Number(argv[0] ?? 5), argv[1] ?? '2000x5', argv.length > 2 ? argv.slice(2) : ['']);
