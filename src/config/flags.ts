// Command-line flags: kube-proxy's names for what an IPVS proxy needs, plus ours. Parsed with
// yargs' parser, which never prints or exits; unknown flags and bad boolean values are issues,
// kube-proxy flags this proxy does not implement are warnings (as the same fields in a file are).
// Its parser alone (yargs/helpers): the yargs instance around it, which adds help, version and
// command handling this command does its own way, looked for a package.json at each start
// (listing the working directory), ~9 ms of a start in UML.
import { Parser } from 'yargs/helpers';
import type { ConfigIssue } from './errors.js';
import type { RawSettings, SettingKey } from './settings.js';

export interface FlagSpec {
  readonly name: string;
  readonly setting: SettingKey | 'help' | 'version';
  readonly kind: 'string' | 'boolean';
  /** shown in --help and docs */
  readonly defaultText: string;
  readonly help: string;
  /** each occurrence adds to the list (kube-proxy's string-slice flags) instead of replacing it */
  readonly repeatable?: true;
}

export const FLAGS: readonly FlagSpec[] = [
  { name: 'config', setting: 'configFile', kind: 'string', defaultText: '', help: 'KubeProxyConfiguration file (YAML or JSON); flags override its fields' },
  { name: 'write-config-to', setting: 'writeConfigTo', kind: 'string', defaultText: '', help: 'write the effective configuration as a KubeProxyConfiguration to this file and exit' },
  { name: 'cleanup', setting: 'cleanup', kind: 'boolean', defaultText: 'false', help: 'remove the virtual servers, addresses and kube-ipvs0 link the proxy manages, then exit' },
  { name: 'kubeconfig', setting: 'kubeconfig', kind: 'string', defaultText: '', help: 'kubeconfig file; empty = in-cluster service account' },
  { name: 'master', setting: 'master', kind: 'string', defaultText: '', help: 'API server address; overrides the kubeconfig server' },
  {
    name: 'kube-api-content-type',
    setting: 'kubeApiContentType',
    kind: 'string',
    defaultText: 'application/vnd.kubernetes.protobuf',
    help: 'how Service and EndpointSlice lists are asked for: application/vnd.kubernetes.protobuf or application/json (watches are JSON)',
  },
  { name: 'hostname-override', setting: 'hostnameOverride', kind: 'string', defaultText: '', help: 'node name to use instead of the host name (lower-cased)' },
  { name: 'proxy-mode', setting: 'mode', kind: 'string', defaultText: 'ipvs', help: 'only "ipvs" (or empty) is accepted' },
  { name: 'ipvs-scheduler', setting: 'scheduler', kind: 'string', defaultText: 'rr', help: 'IPVS scheduler for every virtual server' },
  { name: 'ipvs-sync-period', setting: 'syncPeriod', kind: 'string', defaultText: '30s', help: 'maximum interval between full syncs (> 0)' },
  { name: 'ipvs-min-sync-period', setting: 'minSyncPeriod', kind: 'string', defaultText: '0s', help: 'minimum interval between syncs (0 = on every change; <= sync period)' },
  {
    name: 'ipvs-exclude-cidrs',
    setting: 'excludeCIDRs',
    kind: 'string',
    defaultText: '',
    help: 'comma-separated CIDRs whose virtual servers are never deleted; repeat the flag to add more',
    repeatable: true,
  },
  { name: 'ipvs-strict-arp', setting: 'strictARP', kind: 'boolean', defaultText: 'false', help: 'set arp_ignore=1 and arp_announce=2' },
  { name: 'ipvs-tcp-timeout', setting: 'tcpTimeout', kind: 'string', defaultText: '0s', help: 'IPVS idle TCP connection timeout (0 = leave the kernel value)' },
  { name: 'ipvs-tcpfin-timeout', setting: 'tcpFinTimeout', kind: 'string', defaultText: '0s', help: 'IPVS TCP FIN_WAIT timeout (0 = leave the kernel value)' },
  { name: 'ipvs-udp-timeout', setting: 'udpTimeout', kind: 'string', defaultText: '0s', help: 'IPVS UDP timeout (0 = leave the kernel value)' },
  { name: 'ipvs-graceful-period', setting: 'gracefulPeriod', kind: 'string', defaultText: '15m', help: 'how long a removed TCP real server with connections stays at weight 0 before deletion (0 = until no connections)' },
  { name: 'cluster-cidr', setting: 'clusterCIDR', kind: 'string', defaultText: '', help: 'pod CIDR(s), comma-separated, one per family' },
  { name: 'bind-address', setting: 'bindAddress', kind: 'string', defaultText: '0.0.0.0', help: "override of the node's primary IP (0.0.0.0 = detect)" },
  { name: 'healthz-bind-address', setting: 'healthzBindAddress', kind: 'string', defaultText: '0.0.0.0:10256', help: 'IP:port for /healthz, /livez and /readyz; 0.0.0.0 serves IPv6 too, as in kube-proxy (empty = disabled)' },
  { name: 'metrics-bind-address', setting: 'metricsBindAddress', kind: 'string', defaultText: '127.0.0.1:10249', help: 'IP:port for /metrics (empty = disabled)' },
  { name: 'service-proxy-name', setting: 'serviceProxyName', kind: 'string', defaultText: '', help: 'serve Services labelled service.kubernetes.io/service-proxy-name=<this> (unset = only unlabelled Services)' },
  { name: 'v', setting: 'verbosity', kind: 'string', defaultText: '0', help: 'log verbosity 0..10 (2: listener bind retries, 4: every kernel change, 5+: debug and sync summaries)' },
  { name: 'log-format', setting: 'logFormat', kind: 'string', defaultText: 'json (text on a TTY)', help: 'json or text' },
  { name: 'logging-format', setting: 'logFormat', kind: 'string', defaultText: '', help: "kube-proxy's name for --log-format" },
  { name: 'help', setting: 'help', kind: 'boolean', defaultText: 'false', help: 'print this help and exit' },
  { name: 'version', setting: 'version', kind: 'boolean', defaultText: 'false', help: 'print the version and exit' },
];

/**
 * kube-proxy flags this proxy knows but does not implement: accepted with a warning naming them, so
 * a kube-proxy DaemonSet's arguments still start it (the same fields in a --config file also warn).
 */
export const UNSUPPORTED_KUBE_PROXY_FLAGS: readonly string[] = [
  'masquerade-all', 'iptables-masquerade-bit', 'iptables-sync-period', 'iptables-min-sync-period', 'iptables-localhost-nodeports',
  'nodeport-addresses', 'detect-local-mode', 'pod-bridge-interface', 'pod-interface-name-prefix',
  'conntrack-max-per-core', 'conntrack-min', 'conntrack-tcp-timeout-established', 'conntrack-tcp-timeout-close-wait',
  'conntrack-tcp-be-liberal', 'conntrack-udp-timeout', 'conntrack-udp-timeout-stream', 'config-sync-period',
  'kube-api-qps', 'kube-api-burst', 'oom-score-adj', 'profiling', 'feature-gates', 'init-only',
  'bind-address-hard-fail', 'healthz-port', 'metrics-port', 'proxy-port-range', 'show-hidden-metrics-for-version',
  'logging-format', 'vmodule', 'log-flush-frequency', 'udp-timeout',
];

// Go's strconv.ParseBool spellings, which kube-proxy's pflag accepts after "="
const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

export interface FlagReading {
  readonly settings: RawSettings;
  readonly help: boolean;
  readonly version: boolean;
  /** unknown flags, bad booleans, stray arguments; the settings read are still returned */
  readonly issues: readonly ConfigIssue[];
  /** kube-proxy flags given that this proxy ignores */
  readonly warnings: readonly string[];
}

/** Reads argv (without node and script) into raw settings, and the issues found on the way. */
export function readFlags(argv: readonly string[]): FlagReading {
  const issues: ConfigIssue[] = [];
  const specByName = new Map(FLAGS.map((f) => [f.name, f]));
  // yargs reads "--flag=maybe" on a boolean as false: check the value ourselves first; values of a
  // repeatable flag are gathered here and handed to yargs as one comma-separated value
  const normalized: string[] = [];
  const gathered = new Map<FlagSpec, string[]>();
  let afterDoubleDash = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (afterDoubleDash || arg === '--' || !arg.startsWith('-')) {
      if (arg === '--') afterDoubleDash = true;
      normalized.push(arg);
      continue;
    }
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    const spec = m?.[1] === undefined ? undefined : specByName.get(m[1]);
    const inlineValue = m?.[2];
    if (spec?.repeatable === true) {
      let value = inlineValue;
      const next = argv[i + 1];
      if (value === undefined && next !== undefined && !next.startsWith('-')) {
        value = next;
        i++;
      }
      gathered.set(spec, [...(gathered.get(spec) ?? []), value ?? '']);
      continue;
    }
    if (inlineValue !== undefined && spec?.kind === 'boolean') {
      if (TRUE_WORDS.has(inlineValue)) normalized.push(`--${spec.name}=true`);
      else if (FALSE_WORDS.has(inlineValue)) normalized.push(`--${spec.name}=false`);
      else issues.push({ field: `--${spec.name}`, message: `${JSON.stringify(inlineValue)} is not a boolean (use true or false)` });
      continue;
    }
    normalized.push(arg);
  }
  for (const [spec, values] of gathered) normalized.push(`--${spec.name}=${values.filter((v) => v !== '').join(',')}`);

  const detailed = Parser.detailed(normalized, {
    string: FLAGS.filter((f) => f.kind === 'string').map((f) => f.name),
    boolean: FLAGS.filter((f) => f.kind === 'boolean').map((f) => f.name),
    configuration: {
      'camel-case-expansion': false,
      'duplicate-arguments-array': false, // last one wins, like pflag
      'boolean-negation': false,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
    },
  });
  if (detailed.error !== null) {
    return { settings: {}, help: false, version: false, issues: [...issues, { field: 'argv', message: detailed.error.message }], warnings: [] };
  }
  const parsed: Record<string, unknown> = detailed.argv;

  const settings: Partial<Record<SettingKey, { value: unknown; field: string }>> = {};
  const warnings: string[] = [];
  let help = false;
  let version = false;
  for (const [key, value] of Object.entries(parsed)) {
    if (key === '_') {
      const positional = value as readonly unknown[];
      if (positional.length > 0) issues.push({ field: 'argv', message: `unexpected argument ${JSON.stringify(String(positional[0]))} (flags look like --name=value)` });
      continue;
    }
    const spec = specByName.get(key);
    if (spec === undefined) {
      const flag = key.length === 1 ? `-${key}` : `--${key}`;
      if (UNSUPPORTED_KUBE_PROXY_FLAGS.includes(key)) {
        warnings.push(`${flag}: ignored, kube-ipvs-proxy does not implement this kube-proxy flag (value ${JSON.stringify(value)})`);
        continue;
      }
      issues.push({
        field: flag,
        message: key.startsWith('no-') && specByName.get(key.slice(3))?.kind === 'boolean' ? `unknown flag (use --${key.slice(3)}=false)` : 'unknown flag',
      });
      continue;
    }
    if (spec.setting === 'help') {
      help = value === true;
      continue;
    }
    if (spec.setting === 'version') {
      version = value === true;
      continue;
    }
    settings[spec.setting] = { value, field: spec.name === 'v' ? '-v' : `--${spec.name}` };
  }
  return { settings, help, version, issues, warnings };
}

/** The --help text, from the same table the parser uses. */
export function flagsHelp(): string {
  const lines = ['Usage: kube-ipvs-proxy [flags]', '', 'Flags:'];
  for (const f of FLAGS) {
    const name = f.name === 'v' ? '-v, --v' : `--${f.name}`;
    const dflt = f.defaultText === '' ? '' : ` (default ${f.defaultText})`;
    lines.push(`  ${name.padEnd(26)} ${f.help}${dflt}`);
  }
  return lines.join('\n') + '\n';
}
