// cluster: the API-server edge. Services, EndpointSlices and our Node via our own list/watch informers kept
// alive (backoff restarts, 410 relists replaying only differences), reported to a ClusterObjectHandler.
export { ClusterSource, startClusterSource, type ClusterSourceOptions } from './cluster-source.js';
export { connectionFromKubeConfig, loadConnection, type ApiConnection, type ConnectionOptions } from './kubeconfig.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { isServedByUs, serviceLabelSelector } from './selection.js';
export type { ClusterErrorReason, ClusterLogger, ClusterMetrics, LogFields, WatchedResource } from './resource-watch.js';
