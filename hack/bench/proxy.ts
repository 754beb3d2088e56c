// The whole-proxy benchmark, in one real IPVS kernel: N generated Services × M endpoints.
//   node dist/hack/bench/proxy.js [NxM] [runs]        (hack/bench/run.sh boots the kernel and builds)
//
// Per run, each in a fresh network namespace (IPVS keeps deleted real servers in a per-netns
// "trash" list that every real-server add scans; a flush would slow the next run down), deleted
// afterwards and its teardown waited out (quiesce). First the three cold timings, side by side, the
// proxy's between the two it is compared with (floor, cold, peer; then peer, cold, floor):
//   peer   `ip -batch` (kube-ipvs0 and its N addresses), then `ipvsadm -R` (the same rules)
//   floor  a Node process (floor.ts) applying the same addresses and rules with our netlink layer directly
//   cold   kube-ipvs-proxy (the built CLI) from a cold start against the fake API server holding
//          the objects, until the kernel holds every rule and address
// then the rest of the proxy's measurements, in one more namespace:
//   proxy  a cold start again; 50 single-endpoint changes (API write → kernel, polled with our
//          netlink client), 10,000 more events (RSS), and a restarted proxy's periodic audit with
//          nothing drifted (writes, duration)
// All three timings are process timings taken from outside (Node startup included for ours, as
// ipvsadm's and ip's startup is for theirs). Cold ratios: the median of each run's ratio; the rest:
// medians over the runs. Table, bars, then one JSON line.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { openIpvsKernel } from '../../src/ipvs/index.js';
import type { IpvsKernel } from '../../src/kernel/ports.js';
import { openNetlinkLinkKernel } from '../../src/link/index.js';
import { FakeApiServer } from '../../test/support/fake-apiserver/index.js';
import { generatedReal, generatedTableLines, generatedVip } from '../../test/support/generated-table.js';
import { PROXY_BIN } from '../../test/support/proxy-process.js';
import { LINK, parseShape, virtualServerOf, type Shape } from './rules.js';
import { BENCH_NODE_FLAGS, METRICS, apiObjects, defaultAddresses, proxyArgs, quiesce, sliceOf, warmListCache } from './table.js';

const SELF = fileURLToPath(import.meta.url);
// the floor's own entry: it loads our netlink layer and nothing of the bench (its start is timed)
const FLOOR = fileURLToPath(new URL('./floor.js', import.meta.url));
const LATENCY_CHANGES = 50;
const EVENTS = 10_000;
/** wait after the last event before reading RSS */
const RSS_SETTLE_MS = 10_000;
/** audit period of the restarted proxy */
const AUDIT_PERIOD_S = 5;

// ---- kernel witnesses (outside the timed parts) ----------------------------------------------------

/** Virtual and real servers in this namespace's IPVS table, from one read of /proc/net/ip_vs. */
function ipvsCounts(): { virtualServers: number; realServers: number } {
  let virtualServers = 0;
  let realServers = 0;
  for (const line of readFileSync('/proc/net/ip_vs', 'utf8').split('\n')) {
    if (line.startsWith('TCP ') || line.startsWith('UDP ') || line.startsWith('SCTP ') || line.startsWith('FWM ')) virtualServers++;
    else if (line.startsWith('  -> ') && !line.startsWith('  -> RemoteAddress')) realServers++;
  }
  return { virtualServers, realServers };
}

async function addressCount(): Promise<number> {
  const link = openNetlinkLinkKernel();
  try {
    const info = await link.getLink(LINK);
    return info === undefined ? 0 : (await link.listAddresses(info.index)).length;
  } finally {
    link.close();
  }
}

async function complete(shape: Shape): Promise<boolean> {
  const c = ipvsCounts();
  return c.virtualServers === shape.services && c.realServers === shape.services * shape.reals && (await addressCount()) === shape.services;
}

async function expectComplete(shape: Shape, who: string): Promise<void> {
  const c = ipvsCounts();
  const a = await addressCount();
  if (c.virtualServers !== shape.services || c.realServers !== shape.services * shape.reals || a !== shape.services) {
    throw new Error(`${who}: the kernel holds ${c.virtualServers} virtual servers, ${c.realServers} real servers, ${a} addresses; expected ${shape.services}, ${shape.services * shape.reals}, ${shape.services}`);
  }
}

// ---- children: each runs inside its own fresh namespace ----------------------------------------

interface PeerResult {
  readonly ms: number;
  readonly ipBatchMs: number;
  readonly ipvsadmMs: number;
}

async function childPeer(shape: Shape): Promise<PeerResult> {
  const batch = [`link add ${LINK} type dummy`, ...Array.from({ length: shape.services }, (_, i) => `address add ${generatedVip(i)}/32 dev ${LINK}`)].join('\n') + '\n';
  const rules = generatedTableLines(shape.services, shape.reals).join('\n') + '\n';
  const t0 = performance.now();
  execFileSync('ip', ['-batch', '-'], { input: batch, stdio: ['pipe', 'ignore', 'inherit'] });
  const t1 = performance.now();
  execFileSync('ipvsadm', ['-R'], { input: rules, stdio: ['pipe', 'ignore', 'inherit'] });
  const t2 = performance.now();
  await expectComplete(shape, 'ip -batch + ipvsadm -R');
  return { ms: t2 - t0, ipBatchMs: t1 - t0, ipvsadmMs: t2 - t1 };
}

interface FloorResult {
  readonly ms: number;
  readonly innerMs: number;
}

async function childFloor(shape: Shape): Promise<FloorResult> {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [FLOOR, `${shape.services}x${shape.reals}`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`floor process failed: ${r.stderr}`);
  await expectComplete(shape, 'floor');
  const last = r.stdout.trim().split('\n').at(-1) ?? '{}';
  return { ms, innerMs: (JSON.parse(last) as { innerMs: number }).innerMs };
}

// ---- the proxy -------------------------------------------------------------------------------------

interface Proxy {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

function startProxy(kubeconfig: string, syncPeriod: string): Proxy {
  // KIPVS_BENCH_NODE_FLAGS: extra Node flags for the proxy (e.g. --cpu-prof), for profiling
  const nodeFlags = (process.env.KIPVS_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
  const child = spawn(
    process.execPath,
    [...nodeFlags, PROXY_BIN, ...proxyArgs(kubeconfig, syncPeriod)],
    // the environment the image (Dockerfile) gives it
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MALLOC_ARENA_MAX: '2' } },
  );
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function stopProxy(p: Proxy): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  await p.exited;
  clearTimeout(t);
}

/** Times of the proxy's milestone log lines, in ms after `spawnedAt` (its JSON log carries ISO times). */
function coldPhases(output: string, spawnedAt: number): Record<string, number> {
  const milestones: Record<string, string> = {
    started: 'kube-ipvs-proxy starting',
    listed: 'initial Services and EndpointSlices listed',
    programmed: 'initial sync done: the kernel holds every Service',
  };
  const phases: Record<string, number> = {};
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: unknown; time?: unknown };
      for (const [phase, msg] of Object.entries(milestones)) {
        if (entry.msg === msg && typeof entry.time === 'string') phases[phase] = Date.parse(entry.time) - spawnedAt;
      }
    } catch {
      // not a log line
    }
  }
  return phases;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function metrics(): Promise<string> {
  const res = await fetch(`http://${METRICS}/metrics`);
  return res.text();
}

/** Sum of every series of a metric family whose line starts with `name` followed by { or space. */
function metricSum(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function until<T>(what: string, p: Proxy, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs: number): Promise<T> {
  const start = performance.now();
  const deadline = start + timeoutMs;
  let nextReport = start + 60_000;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (performance.now() > nextReport) {
      // a long wait says so (stderr): a run that seems stuck shows what it waits for
      process.stderr.write(`bench: still waiting for ${what} after ${Math.round((performance.now() - start) / 1000)} s\n`);
      nextReport += 60_000;
    }
    if (p.child.exitCode !== null) throw new Error(`the proxy exited (${p.child.exitCode}) while waiting for ${what}:\n${p.output()}`);
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; proxy output:\n${p.output().slice(-4000)}`);
    if (everyMs > 0) await sleep(everyMs);
    else await new Promise((r) => setImmediate(r));
  }
}

/** V8 heap total/used, external and array buffers (MiB), to tell a leak from heap growth. */
function memoryBreakdown(m: string): Record<string, number> {
  const mib = (name: string): number => Math.round((metricSum(m, name) / 2 ** 20) * 10) / 10;
  return {
    heapTotal: mib('nodejs_heap_size_total_bytes'),
    heapUsed: mib('nodejs_heap_size_used_bytes'),
    external: mib('nodejs_external_memory_bytes'),
    newSpace: mib('nodejs_heap_space_size_total_bytes{space="new"}'),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

interface ColdResult {
  readonly coldMs: number;
  /** when (ms after spawn) the proxy's log said it started, had listed everything, and was done */
  readonly coldPhasesMs: Readonly<Record<string, number>>;
}

interface ProxyResult extends ColdResult {
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  /** each change's event-to-kernel time, in the order the changes were made */
  readonly latencySamplesMs: readonly number[];
  /** mean time from a change's arrival in the proxy to its sync's end (the proxy's own share) */
  readonly proxyShareMeanMs: number;
  readonly rssAfterColdMiB: number;
  readonly rssAfterEventsMiB: number;
  /** V8 heap in use (the proxy's nodejs_heap_size_used_bytes) */
  readonly heapAfterColdMiB: number;
  readonly heapAfterEventsMiB: number;
  readonly memoryAfterCold: Record<string, number>;
  readonly memoryAfterEvents: Record<string, number>;
  readonly eventsMs: number;
  readonly restartSyncWrites: number;
  readonly auditWrites: number;
  /** the audit from its kernel read's start to its compare's end */
  readonly auditMs: number;
  /** of which the kernel read, during which changes are still served */
  readonly auditReadMs: number;
}

/**
 * Cold start: spawn → the kernel holds every rule and address. The cheap trigger (the last
 * Service's real servers, one small dump every 20 ms) is confirmed by a full read; if that read
 * finds anything missing, full reads continue and the time is theirs.
 */
async function coldStart(shape: Shape, kubeconfig: string, ipvs: IpvsKernel): Promise<ColdResult & { readonly proxy: Proxy }> {
  const last = virtualServerOf(shape.services - 1);
  // the objects and list bodies just built are garbage or old: collect them now, not while the proxy starts
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  const spawnedAt = Date.now();
  const p = startProxy(kubeconfig, '1h');
  try {
    await until('the last virtual server', p, async () => ((await ipvs.listRealServers(last).catch(() => [])).length === shape.reals ? true : undefined), 600_000, 20);
    let coldMs = performance.now() - t0;
    if (!(await complete(shape))) {
      await until('the whole table', p, async () => ((await complete(shape)) ? true : undefined), 600_000, 50);
      coldMs = performance.now() - t0;
    }
    return { proxy: p, coldMs, coldPhasesMs: coldPhases(p.output(), spawnedAt) };
  } catch (e) {
    await stopProxy(p);
    throw e;
  }
}

/** A fake API server holding the table, its list cache warm, and a kubeconfig for it. */
async function benchApiServer(shape: Shape): Promise<{ api: FakeApiServer; kubeconfig: string; close(): Promise<void> }> {
  const api = await FakeApiServer.start();
  api.createMany(apiObjects(shape));
  const kubeconfig = api.writeKubeconfig();
  await warmListCache(api);
  return {
    api,
    kubeconfig,
    close: async () => {
      await api.close();
      rmSync(kubeconfig, { force: true });
    },
  };
}

/** The cold start alone, timed next to the peer and the floor in each run. */
async function childCold(shape: Shape): Promise<ColdResult> {
  const server = await benchApiServer(shape);
  const ipvs = await openIpvsKernel();
  try {
    const { proxy, coldMs, coldPhasesMs } = await coldStart(shape, server.kubeconfig, ipvs);
    await stopProxy(proxy);
    return { coldMs, coldPhasesMs };
  } finally {
    ipvs.close();
    await server.close();
  }
}

async function childProxy(shape: Shape): Promise<ProxyResult> {
  const server = await benchApiServer(shape);
  const { api, kubeconfig } = server;
  const ipvs = await openIpvsKernel();
  let proxy: Proxy | undefined;
  try {
    // 1. cold start (again: the one compared with the floor is childCold's)
    const { proxy: p, coldMs, coldPhasesMs } = await coldStart(shape, kubeconfig, ipvs);
    proxy = p;
    await sleep(500);
    const pid = p.child.pid ?? 0;
    const rssAfterColdMiB = rssMiB(pid);
    const heapAfterColdMiB = metricSum(await metrics(), 'nodejs_heap_size_used_bytes') / 2 ** 20;
    // KIPVS_BENCH_HEAP_SIGNAL: a signal the proxy was told to write a heap snapshot on
    // (KIPVS_BENCH_NODE_FLAGS=--heapsnapshot-signal=SIGUSR2), after the cold sync and after the events
    const heapSignal = process.env.KIPVS_BENCH_HEAP_SIGNAL;
    if (heapSignal !== undefined && heapSignal !== '') {
      p.child.kill(heapSignal as NodeJS.Signals);
      await sleep(30_000);
    }
    const memoryAfterCold = memoryBreakdown(await metrics());

    // 2. single-endpoint changes, spread over the table: API write → the new real server in the kernel
    const latencies: number[] = [];
    // the proxy's own share: kube-proxy's network-programming histogram runs from a change's arrival
    // in the proxy to its sync's end (its sum and count before and after give the mean)
    const programmingBefore = await metrics();
    for (let k = 0; k < LATENCY_CHANGES; k++) {
      const i = Math.floor(((k + 0.5) * shape.services) / LATENCY_CHANGES);
      const fresh = `10.250.${k >> 8}.${(k & 255) + 1}`;
      const vs = virtualServerOf(i);
      const addresses = defaultAddresses(shape.reals);
      addresses[0] = fresh;
      // the new object is built before the clock starts: a client's work, not the proxy's
      const slice = sliceOf(i, addresses);
      // the bench's own garbage collection must not land inside a sample (the child runs with --expose-gc)
      (globalThis as { gc?: () => void }).gc?.();
      const t = performance.now();
      api.update(slice);
      await until(`change ${k}`, p, async () => ((await ipvs.listRealServers(vs)).some((r) => r.server.address === fresh) ? true : undefined), 30_000, 1);
      latencies.push(performance.now() - t);
      await sleep(20);
    }
    // in the order taken (the JSON keeps them: a slow start shows), then sorted for percentiles
    const latencySamplesMs = latencies.map((l) => Math.round(l * 10) / 10);
    const programmingAfter = await metrics();
    const programmed = (m: string, suffix: string): number => metricSum(m, `kubeproxy_network_programming_duration_seconds_${suffix}`);
    const count = programmed(programmingAfter, 'count') - programmed(programmingBefore, 'count');
    const proxyShareMeanMs = count > 0 ? ((programmed(programmingAfter, 'sum') - programmed(programmingBefore, 'sum')) / count) * 1000 : NaN;
    latencies.sort((a, b) => a - b);

    // 3. 10,000 more events (an endpoint flips between two addresses), 100 per 10 ms tick
    const te = performance.now();
    let lastFlip = '';
    let lastIndex = 0;
    for (let e = 0; e < EVENTS; e++) {
      const i = e % shape.services;
      const round = Math.floor(e / shape.services);
      const addresses = defaultAddresses(shape.reals);
      addresses[shape.reals - 1] = round % 2 === 0 ? `10.251.${(i >> 8) & 255}.${(i & 255) + 1}` : generatedReal(shape.reals - 1);
      // the latency phase moved some first endpoints: keep them where they are
      api.update(sliceOf(i, addresses.map((a, j) => (j === 0 ? currentFirst(i, shape) : a))));
      lastFlip = addresses[shape.reals - 1] ?? '';
      lastIndex = i;
      if (e % 100 === 99) await sleep(10);
    }
    const lastVs = virtualServerOf(lastIndex);
    await until('the last event', p, async () => ((await ipvs.listRealServers(lastVs)).some((r) => r.server.address === lastFlip) ? true : undefined), 600_000, 20);
    await until('no pending changes', p, async () => {
      const m = await metrics();
      return metricSum(m, 'kubeproxy_sync_proxy_rules_endpoint_changes_pending') === 0 ? true : undefined;
    }, 600_000, 200);
    const eventsMs = performance.now() - te;
    // RSS once the storm is over and V8 has had time to give back what it no longer uses: a leak stays
    await sleep(RSS_SETTLE_MS);
    const rssAfterEventsMiB = rssMiB(pid);
    if (heapSignal !== undefined && heapSignal !== '') {
      p.child.kill(heapSignal as NodeJS.Signals);
      await sleep(30_000);
    }
    const heapAfterEventsMiB = metricSum(await metrics(), 'nodejs_heap_size_used_bytes') / 2 ** 20;
    const memoryAfterEvents = memoryBreakdown(await metrics());
    await stopProxy(p);

    // 4. a restarted proxy's periodic audit with nothing drifted
    const q = (proxy = startProxy(kubeconfig, `${AUDIT_PERIOD_S}s`));
    const syncs = async (): Promise<{ count: number; sum: number; readSum: number; writes: number }> => {
      const m = await metrics().catch(() => '');
      return {
        // full syncs only: a partial one (a change, a retry) in between is not the audit
        count: metricSum(m, 'kubeproxy_sync_full_proxy_rules_duration_seconds_count'),
        sum: metricSum(m, 'kubeproxy_sync_full_proxy_rules_duration_seconds_sum'),
        // a periodic audit reads the kernel back beside the syncs of changes, then compares in a full sync
        readSum: metricSum(m, 'kube_ipvs_proxy_audit_read_duration_seconds_sum'),
        writes: metricSum(m, 'kube_ipvs_proxy_netlink_operations_total'),
      };
    };
    const first = await until('the restarted proxy\'s first sync', q, async () => {
      const s = await syncs();
      return s.count >= 1 ? s : undefined;
    }, 600_000, 200);
    // let anything else the restart does settle, then wait for the next sync: the periodic audit
    await sleep((AUDIT_PERIOD_S * 1000) / 2);
    const before = await syncs();
    const audit = await until('a periodic audit', q, async () => {
      const s = await syncs();
      return s.count >= before.count + 1 ? s : undefined;
    }, 600_000, 100);
    await stopProxy(q);
    return {
      coldMs,
      latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN },
      latencySamplesMs,
      proxyShareMeanMs,
      coldPhasesMs,
      rssAfterColdMiB,
      rssAfterEventsMiB,
      heapAfterColdMiB,
      heapAfterEventsMiB,
      memoryAfterCold,
      memoryAfterEvents,
      eventsMs,
      restartSyncWrites: first.writes,
      auditWrites: audit.writes - before.writes,
      auditMs: ((audit.sum - before.sum + audit.readSum - before.readSum) / (audit.count - before.count)) * 1000,
      auditReadMs: ((audit.readSum - before.readSum) / (audit.count - before.count)) * 1000,
    };
  } finally {
    if (proxy) await stopProxy(proxy);
    ipvs.close();
    await server.close();
  }

  function currentFirst(i: number, s: Shape): string {
    for (let k = LATENCY_CHANGES - 1; k >= 0; k--) if (Math.floor(((k + 0.5) * s.services) / LATENCY_CHANGES) === i) return `10.250.${k >> 8}.${(k & 255) + 1}`;
    return generatedReal(0);
  }
}

// ---- the parent: namespaces, alternation, medians, table --------------------------------------------

function median(xs: readonly number[]): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** A contender taking longer than this is stopped (10000x5's slowest, the proxy's measurements, takes ~2.5 min in UML). */
const CHILD_TIMEOUT_MS = 15 * 60_000;

function freshNetns(name: string): string {
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

function inNetns<T>(netns: string, what: string, shape: Shape): T {
  let out: string;
  try {
    // KIPVS_BENCH_PROF_DIR: each child writes V8's tick log there as it runs (`node --prof-process`
    // reads it), which shows where a child spins even when it never returns to JavaScript
    const profDir = process.env.KIPVS_BENCH_PROF_DIR;
    const prof = profDir ? ['--prof', '--no-logfile-per-isolate', `--logfile=${profDir}/${netns}.log`] : [];
    out = execFileSync('ip', ['netns', 'exec', netns, process.execPath, ...BENCH_NODE_FLAGS, ...prof, SELF, '--child', what, `${shape.services}x${shape.reals}`], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: CHILD_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
  } catch (e) {
    // a contender that never ends: say which, and what was running in the kernel then
    const processes = execFileSync('ps', ['-eo', 'pid,ppid,etime,time,rss,args'], { encoding: 'utf8' });
    throw new Error(`the ${what} contender did not finish (${e instanceof Error ? e.message : String(e)}); processes:\n${processes}`, { cause: e });
  }
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as T;
}

const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '-');
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const shape = parseShape(argv[2]);
    const run = { peer: childPeer, floor: childFloor, cold: childCold, proxy: childProxy }[argv[1] as 'peer' | 'floor' | 'cold' | 'proxy'];
    if (run === undefined) throw new Error(`unknown child ${argv[1]}`);
    console.log(JSON.stringify(await run(shape)));
    return;
  }
  const shape = parseShape(argv[0]);
  const runsArg = Number(argv[1] ?? 5);
  const runs = Number.isInteger(runsArg) && runsArg > 0 ? runsArg : 5;
  const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  console.log(`bench: ${shape.services} Services x ${shape.reals} endpoints, ${runs} runs, kernel ${kernel}; proxy flags --ipvs-min-sync-period=0s --ipvs-sync-period=1h (audit: ${AUDIT_PERIOD_S}s)`);
  const peers: PeerResult[] = [];
  const floors: FloorResult[] = [];
  const colds: ColdResult[] = [];
  const proxies: ProxyResult[] = [];
  // the three cold timings side by side (the machine's speed drifts over the half minute the rest
  // of the proxy's measurements take), then the proxy's other measurements. The proxy's cold start
  // goes between the two it is compared with, so each ratio is taken between neighbours; the floor
  // and the peer take turns going first
  const trios = [['floor', 'cold', 'peer'], ['peer', 'cold', 'floor']] as const;
  await quiesce();
  for (let run = 1; run <= runs; run++) {
    const line: string[] = [];
    const trio = trios[(run - 1) % trios.length] ?? trios[0];
    for (let k = 0; k <= trio.length; k++) {
      const what = k < trio.length ? (trio[k] ?? 'peer') : 'proxy';
      const ns = freshNetns(`kipvs-bench-${what}-${run}`);
      try {
        if (what === 'peer') {
          const r = inNetns<PeerResult>(ns, what, shape);
          peers.push(r);
          line.push(`peer ${f0(r.ms)} ms (ip -batch ${f0(r.ipBatchMs)}, ipvsadm -R ${f0(r.ipvsadmMs)})`);
        } else if (what === 'floor') {
          const r = inNetns<FloorResult>(ns, what, shape);
          floors.push(r);
          line.push(`floor ${f0(r.ms)} ms (inside ${f0(r.innerMs)})`);
        } else if (what === 'cold') {
          const r = inNetns<ColdResult>(ns, what, shape);
          colds.push(r);
          line.push(`proxy cold ${f0(r.coldMs)} ms (started ${f0(r.coldPhasesMs.started ?? NaN)}, listed ${f0(r.coldPhasesMs.listed ?? NaN)}, programmed ${f0(r.coldPhasesMs.programmed ?? NaN)})`);
        } else {
          const r = inNetns<ProxyResult>(ns, what, shape);
          proxies.push(r);
          line.push(`then: cold again ${f0(r.coldMs)} ms, change p95 ${f1(r.latencyMs.p95)} ms (in the proxy: mean ${f1(r.proxyShareMeanMs)} ms), RSS ${f0(r.rssAfterColdMiB)}→${f0(r.rssAfterEventsMiB)} MiB (heap ${f0(r.heapAfterColdMiB)}→${f0(r.heapAfterEventsMiB)}), events ${f0(r.eventsMs)} ms, audit ${r.auditWrites} writes ${f0(r.auditMs)} ms (read ${f0(r.auditReadMs)})`);
        }
      } finally {
        execFileSync('ip', ['netns', 'del', ns]);
      }
      // the kernel tears the namespace's entries down afterwards: not during the next contender
      await quiesce();
    }
    console.log(`run ${run}: ${line.join('; ')}`);
  }

  const peer = median(peers.map((r) => r.ms));
  const floor = median(floors.map((r) => r.ms));
  const cold = median(colds.map((r) => r.coldMs));
  // the ratios are taken run by run, between timings made side by side, then their median: the
  // machine's speed drifts between runs more than the contenders differ within one
  const overFloor = colds.map((c, i) => c.coldMs / (floors[i]?.ms ?? NaN));
  const overPeer = colds.map((c, i) => c.coldMs / (peers[i]?.ms ?? NaN));
  const coldOverFloor = median(overFloor);
  const coldOverPeer = median(overPeer);
  const p50 = median(proxies.map((r) => r.latencyMs.p50));
  const p95 = median(proxies.map((r) => r.latencyMs.p95));
  const p99 = median(proxies.map((r) => r.latencyMs.p99));
  const auditWrites = Math.max(...proxies.map((r) => r.auditWrites));
  const auditMs = median(proxies.map((r) => r.auditMs));
  const rssCold = median(proxies.map((r) => r.rssAfterColdMiB));
  const rssEvents = median(proxies.map((r) => r.rssAfterEventsMiB));
  const rssGrowth = Math.max(...proxies.map((r) => r.rssAfterEventsMiB / r.rssAfterColdMiB));
  const bars = [
    { what: 'cold sync / our floor', value: coldOverFloor, bar: 1.25, text: `${f2(coldOverFloor)} (runs ${overFloor.map(f2).join(', ')}; medians ${f0(cold)} / ${f0(floor)} ms)` },
    { what: 'cold sync / (ipvsadm -R + ip -batch)', value: coldOverPeer, bar: 0.9, text: `${f2(coldOverPeer)} (runs ${overPeer.map(f2).join(', ')}; medians ${f0(cold)} / ${f0(peer)} ms)` },
    { what: 'one endpoint change -> kernel, p95 (ms)', value: p95, bar: 20, text: `${f1(p95)} (p50 ${f1(p50)}, p99 ${f1(p99)})` },
    { what: 'writes of an audit with no drift', value: auditWrites, bar: 0, text: `${auditWrites} (audit ${f0(auditMs)} ms)` },
    { what: 'RSS after cold sync (MiB)', value: rssCold, bar: 150, text: `${f0(rssCold)}` },
    { what: `RSS after ${EVENTS} events / after cold sync`, value: rssGrowth, bar: 1.1, text: `${f2(rssGrowth)} (${f0(rssEvents)} MiB)` },
  ];
  console.log('');
  console.log(`| ${shape.services}x${shape.reals} | value | bar | met |`);
  console.log('| --- | --- | --- | --- |');
  for (const b of bars) console.log(`| ${b.what} | ${b.text} | <= ${b.bar} | ${b.value <= b.bar ? 'yes' : 'NO'} |`);
  console.log('');
  console.log(
    JSON.stringify({
      bench: 'proxy',
      services: shape.services,
      reals: shape.reals,
      runs,
      kernel,
      flags: { minSyncPeriod: '0s', syncPeriod: '1h', auditSyncPeriod: `${AUDIT_PERIOD_S}s` },
      medians: { peerMs: Math.round(peer), floorMs: Math.round(floor), coldMs: Math.round(cold), latencyP50Ms: p50, latencyP95Ms: p95, latencyP99Ms: p99, auditMs: Math.round(auditMs), rssAfterColdMiB: rssCold, rssAfterEventsMiB: rssEvents },
      ratios: { coldOverFloor: Number(coldOverFloor.toFixed(3)), coldOverPeer: Number(coldOverPeer.toFixed(3)), rssGrowth: Number(rssGrowth.toFixed(3)) },
      ratiosPerRun: { coldOverFloor: overFloor.map((r) => Number(r.toFixed(3))), coldOverPeer: overPeer.map((r) => Number(r.toFixed(3))) },
      bars: Object.fromEntries(bars.map((b) => [b.what, b.value <= b.bar])),
      runsDetail: { peer: peers, floor: floors, cold: colds, proxy: proxies },
    }),
  );
  if (bars.some((b) => !(b.value <= b.bar))) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
