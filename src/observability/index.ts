// observability: what operators see of the proxy — the structured logger (-v levels), Prometheus
// metrics under kube-proxy's names, and the /healthz, /livez and /metrics HTTP listeners.
export * from './log.js';
export { formatTextLine } from './text-format.js';
export * from './metrics.js';
export * from './health.js';
export * from './http.js';
