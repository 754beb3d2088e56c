// config: the effective ProxyConfig from kube-proxy-style flags and a KubeProxyConfiguration file,
// validated with errors naming the flag or field; rendering it back for --write-config-to.
export * from './types.js';
export * from './errors.js';
export { parseGoDuration, formatGoDuration } from './duration.js';
export { FLAGS, UNSUPPORTED_KUBE_PROXY_FLAGS, flagsHelp, type FlagSpec } from './flags.js';
export { KUBE_PROXY_API_VERSION, KUBE_PROXY_KIND, formatHostPort, kubeProxyConfiguration, readKubeProxyConfiguration, renderKubeProxyConfiguration } from './file.js';
export { parseProxyConfig, parseHostPort, type ConfigEnvironment, type ParseResult } from './parse.js';
export { processConfigEnvironment, writeKubeProxyConfiguration } from './environment.js';
