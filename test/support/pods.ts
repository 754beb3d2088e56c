// Pods for kernel tests and the demo: each pod is a network namespace with a veth on a bridge,
// an address in the pod CIDR, and a pod-server process. The node is the namespace the test runs in.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run, sh } from './run.js';

const POD_SERVER = fileURLToPath(new URL('./pod-server.js', import.meta.url));

export interface PodNetworkOptions {
  readonly bridge?: string;
  /** first three octets of the /24 pod CIDR, e.g. "10.244.0" */
  readonly prefix?: string;
}

export interface Pod {
  readonly name: string;
  readonly ip: string;
  /** runs a command inside the pod's network namespace */
  exec(cmd: string, args: readonly string[], timeoutMs?: number): string;
  /** curl from inside the pod; returns the body, throws on failure */
  curl(url: string, timeoutSeconds?: number): string;
}

interface PodRecord extends Pod {
  readonly veth: string;
  readonly servers: ChildProcess[];
}

export class PodNetwork {
  readonly bridge: string;
  readonly prefix: string;
  readonly gateway: string;
  readonly #pods = new Map<string, PodRecord>();

  constructor(options: PodNetworkOptions = {}) {
    this.bridge = options.bridge ?? 'cbr0';
    this.prefix = options.prefix ?? '10.244.0';
    this.gateway = `${this.prefix}.1`;
  }

  /** The bridge with the gateway address; br_netfilter on so pod→ClusterIP→pod replies pass IPVS. */
  setUp(): void {
    sh(`ip link add ${this.bridge} type bridge && ip addr add ${this.gateway}/24 dev ${this.bridge} && ip link set ${this.bridge} up`);
    sh('modprobe br_netfilter 2>/dev/null || true');
    sh('echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables');
    sh('echo 1 > /proc/sys/net/ipv4/ip_forward');
  }

  /** Creates a pod (namespace, veth, address, route) and optionally starts its servers. */
  async addPod(
    name: string,
    hostOctet: number,
    servers: { http?: number; udp?: number; welcome?: boolean } = {},
  ): Promise<Pod> {
    const ip = `${this.prefix}.${hostOctet}`;
    const veth = `veth-${name}`.slice(0, 15);
    sh(
      [
        `ip netns add ${name}`,
        `ip link add ${veth} type veth peer name eth0 netns ${name}`,
        `ip link set ${veth} master ${this.bridge} up`,
        `ip -n ${name} link set lo up`,
        `ip -n ${name} addr add ${ip}/24 dev eth0`,
        `ip -n ${name} link set eth0 up`,
        `ip -n ${name} route add default via ${this.gateway}`,
      ].join(' && '),
    );
    const record: PodRecord = {
      name,
      ip,
      veth,
      servers: [],
      exec: (cmd, args, timeoutMs) => run('ip', ['netns', 'exec', name, cmd, ...args], { timeoutMs: timeoutMs ?? 30_000 }),
      curl: (url, timeoutSeconds = 5) =>
        run('ip', ['netns', 'exec', name, 'curl', '-sS', '--fail', '--max-time', String(timeoutSeconds), url], {
          timeoutMs: (timeoutSeconds + 5) * 1000,
        }),
    };
    this.#pods.set(name, record);
    if (servers.http !== undefined || servers.udp !== undefined) await this.startServer(record, servers);
    return record;
  }

  async #waitReady(child: ChildProcess, name: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`pod-server ${name} did not start: ${out}`)), 30_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`pod-server ${name} exited ${code}: ${out}`));
      });
    });
  }

  async startServer(pod: Pod, servers: { http?: number; udp?: number; welcome?: boolean }): Promise<void> {
    const record = this.#pods.get(pod.name);
    if (!record) throw new Error(`no pod ${pod.name}`);
    const args = ['netns', 'exec', pod.name, process.execPath, POD_SERVER, '--name', pod.name];
    if (servers.http !== undefined) args.push('--http', String(servers.http));
    if (servers.udp !== undefined) args.push('--udp', String(servers.udp));
    if (servers.welcome) args.push('--welcome');
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    record.servers.push(child);
    await this.#waitReady(child, pod.name);
  }

  removePod(name: string): void {
    const record = this.#pods.get(name);
    if (!record) return;
    for (const s of record.servers) s.kill('SIGKILL');
    sh(`ip netns pids ${name} | xargs -r kill -9; ip netns del ${name}; ip link del ${record.veth} 2>/dev/null; true`);
    this.#pods.delete(name);
  }

  tearDown(): void {
    for (const name of [...this.#pods.keys()]) this.removePod(name);
    sh(`ip link del ${this.bridge} 2>/dev/null; true`);
  }
}
