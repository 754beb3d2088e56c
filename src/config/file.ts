// KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1) files: reading the fields an IPVS
// proxy uses, warning about unknown ones and kube-proxy fields we ignore; and rendering back.
import { dump, load } from 'js-yaml';
import { formatGoDuration } from './duration.js';
import type { ConfigIssue } from './errors.js';
import type { RawSettings, SettingKey } from './settings.js';
import type { HostPort, ProxyConfig } from './types.js';

export const KUBE_PROXY_API_VERSION = 'kubeproxy.config.k8s.io/v1alpha1';
export const KUBE_PROXY_KIND = 'KubeProxyConfiguration';

type FieldSchema = { readonly setting: SettingKey } | { readonly ignored: true } | { readonly children: Readonly<Record<string, FieldSchema>> };

const IGNORED: FieldSchema = { ignored: true };

// Every v1alpha1 field: the ones we read map to a setting, the rest are known and ignored.
const SCHEMA: Readonly<Record<string, FieldSchema>> = {
  apiVersion: IGNORED, // checked separately
  kind: IGNORED,
  featureGates: IGNORED,
  clientConnection: {
    children: { kubeconfig: { setting: 'kubeconfig' }, acceptContentTypes: IGNORED, contentType: { setting: 'kubeApiContentType' }, qps: IGNORED, burst: IGNORED },
  },
  logging: {
    children: { format: { setting: 'logFormat' }, verbosity: { setting: 'verbosity' }, flushFrequency: IGNORED, vmodule: IGNORED, options: IGNORED },
  },
  hostnameOverride: { setting: 'hostnameOverride' },
  bindAddress: { setting: 'bindAddress' },
  healthzBindAddress: { setting: 'healthzBindAddress' },
  metricsBindAddress: { setting: 'metricsBindAddress' },
  bindAddressHardFail: IGNORED,
  enableProfiling: IGNORED,
  showHiddenMetricsForVersion: IGNORED,
  mode: { setting: 'mode' },
  iptables: IGNORED,
  ipvs: {
    children: {
      syncPeriod: { setting: 'syncPeriod' },
      minSyncPeriod: { setting: 'minSyncPeriod' },
      scheduler: { setting: 'scheduler' },
      excludeCIDRs: { setting: 'excludeCIDRs' },
      strictARP: { setting: 'strictARP' },
      tcpTimeout: { setting: 'tcpTimeout' },
      tcpFinTimeout: { setting: 'tcpFinTimeout' },
      udpTimeout: { setting: 'udpTimeout' },
    },
  },
  nftables: IGNORED,
  winkernel: IGNORED,
  detectLocalMode: IGNORED,
  detectLocal: IGNORED,
  clusterCIDR: { setting: 'clusterCIDR' },
  nodePortAddresses: IGNORED,
  oomScoreAdj: IGNORED,
  conntrack: IGNORED,
  configSyncPeriod: IGNORED,
  portRange: IGNORED,
  windowsRunAsService: IGNORED,
};

/**
 * Go decodes absent and zero values alike and then applies defaults, so generated files full of
 * `0s`, `""`, `null` and `false` mean "default", not "zero".
 */
function isZero(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === false || v === 0 || v === '0' || v === '0s') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).every(isZero);
  return false;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface FileReading {
  readonly settings: RawSettings;
  /** unknown fields, and kube-proxy fields set to non-default values that this proxy ignores */
  readonly warnings: readonly string[];
  /** what makes the file unusable; the settings read are still returned, to be checked too */
  readonly issues: readonly ConfigIssue[];
}

/**
 * Decodes a KubeProxyConfiguration document (YAML or JSON). Unknown fields are warnings, as in
 * kube-proxy, which decodes a v1alpha1 file leniently when strict decoding fails (a field from an
 * older release, such as udpIdleTimeout, must not stop a node's proxy).
 */
export function readKubeProxyConfiguration(text: string, fileName: string): FileReading {
  let doc: unknown;
  try {
    doc = text.trimStart().startsWith('{') ? JSON.parse(text) : load(text);
  } catch (e: unknown) {
    const reason = e instanceof Error ? e.message.split('\n')[0] ?? e.message : String(e);
    return { settings: {}, warnings: [], issues: [{ field: fileName, message: `is not valid YAML or JSON: ${reason}` }] };
  }
  if (!isPlainObject(doc)) return { settings: {}, warnings: [], issues: [{ field: fileName, message: 'must hold a KubeProxyConfiguration object' }] };
  const issues: ConfigIssue[] = [];
  if (doc['apiVersion'] !== KUBE_PROXY_API_VERSION) {
    issues.push({ field: 'apiVersion', message: `${JSON.stringify(doc['apiVersion'] ?? '')} is not supported (want ${KUBE_PROXY_API_VERSION})` });
  }
  if (doc['kind'] !== KUBE_PROXY_KIND) {
    issues.push({ field: 'kind', message: `${JSON.stringify(doc['kind'] ?? '')} is not supported (want ${KUBE_PROXY_KIND})` });
  }
  const settings: Partial<Record<SettingKey, { value: unknown; field: string }>> = {};
  const warnings: string[] = [];
  const walk = (obj: Record<string, unknown>, schema: Readonly<Record<string, FieldSchema>>, prefix: string): void => {
    for (const [key, value] of Object.entries(obj)) {
      const path = prefix + key;
      const field = schema[key];
      if (field === undefined) {
        warnings.push(`${path}: unknown field, ignored (value ${JSON.stringify(value)})`);
      } else if ('setting' in field) {
        if (!isZero(value)) settings[field.setting] = { value, field: path };
      } else if ('children' in field) {
        if (value === null || value === undefined) continue;
        if (!isPlainObject(value)) issues.push({ field: path, message: `${JSON.stringify(value)} is not an object` });
        else walk(value, field.children, `${path}.`);
      } else if (prefix !== '' || (key !== 'apiVersion' && key !== 'kind')) {
        if (!isZero(value)) warnings.push(`${path}: ignored, kube-ipvs-proxy does not implement this kube-proxy field (value ${JSON.stringify(value)})`);
      }
    }
  };
  walk(doc, SCHEMA, '');
  return { settings, warnings, issues };
}

/** "IP:port", "[IPv6]:port", or "" for none: how kube-proxy writes a bind address. */
export function formatHostPort(hp: HostPort | undefined): string {
  if (hp === undefined) return '';
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** The effective configuration as a KubeProxyConfiguration object (v1alpha1 fields only). */
export function kubeProxyConfiguration(config: ProxyConfig): Record<string, unknown> {
  return {
    apiVersion: KUBE_PROXY_API_VERSION,
    kind: KUBE_PROXY_KIND,
    mode: 'ipvs',
    clientConnection: { kubeconfig: config.kubeconfig ?? '', contentType: config.kubeApiContentType },
    logging: { format: config.logFormat, verbosity: config.verbosity },
    hostnameOverride: config.hostnameOverride ?? '',
    bindAddress: config.bindAddress ?? '0.0.0.0',
    healthzBindAddress: formatHostPort(config.healthzBindAddress),
    metricsBindAddress: formatHostPort(config.metricsBindAddress),
    clusterCIDR: config.clusterCIDRs.join(','),
    ipvs: {
      scheduler: config.ipvs.scheduler,
      syncPeriod: formatGoDuration(config.ipvs.syncPeriodMs),
      minSyncPeriod: formatGoDuration(config.ipvs.minSyncPeriodMs),
      excludeCIDRs: [...config.ipvs.excludeCIDRs],
      strictARP: config.ipvs.strictARP,
      tcpTimeout: formatGoDuration(config.ipvs.tcpTimeoutMs),
      tcpFinTimeout: formatGoDuration(config.ipvs.tcpFinTimeoutMs),
      udpTimeout: formatGoDuration(config.ipvs.udpTimeoutMs),
    },
  };
}

/**
 * The effective configuration as a KubeProxyConfiguration document (YAML) that kube-proxy itself
 * would also accept. Settings without a v1alpha1 field are listed in a leading comment.
 */
export function renderKubeProxyConfiguration(config: ProxyConfig): string {
  const notes = [
    '# Effective configuration written by kube-ipvs-proxy --write-config-to.',
    '# Settings without a KubeProxyConfiguration field (pass them as flags):',
    `#   --ipvs-graceful-period=${formatGoDuration(config.ipvs.gracefulPeriodMs)}`,
    `#   --service-proxy-name=${config.serviceProxyName ?? ''}`,
    ...(config.master === undefined ? [] : [`#   --master=${config.master}`]),
  ];
  if (config.healthzBindAddress === undefined) notes.push('#   --healthz-bind-address= (disabled; an empty field below means the default)');
  if (config.metricsBindAddress === undefined) notes.push('#   --metrics-bind-address= (disabled; an empty field below means the default)');
  return `${notes.join('\n')}\n${dump(kubeProxyConfiguration(config), { lineWidth: -1 })}`;
}
