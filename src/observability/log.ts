// The structured logger: pino underneath, JSON lines by default or a compact text form, with
// klog-style verbosity (-v) so callers gate expensive messages with `log.v(4)?.info(...)`.
import pino from 'pino';
import { formatTextLine } from './text-format.js';

export type LogFields = Readonly<Record<string, unknown>>;

/** A logger already known to be enabled at some verbosity; obtained from Logger.v(). */
export interface VerboseLogger {
  info(msg: string, fields?: LogFields): void;
}

export interface Logger {
  /** verbosity ≥ 5 only */
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /**
   * A logger for verbosity `level`, or undefined when -v is lower. Optional chaining skips the
   * call and the evaluation of its arguments: `log.v(4)?.info('added real server', {...})`.
   * Levels: 0 always; 2 change summaries per sync; 4 every kernel change; 5+ debug detail.
   */
  v(level: number): VerboseLogger | undefined;
  /** the same logger with fields added to every line (e.g. { component: 'reconciler' }) */
  child(fields: LogFields): Logger;
  readonly verbosity: number;
}

/** Where lines go: anything with write(), e.g. process.stderr or a test's collector. */
export interface LogDestination {
  write(line: string): unknown;
}

export interface LoggerOptions {
  readonly verbosity: number;
  readonly format: 'json' | 'text';
  /** default: stderr (synchronous, so lines are out before an exit) */
  readonly destination?: LogDestination;
  /** epoch milliseconds; default Date.now */
  readonly now?: () => number;
}

// Errors in fields become plain data (message, name, code, errno…) instead of "{}".
function plainFields(fields: LogFields | undefined): object | undefined {
  if (fields === undefined) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const [k, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      out ??= { ...fields };
      const e = value as Error & Record<string, unknown>;
      const plain: Record<string, unknown> = { name: e.name, message: e.message };
      for (const key of ['code', 'errno', 'operation', 'key', 'field'] as const) if (e[key] !== undefined) plain[key] = e[key];
      out[k] = plain;
    }
  }
  return out ?? fields;
}

class PinoLogger implements Logger {
  readonly #pino: pino.Logger;
  readonly verbosity: number;
  readonly #verbose = new Map<number, VerboseLogger>();

  constructor(p: pino.Logger, verbosity: number) {
    this.#pino = p;
    this.verbosity = verbosity;
  }

  #log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields: LogFields | undefined): void {
    const obj = plainFields(fields);
    if (obj === undefined) this.#pino[level](msg);
    else this.#pino[level](obj, msg);
  }

  debug(msg: string, fields?: LogFields): void {
    if (this.verbosity >= 5) this.#log('debug', msg, { v: 5, ...fields });
  }
  info(msg: string, fields?: LogFields): void {
    this.#log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#log('error', msg, fields);
  }

  v(level: number): VerboseLogger | undefined {
    if (level > this.verbosity) return undefined;
    if (level <= 0) return this;
    let verbose = this.#verbose.get(level);
    if (verbose === undefined) {
      const pinoLevel = level >= 5 ? 'debug' : 'info';
      verbose = { info: (msg: string, fields?: LogFields): void => this.#log(pinoLevel, msg, { v: level, ...fields }) };
      this.#verbose.set(level, verbose);
    }
    return verbose;
  }

  child(fields: LogFields): Logger {
    return new PinoLogger(this.#pino.child(plainFields(fields) ?? {}), this.verbosity);
  }
}

/** A logger writing JSON lines (or text) at the given verbosity. */
export function createLogger(options: LoggerOptions): Logger {
  const now = options.now ?? Date.now;
  const sink: LogDestination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const stream: pino.DestinationStream =
    options.format === 'text'
      ? { write: (line: string): void => void sink.write(formatTextLine(line)) }
      : { write: (line: string): void => void sink.write(line) };
  const p = pino(
    {
      level: options.verbosity >= 5 ? 'debug' : 'info',
      base: null, // no pid/hostname on every line; the node is in the pod's metadata
      messageKey: 'msg',
      serializers: { err: (e: unknown): unknown => e }, // ours already made it plain; pino's adds type/stack
      timestamp: () => `,"time":"${new Date(now()).toISOString()}"`,
      formatters: { level: (label: string) => ({ level: label }) },
    },
    stream,
  );
  return new PinoLogger(p, options.verbosity);
}

/** Discards everything: for tests and tools that need a Logger but no output. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  v: () => undefined,
  child: () => silentLogger,
  verbosity: 0,
};
