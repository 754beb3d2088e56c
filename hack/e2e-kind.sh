#!/usr/bin/env bash
# End-to-end check on a kind cluster with no kube-proxy, on any machine with Docker, kind and kubectl
# (the CI `e2e` job runs exactly this):
#   1. load the IPVS modules in the host kernel (kind nodes share it; the proxy never modprobes)
#   2. create the cluster from hack/deploy/kind/cluster.yaml (kubeProxyMode: none, 1+2 nodes)
#   3. docker build the image, kind load it, apply hack/deploy, wait for the DaemonSet rollout
#   4. wait for CoreDNS ready: it reaches the API server through the `kubernetes` ClusterIP, so this
#      proves that ClusterIP works through us
#   5. the seed: nginx deployment `demo` exposed on port 80; curl from a curlimages/curl pod to the pod
#      IP, to the ClusterIP and to the Service's DNS name expecting "Welcome to nginx!"; then on every
#      node the IPVS table (host ipvsadm -Ln through nsenter, else /proc/net/ip_vs) must map
#      ClusterIP:80 -> podIP:80
# Logs and state go to $ARTIFACTS on exit, pass or fail. The cluster is deleted on exit if this run
# created it, unless KIPVS_E2E_KEEP=1. KIPVS_E2E_SMOKE=0 stops after step 4 (used by
# hack/e2e-conformance.sh). An existing cluster of the same name is reused (image reloaded).
# Settings: hack/e2e/lib.sh (KIND_CLUSTER_NAME, KIND_NODE_IMAGE, KIPVS_IMAGE, ARTIFACTS, ...).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=hack/e2e/lib.sh
. hack/e2e/lib.sh

KIPVS_E2E_KEEP=${KIPVS_E2E_KEEP:-0}
KIPVS_E2E_SMOKE=${KIPVS_E2E_SMOKE:-1}
WAIT=${KIPVS_E2E_TIMEOUT:-180s}

need docker kind kubectl
mkdir -p "$ARTIFACTS"
trap_exit_report 'logs and dumps'

# --- 1-2: kernel modules and cluster -------------------------------------------------------------
load_host_modules
reused=0
if cluster_exists; then
  log "reusing the existing kind cluster '$KIND_CLUSTER_NAME'"
  reused=1
else
  log "creating kind cluster '$KIND_CLUSTER_NAME' ($KIND_NODE_IMAGE, no kube-proxy)"
  created=1
  kind create cluster --name "$KIND_CLUSTER_NAME" --image "$KIND_NODE_IMAGE" \
    --config hack/deploy/kind/cluster.yaml --wait 1m --retain
fi
kind get kubeconfig --name "$KIND_CLUSTER_NAME" > "$ARTIFACTS/kubeconfig"

# --- 3: image and DaemonSet ----------------------------------------------------------------------
log "building $KIPVS_IMAGE"
docker build -t "$KIPVS_IMAGE" .
kind load docker-image "$KIPVS_IMAGE" --name "$KIND_CLUSTER_NAME"

# the manifests name the API server of a cluster called "kind" and the image kube-ipvs-proxy:dev
log "applying hack/deploy"
kubectl kustomize hack/deploy \
  | sed -e "s|value: kind-control-plane\$|value: ${KIND_CLUSTER_NAME}-control-plane|" \
        -e "s|image: kube-ipvs-proxy:dev\$|image: ${KIPVS_IMAGE}|" \
  | kctl apply -f -
if [ "$reused" = 1 ]; then
  # same spec, possibly a new image under the same tag: restart so the pods run it
  kctl -n kube-system rollout restart ds/kube-ipvs-proxy
fi
kctl -n kube-system rollout status ds/kube-ipvs-proxy --timeout="$WAIT"

# --- 4: CoreDNS talks to the API server through the `kubernetes` ClusterIP -------------------------
log "waiting for CoreDNS ready (needs the kubernetes ClusterIP, served by us)"
kctl -n kube-system wait --for=condition=ready pod -l k8s-app=kube-dns --timeout="$WAIT"
kctl get nodes -o wide

if [ "$KIPVS_E2E_SMOKE" != 1 ]; then
  log "cluster ready (KIPVS_E2E_SMOKE=$KIPVS_E2E_SMOKE: smoke test skipped)"
  exit 0
fi

# --- 5: the seed ---------------------------------------------------------------------------------
kctl delete deployment demo --ignore-not-found
kctl delete service demo --ignore-not-found
kctl delete pod curl --ignore-not-found --wait=true
kctl create deployment demo --image=nginx
kctl expose deployment demo --port=80
kctl run curl --image=curlimages/curl --restart=Never --command -- sleep 3600
kctl rollout status deployment/demo --timeout="$WAIT"
kctl wait --for=condition=ready pod/curl --timeout="$WAIT"

pod_ip=$(kctl get pods -l app=demo -o jsonpath='{.items[0].status.podIP}')
cluster_ip=$(kctl get service demo -o jsonpath='{.spec.clusterIP}')
if [ -z "$pod_ip" ] || [ -z "$cluster_ip" ]; then
  die "no pod IP ('$pod_ip') or ClusterIP ('$cluster_ip') for demo"
fi
log "demo: pod $pod_ip, ClusterIP $cluster_ip"

# the endpoint must be published before any proxy can route to it
for _ in $(seq 60); do
  eps=$(kctl get endpointslices -l kubernetes.io/service-name=demo \
    -o jsonpath='{.items[*].endpoints[?(@.conditions.ready==true)].addresses[*]}')
  case " $eps " in *" $pod_ip "*) break ;; esac
  sleep 2
done
case " $eps " in *" $pod_ip "*) ;; *) die "EndpointSlice of demo never listed $pod_ip as ready (got '$eps')" ;; esac

# curl from the curl pod until nginx's page comes back (the proxy may need a sync to catch up)
curl_expect_nginx() {
  local what=$1 url=$2 out=""
  for _ in $(seq 30); do
    out=$(kctl exec curl -- curl -sS --max-time 5 "$url" 2>&1) || true
    if grep -q "Welcome to nginx!" <<<"$out"; then
      log "ok: $what ($url) answers \"Welcome to nginx!\""
      return 0
    fi
    sleep 2
  done
  log "last answer from $url: $out"
  die "$what ($url) never answered \"Welcome to nginx!\""
}
curl_expect_nginx "pod IP, no proxy involved" "http://$pod_ip/"
curl_expect_nginx "ClusterIP" "http://$cluster_ip/"
curl_expect_nginx "Service DNS name (cluster DNS is itself a ClusterIP)" "http://demo.default.svc.cluster.local/"

# every node's IPVS table: virtual server ClusterIP:80 with real server podIP:80
mkdir -p "$ARTIFACTS/nodes"
for node in $(kind_nodes); do
  table=""
  for _ in $(seq 15); do
    table=$(node_ipvs_table "$node" 2>&1) || true
    vs_has_rs TCP "$cluster_ip" 80 "$pod_ip" 80 <<<"$table" && break
    sleep 2
  done
  printf '%s\n' "$table" > "$ARTIFACTS/nodes/$node.ipvs-smoke.txt"
  vs_has_rs TCP "$cluster_ip" 80 "$pod_ip" 80 <<<"$table" \
    || { printf '%s\n' "$table" >&2; die "node $node: no IPVS virtual server $cluster_ip:80 -> $pod_ip:80"; }
  log "ok: node $node: IPVS $cluster_ip:80 -> $pod_ip:80"
done
log "IPVS table of $(kind_nodes | head -n1):"
node_ipvs_table "$(kind_nodes | head -n1)"
