// A reconciler on fake kernels with a manual clock, and recorders for its logs and metrics.
import type { ReconcilerOptions } from '../../../src/proxier/index.js';
import { Reconciler } from '../../../src/proxier/index.js';
import type { EndpointLike, EndpointSliceLike, ServiceLike } from '../../../src/model/index.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { FakeLinkKernel } from '../../support/fake-link-kernel.js';
import { ManualClock } from './manual-clock.js';

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
}

export class Env {
  readonly ipvs: FakeIpvsKernel;
  readonly link: FakeLinkKernel;
  readonly clock = new ManualClock();
  readonly logs: LogLine[] = [];
  readonly counters = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  readonly reconciler: Reconciler;

  constructor(options: Partial<ReconcilerOptions> = {}, kernel?: { ipvs: FakeIpvsKernel; link: FakeLinkKernel }) {
    this.ipvs = kernel?.ipvs ?? new FakeIpvsKernel();
    this.link = kernel?.link ?? new FakeLinkKernel();
    const log =
      (level: string) =>
      (msg: string, fields?: Readonly<Record<string, unknown>>): void => {
        this.logs.push({ level, msg, fields });
      };
    this.reconciler = new Reconciler({
      ipvs: this.ipvs,
      link: this.link,
      nodeName: 'node-a',
      families: [4],
      clock: this.clock,
      logger: { info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') },
      metrics: {
        increment: (name, labels, by = 1) => {
          const k = `${name}${labels && Object.keys(labels).length ? JSON.stringify(labels) : ''}`;
          this.counters.set(k, (this.counters.get(k) ?? 0) + by);
        },
        set: (name, value) => this.gauges.set(name, value),
        observe: () => undefined,
      },
      ...options,
    });
  }

  counter(name: string, labels?: Record<string, string>): number {
    return this.counters.get(`${name}${labels ? JSON.stringify(labels) : ''}`) ?? 0;
  }

  /** Lets `ms` of time pass, firing every timer due in it and waiting for the syncs they start. */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await this.reconciler.idle();
      if (!this.clock.step(end - this.clock.now())) break;
    }
    await this.reconciler.idle();
    this.clock.jump(end - this.clock.now());
  }

  /** `ipvsadm -Sn`-like view of the fake kernel. */
  table(): string[] {
    return this.ipvs.dump();
  }

  vips(): string[] {
    return this.link.addressesOf('kube-ipvs0');
  }
}

export function service(name: string, clusterIP: string, ports: Array<{ name?: string; port: number; protocol?: string }> = [{ name: 'http', port: 80 }], extra: Partial<NonNullable<ServiceLike['spec']>> = {}): ServiceLike {
  return { metadata: { name, namespace: 'default' }, spec: { clusterIP, clusterIPs: [clusterIP], ports, ...extra } };
}

export function slice(serviceName: string, addresses: Array<string | EndpointLike>, ports: EndpointSliceLike['ports'] = [{ name: 'http', port: 8080, protocol: 'TCP' }], suffix = 'x'): EndpointSliceLike {
  return {
    metadata: { name: `${serviceName}-${suffix}`, namespace: 'default', labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    endpoints: addresses.map((a) => (typeof a === 'string' ? { addresses: [a] } : a)),
    ports,
  };
}
