// Builds the effective ProxyConfig: defaults, then the --config file, then flags; validates each
// value against the name the user wrote it under. Pure apart from env.readFile.
import { isIP } from 'node:net';
import { parseGoDuration } from './duration.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { flagsHelp, readFlags } from './flags.js';
import { readKubeProxyConfiguration } from './file.js';
import type { RawSetting, RawSettings } from './settings.js';
import {
  DEFAULT_GRACEFUL_PERIOD_MS,
  DEFAULT_HEALTHZ_BIND_ADDRESS,
  DEFAULT_METRICS_BIND_ADDRESS,
  DEFAULT_SCHEDULER,
  DEFAULT_SYNC_PERIOD_MS,
  JSON_CONTENT_TYPE,
  KNOWN_SCHEDULERS,
  MAX_VERBOSITY,
  PROTOBUF_CONTENT_TYPE,
  type ApiContentType,
  type HostPort,
  type LogFormat,
  type ProxyConfig,
} from './types.js';

/** What parsing needs from the outside world, injected so tests stay pure. */
export interface ConfigEnvironment {
  /** os.hostname() */
  readonly hostname: string;
  /** process.stderr.isTTY: picks the default log format */
  readonly stderrIsTTY: boolean;
  /** reads the --config file; throws (with a message) when it cannot */
  readFile(path: string): string;
}

export type ParseResult =
  | { readonly kind: 'config'; readonly config: ProxyConfig; readonly warnings: readonly string[] }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly error: ConfigError };

class Validator {
  readonly issues: ConfigIssue[] = [];

  fail(s: RawSetting, message: string): undefined {
    this.issues.push({ field: s.field, message });
    return undefined;
  }

  string(s: RawSetting | undefined): string | undefined {
    if (s === undefined) return undefined;
    if (typeof s.value !== 'string') return this.fail(s, `${JSON.stringify(s.value)} is not a string`);
    return s.value.trim();
  }

  boolean(s: RawSetting | undefined, dflt: boolean): boolean {
    if (s === undefined) return dflt;
    if (typeof s.value !== 'boolean') return this.fail(s, `${JSON.stringify(s.value)} is not a boolean`) ?? dflt;
    return s.value;
  }

  /** a duration ≥ 0 (or > 0 when positive) in milliseconds */
  duration(s: RawSetting | undefined, dflt: number, opts: { positive?: boolean } = {}): number {
    if (s === undefined) return dflt;
    const ms = typeof s.value === 'string' ? parseGoDuration(s.value.trim()) : undefined;
    if (ms === undefined) return this.fail(s, `${JSON.stringify(s.value)} is not a duration (use Go syntax such as "30s", "1m30s", "500ms")`) ?? dflt;
    if (opts.positive === true && ms <= 0) return this.fail(s, `${JSON.stringify(s.value)} must be greater than zero`) ?? dflt;
    if (ms < 0) return this.fail(s, `${JSON.stringify(s.value)} must not be negative`) ?? dflt;
    return ms;
  }

  /** a list of CIDRs, from a comma-separated string (flags, clusterCIDR) or a string array (file) */
  cidrs(s: RawSetting | undefined): string[] {
    if (s === undefined) return [];
    let items: unknown[];
    if (typeof s.value === 'string') items = s.value.split(',');
    else if (Array.isArray(s.value)) items = s.value as unknown[];
    else return this.fail(s, `${JSON.stringify(s.value)} is not a list of CIDRs`) ?? [];
    const out: string[] = [];
    for (const item of items) {
      const text = typeof item === 'string' ? item.trim() : item;
      if (text === '') continue;
      if (typeof text !== 'string' || !isCidr(text)) return this.fail(s, `${JSON.stringify(item)} is not a CIDR (such as 10.244.0.0/16 or fd00::/64)`) ?? [];
      out.push(text);
    }
    return out;
  }

  /** "IP:port" / "[IPv6]:port"; empty disables the server */
  hostPort(s: RawSetting | undefined, dflt: string): HostPort | undefined {
    const text = s === undefined ? dflt : this.string(s);
    if (text === undefined || text === '') return undefined;
    const parsed = parseHostPort(text);
    if (parsed === undefined && s !== undefined) {
      this.fail(s, `${JSON.stringify(text)} is not an IP:port address (such as 0.0.0.0:10256 or [::]:10256)`);
    }
    return parsed;
  }
}

function isCidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const family = isIP(text.slice(0, slash));
  const prefix = text.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Parses "0.0.0.0:10256" or "[::]:10256". */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (m === null) return undefined;
  const [, host, portText] = m;
  if (host === undefined || portText === undefined || isIP(host) === 0) return undefined;
  const port = Number(portText);
  return port <= 65535 ? { host, port } : undefined;
}

const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

function validate(raw: RawSettings, env: ConfigEnvironment, earlier: readonly ConfigIssue[]): ProxyConfig | ConfigError {
  const v = new Validator();
  v.issues.push(...earlier);

  const mode = v.string(raw.mode);
  if (raw.mode !== undefined && mode !== undefined && mode !== '' && mode !== 'ipvs') {
    v.fail(raw.mode, `${JSON.stringify(mode)} is not supported: kube-ipvs-proxy only implements mode "ipvs"`);
  }

  const hostnameOverride = v.string(raw.hostnameOverride) || undefined;
  const nodeName = (hostnameOverride ?? env.hostname).trim().toLowerCase();

  let scheduler = v.string(raw.scheduler) || DEFAULT_SCHEDULER;
  if (raw.scheduler !== undefined && !KNOWN_SCHEDULERS.includes(scheduler)) {
    v.fail(raw.scheduler, `${JSON.stringify(scheduler)} is not an IPVS scheduler (one of ${KNOWN_SCHEDULERS.join(', ')})`);
    scheduler = DEFAULT_SCHEDULER;
  }

  const syncPeriodMs = v.duration(raw.syncPeriod, DEFAULT_SYNC_PERIOD_MS, { positive: true });
  const minSyncPeriodMs = v.duration(raw.minSyncPeriod, 0);
  if (raw.minSyncPeriod !== undefined && minSyncPeriodMs > syncPeriodMs) {
    v.fail(raw.minSyncPeriod, `${JSON.stringify(raw.minSyncPeriod.value)} must not be longer than the sync period (${syncPeriodMs / 1000}s)`);
  }

  let verbosity = 0;
  if (raw.verbosity !== undefined) {
    const value = raw.verbosity.value;
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isInteger(n) || n < 0 || n > MAX_VERBOSITY) v.fail(raw.verbosity, `${JSON.stringify(value)} is not a verbosity level (an integer 0..${MAX_VERBOSITY})`);
    else verbosity = n;
  }

  let logFormat: LogFormat = env.stderrIsTTY ? 'text' : 'json';
  const format = v.string(raw.logFormat);
  if (raw.logFormat !== undefined && format !== undefined) {
    if (format === 'json' || format === 'text') logFormat = format;
    else v.fail(raw.logFormat, `${JSON.stringify(format)} is not a log format (json or text)`);
  }

  let bindAddress = v.string(raw.bindAddress) || undefined;
  if (raw.bindAddress !== undefined && bindAddress !== undefined) {
    if (isIP(bindAddress) === 0) v.fail(raw.bindAddress, `${JSON.stringify(bindAddress)} is not an IP address`);
    if (bindAddress === '0.0.0.0' || bindAddress === '::') bindAddress = undefined;
  }

  let kubeApiContentType: ApiContentType = PROTOBUF_CONTENT_TYPE;
  const contentType = v.string(raw.kubeApiContentType);
  if (raw.kubeApiContentType !== undefined && contentType !== undefined && contentType !== '') {
    if (contentType === PROTOBUF_CONTENT_TYPE || contentType === JSON_CONTENT_TYPE) kubeApiContentType = contentType;
    else v.fail(raw.kubeApiContentType, `${JSON.stringify(contentType)} is not a content type this proxy reads (${PROTOBUF_CONTENT_TYPE} or ${JSON_CONTENT_TYPE})`);
  }

  const serviceProxyName = v.string(raw.serviceProxyName) || undefined;
  if (raw.serviceProxyName !== undefined && serviceProxyName !== undefined && !LABEL_VALUE.test(serviceProxyName)) {
    v.fail(raw.serviceProxyName, `${JSON.stringify(serviceProxyName)} is not a valid label value`);
  }

  const config: ProxyConfig = {
    nodeName,
    hostnameOverride,
    kubeconfig: v.string(raw.kubeconfig) || undefined,
    master: v.string(raw.master) || undefined,
    kubeApiContentType,
    ipvs: {
      scheduler,
      syncPeriodMs,
      minSyncPeriodMs,
      excludeCIDRs: v.cidrs(raw.excludeCIDRs),
      strictARP: v.boolean(raw.strictARP, false),
      tcpTimeoutMs: v.duration(raw.tcpTimeout, 0),
      tcpFinTimeoutMs: v.duration(raw.tcpFinTimeout, 0),
      udpTimeoutMs: v.duration(raw.udpTimeout, 0),
      gracefulPeriodMs: v.duration(raw.gracefulPeriod, DEFAULT_GRACEFUL_PERIOD_MS),
    },
    clusterCIDRs: v.cidrs(raw.clusterCIDR),
    bindAddress,
    healthzBindAddress: v.hostPort(raw.healthzBindAddress, DEFAULT_HEALTHZ_BIND_ADDRESS),
    metricsBindAddress: v.hostPort(raw.metricsBindAddress, DEFAULT_METRICS_BIND_ADDRESS),
    serviceProxyName,
    verbosity,
    logFormat,
    cleanup: v.boolean(raw.cleanup, false),
    writeConfigTo: v.string(raw.writeConfigTo) || undefined,
    configFile: v.string(raw.configFile) || undefined,
  };
  if (nodeName === '') v.issues.push({ field: raw.hostnameOverride?.field ?? '--hostname-override', message: 'node name is empty (no host name and no override)' });
  return v.issues.length > 0 ? new ConfigError(v.issues) : config;
}

/**
 * Flags (argv without node and script) and an optional --config file → the effective config,
 * the --help text, or a ConfigError naming every bad flag or field. Never throws, never exits.
 */
export function parseProxyConfig(argv: readonly string[], env: ConfigEnvironment): ParseResult {
  const flags = readFlags(argv);
  if (flags.help && flags.issues.length === 0) return { kind: 'help', text: flagsHelp() };
  if (flags.version && flags.issues.length === 0) return { kind: 'version' };

  let fileSettings: RawSettings = {};
  let fileIssues: readonly ConfigIssue[] = [];
  const warnings: string[] = [...flags.warnings];
  const configFlag = flags.settings.configFile;
  const configPath = typeof configFlag?.value === 'string' ? configFlag.value.trim() : '';
  if (configFlag !== undefined && configPath !== '') {
    let text: string;
    try {
      text = env.readFile(configPath);
    } catch (e: unknown) {
      const reason = e instanceof Error ? e.message : String(e);
      return { kind: 'error', error: new ConfigError([{ field: '--config', message: `cannot read ${JSON.stringify(configPath)}: ${reason}` }]) };
    }
    const file = readKubeProxyConfiguration(text, configPath);
    fileSettings = file.settings;
    fileIssues = file.issues;
    warnings.push(...file.warnings);
  }

  const merged: RawSettings = { ...fileSettings, ...flags.settings }; // flags override the file
  const result = validate(merged, env, [...flags.issues, ...fileIssues]); // one error listing every problem
  if (result instanceof ConfigError) return { kind: 'error', error: result };
  return { kind: 'config', config: result, warnings };
}
