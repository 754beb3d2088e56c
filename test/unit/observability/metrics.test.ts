// Metrics as Prometheus scrapes them: kube-proxy's names present, and values that move.
import { expect } from 'chai';
import { createProxyMetrics } from '../../../src/observability/index.js';
import { sample } from './exposition.js';

const EXPECTED_METRICS = [
  'kubeproxy_sync_proxy_rules_duration_seconds',
  'kubeproxy_sync_full_proxy_rules_duration_seconds',
  'kubeproxy_sync_partial_proxy_rules_duration_seconds',
  'kube_ipvs_proxy_audit_read_duration_seconds',
  'kubeproxy_sync_proxy_rules_last_timestamp_seconds',
  'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds',
  'kubeproxy_network_programming_duration_seconds',
  'kubeproxy_sync_proxy_rules_service_changes_total',
  'kubeproxy_sync_proxy_rules_service_changes_pending',
  'kubeproxy_sync_proxy_rules_endpoint_changes_total',
  'kubeproxy_sync_proxy_rules_endpoint_changes_pending',
  'kubeproxy_sync_proxy_rules_no_local_endpoints_total',
  'kubeproxy_proxy_healthz_total',
  'kubeproxy_proxy_livez_total',
  'kube_ipvs_proxy_netlink_operations_total',
  'kube_ipvs_proxy_sync_failures_total',
  'kube_ipvs_proxy_drift_repaired_total',
  'kube_ipvs_proxy_objects_rejected_total',
  'kube_ipvs_proxy_virtual_servers',
  'kube_ipvs_proxy_real_servers',
  'kube_ipvs_proxy_addresses_bound',
  'kube_ipvs_proxy_graceful_terminations',
  'kube_ipvs_proxy_informer_restarts_total',
];

describe('observability/metrics', () => {
  it('declares every metric with its type', async () => {
    const text = await createProxyMetrics().exposition();
    for (const name of EXPECTED_METRICS) expect(text, name).to.match(new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'));
    expect(text).to.match(/^# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram$/m);
    expect(text).to.match(/^# TYPE kubeproxy_sync_proxy_rules_no_local_endpoints_total gauge$/m);
    expect(text).to.match(/^# TYPE kube_ipvs_proxy_netlink_operations_total counter$/m);
  });

  it('moves with what the proxy reports', async () => {
    const m = createProxyMetrics();
    m.syncQueued(1_700_000_000_000);
    m.syncFinished(0.003, true, 1_700_000_001_500, 'partial');
    m.syncFinished(0.5, false, 1_700_000_002_000, 'full');
    m.observeNetworkProgramming(1.2);
    m.serviceChangesSeen();
    m.serviceChangesSeen(4);
    m.setServiceChangesPending(2);
    m.endpointChangesSeen(7);
    m.setEndpointChangesPending(1);
    m.setNoLocalEndpoints('external', 3);
    m.healthzAnswered(200);
    m.healthzAnswered(503);
    m.healthzAnswered(200);
    m.livezAnswered(200);
    m.netlinkOperations('ipvs.newService', 'ok', 3);
    m.netlinkOperations('ipvs.newService', 'EEXIST');
    m.driftRepaired('real_server', 2);
    m.objectRejected('bad_cluster_ip');
    m.setProgrammed({ virtualServers: 10, realServers: 25, addresses: 4, refusedVirtualServers: 1 });
    m.setGracefulTerminations(2);
    m.informerRestarted('endpointslices');
    m.apiErrorSeen('services', 'watch');
    m.auditRead(2.5);
    m.apiRequestDone('GET', '10.0.0.1:6443', '200', 0.02);
    m.apiRequestDone('GET', '10.0.0.1:6443', '<error>', 3);
    const t = await m.exposition();
    expect(sample(t, 'kube_ipvs_proxy_api_errors_total{resource="services",reason="watch"}')).to.equal(1);
    expect(sample(t, 'rest_client_requests_total{code="200",host="10.0.0.1:6443",method="GET"}')).to.equal(1);
    expect(sample(t, 'rest_client_requests_total{code="<error>",host="10.0.0.1:6443",method="GET"}')).to.equal(1);
    expect(sample(t, 'rest_client_request_duration_seconds_bucket{le="0.025",host="10.0.0.1:6443",verb="GET"}')).to.equal(1);
    expect(sample(t, 'rest_client_request_duration_seconds_count{host="10.0.0.1:6443",verb="GET"}')).to.equal(2);
    expect(sample(t, 'kube_ipvs_proxy_audit_read_duration_seconds_sum')).to.equal(2.5);
    expect(sample(t, 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds')).to.equal(1_700_000_000);
    expect(sample(t, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds')).to.equal(1_700_000_001.5); // the failed sync does not count
    expect(sample(t, 'kubeproxy_sync_proxy_rules_duration_seconds_count')).to.equal(2);
    expect(sample(t, 'kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="0.004"}')).to.equal(1);
    expect(sample(t, 'kubeproxy_sync_proxy_rules_duration_seconds_sum')).to.be.closeTo(0.503, 1e-9);
    expect(sample(t, 'kubeproxy_sync_full_proxy_rules_duration_seconds_sum')).to.equal(0.5);
    expect(sample(t, 'kubeproxy_sync_partial_proxy_rules_duration_seconds_sum')).to.equal(0.003);
    expect(sample(t, 'kubeproxy_sync_partial_proxy_rules_duration_seconds_count')).to.equal(1);
    expect(sample(t, 'kube_ipvs_proxy_sync_failures_total')).to.equal(1);
    expect(sample(t, 'kubeproxy_network_programming_duration_seconds_bucket{le="1"}')).to.equal(0);
    expect(sample(t, 'kubeproxy_network_programming_duration_seconds_bucket{le="2"}')).to.equal(1);
    expect(sample(t, 'kubeproxy_sync_proxy_rules_service_changes_total')).to.equal(5);
    expect(sample(t, 'kubeproxy_sync_proxy_rules_service_changes_pending')).to.equal(2);
    expect(sample(t, 'kubeproxy_sync_proxy_rules_endpoint_changes_total')).to.equal(7);
    expect(sample(t, 'kubeproxy_sync_proxy_rules_endpoint_changes_pending')).to.equal(1);
    expect(sample(t, 'kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy="external"}')).to.equal(3);
    expect(sample(t, 'kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy="internal"}')).to.equal(0);
    expect(sample(t, 'kubeproxy_proxy_healthz_total{code="200"}')).to.equal(2);
    expect(sample(t, 'kubeproxy_proxy_healthz_total{code="503"}')).to.equal(1);
    expect(sample(t, 'kubeproxy_proxy_livez_total{code="200"}')).to.equal(1);
    expect(sample(t, 'kube_ipvs_proxy_netlink_operations_total{kind="ipvs.newService",result="ok"}')).to.equal(3);
    expect(sample(t, 'kube_ipvs_proxy_netlink_operations_total{kind="ipvs.newService",result="EEXIST"}')).to.equal(1);
    expect(sample(t, 'kube_ipvs_proxy_drift_repaired_total{kind="real_server"}')).to.equal(2);
    expect(sample(t, 'kube_ipvs_proxy_objects_rejected_total{reason="bad_cluster_ip"}')).to.equal(1);
    expect(sample(t, 'kube_ipvs_proxy_virtual_servers')).to.equal(10);
    expect(sample(t, 'kube_ipvs_proxy_real_servers')).to.equal(25);
    expect(sample(t, 'kube_ipvs_proxy_addresses_bound')).to.equal(4);
    expect(sample(t, 'kube_ipvs_proxy_graceful_terminations')).to.equal(2);
    expect(sample(t, 'kube_ipvs_proxy_informer_restarts_total{resource="endpointslices"}')).to.equal(1);
  });

  it('keeps each instance separate (no global registry)', async () => {
    const a = createProxyMetrics();
    const b = createProxyMetrics();
    a.objectRejected('x');
    expect(sample(await a.exposition(), 'kube_ipvs_proxy_objects_rejected_total{reason="x"}')).to.equal(1);
    expect(sample(await b.exposition(), 'kube_ipvs_proxy_objects_rejected_total{reason="x"}')).to.equal(undefined);
  });

  it('adds process metrics when asked', async () => {
    const text = await createProxyMetrics({ processMetrics: true }).exposition();
    expect(text).to.match(/^process_cpu_seconds_total /m);
  });
});
