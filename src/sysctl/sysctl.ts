// Reading and writing kernel sysctls as /proc/sys files (there is no netlink API for them). procfs
// answers at once, so the files are read and written synchronously: through node:fs/promises each
// open, read, write and close was a round trip to libuv's thread pool, ~35 of them at each start
// (8-15 ms of it in UML, where every thread hand-over is a trapped system call).
import { closeSync, constants as fsConstants, openSync, readFileSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { KernelError } from '../kernel/errors.js';

export const DEFAULT_SYSCTL_ROOT = '/proc/sys';

/** A sysctl that could not be read or written: the name, the file, and the errno (ENOENT when it does not exist). */
export class SysctlError extends KernelError {
  override readonly name = 'SysctlError';
  readonly path: string;
  constructor(operation: 'sysctl.read' | 'sysctl.write', sysctl: string, path: string, errno: number, options?: { cause?: unknown }) {
    const code = errnoCodeName(errno);
    const hint = errno === osConstants.errno.ENOENT ? ' (no such sysctl: is its module loaded, e.g. ip_vs?)' : '';
    super('KIPVS_KERNEL_ERRNO', errno, operation, sysctl, `${operation} ${sysctl} (${path}): ${code}${hint}`, options);
    this.path = path;
  }
}

function errnoCodeName(errno: number): string {
  const entry = Object.entries(osConstants.errno).find(([, n]) => n === errno);
  return entry?.[0] ?? `E${errno}`;
}

/** errno of a node:fs error (its `code`, e.g. 'EACCES', mapped back to the number). */
function errnoOf(e: unknown): number {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in osConstants.errno) return osConstants.errno[code as keyof typeof osConstants.errno];
  return osConstants.errno.EIO;
}

/** "net/ipv4/vs/conntrack" or "net.ipv4.vs.conntrack" → the path below `root`. */
export function sysctlPath(name: string, root: string = DEFAULT_SYSCTL_ROOT): string {
  const slashed = name.includes('/') ? name : name.replaceAll('.', '/');
  if (slashed.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new RangeError(`bad sysctl name ${JSON.stringify(name)}`);
  return join(root, slashed);
}

/** The sysctl's value with surrounding whitespace removed (multi-value sysctls keep their tabs). */
// eslint-disable-next-line @typescript-eslint/require-await -- async for its callers: a failure is a rejection, never a throw
export async function readSysctl(name: string, root: string = DEFAULT_SYSCTL_ROOT): Promise<string> {
  const path = sysctlPath(name, root);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new SysctlError('sysctl.read', name, path, errnoOf(e), { cause: e });
  }
}

// eslint-disable-next-line @typescript-eslint/require-await -- as readSysctl
export async function writeSysctl(name: string, value: string, root: string = DEFAULT_SYSCTL_ROOT): Promise<void> {
  const path = sysctlPath(name, root);
  try {
    // O_WRONLY|O_TRUNC as `echo >` does, but no O_CREAT: a missing sysctl must be ENOENT, not a new
    // file. One write() call, as procfs takes the value from a single write.
    const fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_TRUNC);
    try {
      writeSync(fd, `${value}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new SysctlError('sysctl.write', name, path, errnoOf(e), { cause: e });
  }
}
