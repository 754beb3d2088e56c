// Typed kernel errors: what the kernel answered (errno), to which operation, on which key.
// Callers branch on `errno`/`code`, never on message text.
import { constants as osConstants } from 'node:os';

const errnoNames: ReadonlyMap<number, string> = new Map(
  Object.entries(osConstants.errno).map(([name, num]) => [num, name]),
);

/** The errno's symbolic name (EEXIST, ESRCH, …), or "E<n>" when Node does not know it. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/**
 * ERRNO: the kernel answered this operation with an errno. TIMEOUT: no answer in time. UNAVAILABLE:
 * the facility is missing. PROTOCOL: an answer we could not read. SOCKET: the netlink socket failed
 * or was closed; nothing more goes through it, a new one must be opened.
 */
export type KernelErrorCode = 'KIPVS_KERNEL_ERRNO' | 'KIPVS_KERNEL_TIMEOUT' | 'KIPVS_KERNEL_UNAVAILABLE' | 'KIPVS_KERNEL_PROTOCOL' | 'KIPVS_KERNEL_SOCKET';

export class KernelError extends Error {
  override readonly name: string = 'KernelError';
  readonly code: KernelErrorCode;
  /** positive errno as the kernel returned it (0 when the failure is not an errno) */
  readonly errno: number;
  /** the operation, e.g. "ipvs.newService", "link.newAddress" */
  readonly operation: string;
  /** the object the operation was about, e.g. "TCP/10.96.0.1:80" */
  readonly key: string;

  constructor(
    code: KernelErrorCode,
    errno: number,
    operation: string,
    key: string,
    message?: string,
    options?: { cause?: unknown },
  ) {
    super(message ?? `${operation} ${key}: ${errno ? errnoName(errno) : code}`, options);
    this.code = code;
    this.errno = errno;
    this.operation = operation;
    this.key = key;
  }

  /** symbolic errno (EEXIST, …) */
  get errnoName(): string {
    return errnoName(this.errno);
  }

  static errno(errno: number, operation: string, key: string): KernelError {
    return new KernelError('KIPVS_KERNEL_ERRNO', errno, operation, key);
  }
}

/** The kernel has no IPVS (module absent or not loadable), or another needed facility. */
export class KernelUnavailableError extends KernelError {
  override readonly name = 'KernelUnavailableError';
  constructor(what: string, detail: string, options?: { cause?: unknown }) {
    super('KIPVS_KERNEL_UNAVAILABLE', 0, 'resolve', what, `${what} is not available in this kernel: ${detail}`, options);
  }
}

export function isKernelError(e: unknown, errno?: number): e is KernelError {
  return e instanceof KernelError && (errno === undefined || e.errno === errno);
}
