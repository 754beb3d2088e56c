// The real kube-ipvs-proxy command as operators run it (the built bin), started as a child process
// for kernel tests and the demo, plus polling helpers that wait for what a user would look at.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** the command as it ships: the bundle hack/bundle.ts writes (npm run build, hack/setup.sh) */
export const PROXY_BIN = fileURLToPath(new URL('../../kube-ipvs-proxy.mjs', import.meta.url));

export class ProxyProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #output = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stdout?.on('data', (d: Buffer) => (this.#output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.#output += d.toString()));
    this.#exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /** Starts `kube-ipvs-proxy ARGS` under this Node. */
  static start(args: readonly string[]): ProxyProcess {
    return new ProxyProcess(spawn(process.execPath, [PROXY_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Runs `kube-ipvs-proxy ARGS` to completion (e.g. --cleanup). */
  static runToEnd(args: readonly string[], timeoutMs = 60_000): { code: number | null; output: string } {
    const r = spawnSync(process.execPath, [PROXY_BIN, ...args], { encoding: 'utf8', timeout: timeoutMs });
    return { code: r.status, output: `${r.stdout}${r.stderr}` };
  }

  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** SIGTERM, then the exit code (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    if (!this.running) return this.#child.exitCode;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    const code = await this.#exited;
    clearTimeout(timer);
    return code;
  }

  /** Ends it the hard way, as a crash or an OOM kill would. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGKILL');
    await this.#exited;
  }
}

/** Polls `check` until it returns a value that is not undefined/null/false, or throws after timeoutMs. */
export async function eventually<T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : String(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
