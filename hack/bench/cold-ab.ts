// Cold sync only, A/B: variants of the proxy's start (Node flags, or another built command) alternated
// in one kernel, each run in a fresh network namespace with its own fake API server. For one step at
// a time, where the whole benchmark (hack/bench/proxy.ts) takes minutes and the machine drifts.
//   bash hack/kernel-run.sh -- bash hack/with-node.sh node dist/hack/bench/cold-ab.js 5 2000x5 "" "--max-semi-space-size=8"
// A variant is a string of Node flags; one starting with BIN=<path> runs that command instead of
// dist/kube-ipvs-proxy.mjs. Prints each variant's median and runs (ms from spawn until the kernel
// holds the last Service's real servers).
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { openIpvsKernel } from '../../src/ipvs/index.js';
import type { VirtualServer } from '../../src/model/index.js';
import { FakeApiServer, endpointSliceObject, nodeObject, serviceObject, type KubeObject } from '../../test/support/fake-apiserver/index.js';
import { generatedReal, generatedVip } from '../../test/support/ipvsadm.js';
import { PROXY_BIN } from '../../test/support/proxy-process.js';

const SELF = fileURLToPath(import.meta.url);
const NODE = 'bench-node';

function shapeOf(text: string): { services: number; reals: number } {
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m) throw new Error(`expected NxM, got "${text}"`);
  return { services: Number(m[1]), reals: Number(m[2]) };
}

/** One cold start in this (fresh) network namespace; prints {"ms": …}. */
async function child(shapeText: string, variant: string): Promise<void> {
  const { services, reals } = shapeOf(shapeText);
  let flags = variant.split(' ').filter((f) => f !== '');
  let bin = PROXY_BIN;
  if (flags[0]?.startsWith('BIN=') === true) {
    bin = flags[0].slice(4);
    flags = flags.slice(1);
  }
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const api = await FakeApiServer.start();
  const objects: KubeObject[] = [nodeObject(NODE, { internalIPs: ['192.168.0.10'] })];
  for (let i = 0; i < services; i++) {
    objects.push(serviceObject('bench', `svc-${i}`, { clusterIP: generatedVip(i), ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    const endpoints = Array.from({ length: reals }, (_, j) => ({ addresses: [generatedReal(j)], nodeName: NODE }));
    objects.push(endpointSliceObject('bench', `svc-${i}-abcde`, `svc-${i}`, { endpoints, ports: [{ name: 'http', port: 8080 }] }));
  }
  api.createMany(objects);
  const kubeconfig = api.writeKubeconfig();
  for (const path of ['/api/v1/services', '/apis/discovery.k8s.io/v1/endpointslices']) {
    for (const encoding of ['gzip', 'identity']) await (await fetch(`${api.url}${path}`, { headers: { 'Accept-Encoding': encoding } })).arrayBuffer();
  }
  const ipvs = await openIpvsKernel();
  const last: VirtualServer = { family: 4, protocol: 'TCP', address: generatedVip(services - 1), port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
  const t0 = performance.now();
  const proxy = spawn(process.execPath, [...flags, bin, '--kubeconfig', kubeconfig, '--hostname-override', NODE, '--ipvs-min-sync-period', '0s', '--ipvs-sync-period', '1h', '--metrics-bind-address', '127.0.0.1:10249', '--healthz-bind-address', '127.0.0.1:10256'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => proxy.on('exit', resolve));
  while ((await ipvs.listRealServers(last).catch(() => [])).length !== reals) {
    if (proxy.exitCode !== null) throw new Error(`the proxy exited with ${proxy.exitCode}`);
    await sleep(20);
  }
  const ms = performance.now() - t0;
  proxy.kill('SIGTERM');
  await exited;
  ipvs.close();
  await api.close();
  process.stdout.write(`${JSON.stringify({ ms })}\n`);
}

function main(runs: number, shapeText: string, variants: readonly string[]): void {
  const results = variants.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    for (let v = 0; v < variants.length; v++) {
      const i = (v + r) % variants.length; // rotate: no variant always goes first
      const netns = `cold-ab-${process.pid}-${r}-${i}`;
      execFileSync('ip', ['netns', 'add', netns]);
      try {
        const out = execFileSync('ip', ['netns', 'exec', netns, process.execPath, SELF, '--child', shapeText, variants[i] ?? ''], { encoding: 'utf8' });
        const line = out.trim().split('\n').at(-1) ?? '{}';
        results[i]?.push(Math.round((JSON.parse(line) as { ms: number }).ms));
      } finally {
        execFileSync('ip', ['netns', 'del', netns]);
      }
    }
  }
  variants.forEach((variant, i) => {
    const sorted = [...(results[i] ?? [])].sort((a, b) => a - b);
    process.stdout.write(`median ${sorted[Math.floor(sorted.length / 2)] ?? NaN} ms  [${(results[i] ?? []).join(', ')}]  variant "${variant}"\n`);
  });
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1] ?? '', argv[2] ?? '');
else main(Number(argv[0] ?? 5), argv[1] ?? '2000x5', argv.length > 2 ? argv.slice(2) : ['']);
