// The generated table as the API server holds it (hack/bench/rules.ts has it as kernel rules): N
// Services `svc-i` with ClusterIP 10.96.x.y:80, each with M ready endpoints on port 8080, as API
// objects, and how the proxy is started against the fake API server holding them.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { serviceLabelSelector } from '../../src/cluster/index.js';
import { endpointSliceObject, nodeObject, PROTOBUF_MEDIA_TYPE, serviceObject, type FakeApiServer, type KubeObject } from '../../test/support/fake-apiserver/index.js';
import { generatedReal, generatedVip } from '../../test/support/generated-table.js';
import type { Shape } from './rules.js';

export const NODE = 'bench-node';
export const NAMESPACE = 'bench';
export const METRICS = '127.0.0.1:10249';

// The objects as a real cluster holds them, not only the fields the proxy reads: a Service applied
// with kubectl (its last-applied annotation, managedFields, selector, defaulted spec and status) and
// the EndpointSlice controller's slice (generateName, owner, managedFields, trigger-time annotation,
// a Pod reference per endpoint). Lists of such objects are 3-4 times the bytes of the bare ones.
const APPLIED_AT = '2026-11-27T00:00:00Z';

function uidOf(kind: number, i: number): string {
  return `00000000-0000-4000-800${kind}-${i.toString(16).padStart(12, '0')}`;
}

function serviceOf(i: number): KubeObject {
  const name = `svc-${i}`;
  const applied = { apiVersion: 'v1', kind: 'Service', metadata: { annotations: {}, labels: { app: name }, name, namespace: NAMESPACE }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }], selector: { app: name } } };
  const service = serviceObject(
    NAMESPACE,
    name,
    { clusterIP: generatedVip(i), ports: [{ name: 'http', port: 80, targetPort: 8080 }], selector: { app: name }, sessionAffinity: 'None', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster' },
    { app: name },
  );
  const managedFields = [
    {
      manager: 'kubectl-client-side-apply',
      operation: 'Update',
      apiVersion: 'v1',
      time: APPLIED_AT,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} }, 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:internalTrafficPolicy': {},
          'f:ports': { '.': {}, 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {}, 'f:protocol': {}, 'f:targetPort': {} } },
          'f:selector': {},
          'f:sessionAffinity': {},
          'f:type': {},
        },
      },
    },
  ];
  return {
    ...service,
    metadata: { ...service.metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(applied)}\n` }, managedFields },
    status: { loadBalancer: {} },
  };
}

export function sliceOf(i: number, addresses: readonly string[]): KubeObject {
  const service = `svc-${i}`;
  const slice = endpointSliceObject(
    NAMESPACE,
    `${service}-abcde`,
    service,
    { endpoints: addresses.map((a) => ({ addresses: [a], nodeName: NODE })), ports: [{ name: 'http', port: 8080 }] },
    { app: service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
  );
  const owner = uidOf(1, i);
  const managedFields = [
    {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'discovery.k8s.io/v1',
      time: APPLIED_AT,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:addressType': {},
        'f:endpoints': {},
        'f:metadata': {
          'f:annotations': { '.': {}, 'f:endpoints.kubernetes.io/last-change-trigger-time': {} },
          'f:generateName': {},
          'f:labels': { '.': {}, 'f:app': {}, 'f:endpointslice.kubernetes.io/managed-by': {}, 'f:kubernetes.io/service-name': {} },
          'f:ownerReferences': { '.': {}, [`k:{"uid":"${owner}"}`]: {} },
        },
        'f:ports': {},
      },
    },
  ];
  const endpoints = (slice['endpoints'] as Record<string, unknown>[]).map((e, j) => ({
    ...e,
    targetRef: { kind: 'Pod', namespace: NAMESPACE, name: `${service}-7d9c5b6f4-${j.toString(36).padStart(5, 'x')}`, uid: uidOf(2, i * 64 + j) },
  }));
  return {
    ...slice,
    metadata: {
      ...slice.metadata,
      generateName: `${service}-`,
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': APPLIED_AT },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: service, uid: owner, controller: true, blockOwnerDeletion: true }],
      managedFields,
    },
    endpoints,
  };
}

export function defaultAddresses(reals: number): string[] {
  return Array.from({ length: reals }, (_, j) => generatedReal(j));
}

export function apiObjects({ services, reals }: Shape): KubeObject[] {
  const objects: KubeObject[] = [nodeObject(NODE, { internalIPs: ['192.168.0.10'] })];
  for (let i = 0; i < services; i++) {
    objects.push(serviceOf(i));
    objects.push(sliceOf(i, defaultAddresses(reals)));
  }
  return objects;
}

/** Busy and idle CPU time so far, from /proc/stat's first line (all CPUs). */
function cpuTimes(): { busy: number; idle: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: fields.reduce((a, b) => a + b, 0) - idle, idle };
}

/**
 * Waits until the kernel has gone quiet: a deleted network namespace holding thousands of IPVS
 * entries is torn down afterwards by a kernel worker, on the CPU the next contender needs. Returns
 * after two 100 ms windows at least 90% idle in a row; on a host with a steady load of its own (a
 * shared CI runner), once five windows in a row stay under half busy and within 5 points of each
 * other; at the latest after `maxMs`.
 */
export async function quiesce(maxMs = 20_000): Promise<void> {
  const deadline = performance.now() + maxMs;
  const busyShares: number[] = [];
  let last = cpuTimes();
  while (performance.now() < deadline) {
    await sleep(100);
    const now = cpuTimes();
    const busy = now.busy - last.busy;
    const total = busy + now.idle - last.idle;
    last = now;
    busyShares.push(total > 0 ? busy / total : 1);
    const recent = busyShares.slice(-5);
    if (recent.length >= 2 && recent.slice(-2).every((b) => b <= 0.1)) return;
    if (recent.length === 5 && Math.max(...recent) < 0.5 && Math.max(...recent) - Math.min(...recent) < 0.05) return;
  }
}

/**
 * Node flags of the bench's own child processes (the fake API server and the pollers).
 * --expose-gc: they collect their own garbage between samples, and --single-threaded-gc makes that
 * collection finish inside gc(): V8's concurrent sweeper threads would otherwise go on sweeping the
 * fake API server's large heap (20,000 objects at 10000x5) during the next sample, on the one CPU the
 * proxy needs. A young generation of one fixed size: UML 7.2's seccomp mode now and then leaves a
 * page V8 has just made writable again (the young generation growing back after a shrink) faulting
 * forever in the host, and the process spins on one store instruction: 10000x5 runs hung in about
 * half of the proxy contenders (a tick profile, `--prof`, put every tick at one address in
 * StringAdd's new-space write); with the size fixed, none did.
 */
export const BENCH_NODE_FLAGS: readonly string[] = ['--expose-gc', '--single-threaded-gc', '--min-semi-space-size=16', '--max-semi-space-size=16'];

/** The proxy's flags against the fake API server (no rate limit, audits every `syncPeriod`). */
export function proxyArgs(kubeconfig: string, syncPeriod: string): string[] {
  return ['--kubeconfig', kubeconfig, '--hostname-override', NODE, '--ipvs-min-sync-period', '0s', '--ipvs-sync-period', syncPeriod, '--metrics-bind-address', METRICS, '--healthz-bind-address', '127.0.0.1:10256'];
}

/**
 * The fake API server serialises each list once per selector and caches it: do it before the proxy
 * starts, not while it lists (a real API server does that work on its own machine, not on the
 * node's CPU), for the selectors the proxy sends, in protobuf and JSON, compressed or not (it
 * accepts gzip, as client-go does).
 */
export async function warmListCache(api: FakeApiServer): Promise<void> {
  const services = new URLSearchParams({ labelSelector: serviceLabelSelector(undefined) });
  const lists = [`/api/v1/services?${services.toString()}`, `/apis/discovery.k8s.io/v1/endpointslices?${services.toString()}`, `/api/v1/nodes?${new URLSearchParams({ fieldSelector: `metadata.name=${NODE}` }).toString()}`];
  for (const path of lists) {
    for (const accept of [PROTOBUF_MEDIA_TYPE, 'application/json']) {
      for (const encoding of ['gzip', 'identity']) await (await fetch(`${api.url}${path}`, { headers: { Accept: accept, 'Accept-Encoding': encoding } })).arrayBuffer();
    }
  }
}
