#!/usr/bin/env bash
# Upstream Kubernetes e2e specs for Services against kube-ipvs-proxy on kind (the CI `conformance` job).
#   - brings up the cluster with hack/e2e-kind.sh (KIPVS_E2E_SMOKE=0) unless it already exists
#   - takes e2e.test and ginkgo of $K8S_VERSION, the node image's version (dl.k8s.io test tarball),
#     cached under .cache/e2e/$K8S_VERSION; E2E_TEST and GINKGO override them
#   - runs the specs of hack/e2e/focus.txt minus those of hack/e2e/skip.txt (each skip has its reason)
#     in parallel, writing JUnit XML into $ARTIFACTS
# Logs go to $ARTIFACTS on exit; the cluster is deleted if this run created it, unless KIPVS_E2E_KEEP=1.
# Settings: hack/e2e/lib.sh, plus KIPVS_E2E_NODES (ginkgo processes, default 8: a 4-vCPU runner
# starves at upstream's usual 25), KIPVS_E2E_GINKGO_TIMEOUT (default 75m, below the CI job's limit so
# that ginkgo still writes its report), KIPVS_E2E_FLAKE_ATTEMPTS (default 1: a flake is a failure).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=hack/e2e/lib.sh
. hack/e2e/lib.sh

KIPVS_E2E_KEEP=${KIPVS_E2E_KEEP:-0}
NODES=${KIPVS_E2E_NODES:-8}
GINKGO_TIMEOUT=${KIPVS_E2E_GINKGO_TIMEOUT:-75m}
FLAKE_ATTEMPTS=${KIPVS_E2E_FLAKE_ATTEMPTS:-1}

need docker kind kubectl curl tar
mkdir -p "$ARTIFACTS"

FOCUS=$(regex_of hack/e2e/focus.txt)
SKIP=$(regex_of hack/e2e/skip.txt)
[ -n "$FOCUS" ] || die "hack/e2e/focus.txt selects nothing"

# --- test binaries of the cluster's version ----------------------------------------------------
bin_dir=${KIPVS_E2E_BIN_DIR:-$root/.cache/e2e/$K8S_VERSION}
E2E_TEST=${E2E_TEST:-$bin_dir/e2e.test}
GINKGO=${GINKGO:-$bin_dir/ginkgo}
if [ ! -x "$E2E_TEST" ] || [ ! -x "$GINKGO" ]; then
  mkdir -p "$bin_dir"
  log "fetching e2e.test and ginkgo $K8S_VERSION"
  curl -fsSL --retry 3 "https://dl.k8s.io/$K8S_VERSION/kubernetes-test-linux-amd64.tar.gz" \
    | tar -xz -C "$bin_dir" --strip-components=3 kubernetes/test/bin/e2e.test kubernetes/test/bin/ginkgo
fi

# --- cluster -----------------------------------------------------------------------------------
trap_exit_report 'JUnit and logs'
if ! cluster_exists; then
  created=1
  KIPVS_E2E_KEEP=1 KIPVS_E2E_SMOKE=0 bash hack/e2e-kind.sh
fi
kind get kubeconfig --name "$KIND_CLUSTER_NAME" > "$ARTIFACTS/kubeconfig"
kctl -n kube-system rollout status ds/kube-ipvs-proxy --timeout=180s
kctl -n kube-system wait --for=condition=ready pod -l k8s-app=kube-dns --timeout=180s

# --- specs -------------------------------------------------------------------------------------
log "focus: $FOCUS"
log "skip:  $SKIP"
export KUBERNETES_CONFORMANCE_TEST=y
# kind's own e2e settings (kind hack/ci/e2e-k8s.sh): provider skeleton, the two schedulable workers
"$GINKGO" --nodes="$NODES" --timeout="$GINKGO_TIMEOUT" --flake-attempts="$FLAKE_ATTEMPTS" \
  --focus="$FOCUS" --skip="$SKIP" \
  "$E2E_TEST" -- \
  --kubeconfig="$ARTIFACTS/kubeconfig" \
  --provider=skeleton --num-nodes=2 \
  --report-dir="$ARTIFACTS" \
  --dump-logs-on-failure=false --disable-log-dump=true
