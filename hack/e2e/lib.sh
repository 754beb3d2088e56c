#!/usr/bin/env bash
# Shared settings and helpers of hack/e2e-kind.sh and hack/e2e-conformance.sh (sourced, not run).
# Every setting can be overridden from the environment.

# The Kubernetes version of the kind node image; e2e.test and ginkgo are taken at the same version.
# kindest/node:v1.36.1 is kind v0.32.0's default node image (kind's pkg/apis/config/defaults/image.go).
K8S_VERSION=${K8S_VERSION:-v1.36.1}
KIND_NODE_IMAGE=${KIND_NODE_IMAGE:-kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5}
KIND_CLUSTER_NAME=${KIND_CLUSTER_NAME:-kind}
KIPVS_IMAGE=${KIPVS_IMAGE:-kube-ipvs-proxy:dev}
# where logs, dumps and JUnit reports go (uploaded by CI)
ARTIFACTS=${ARTIFACTS:-$PWD/_artifacts}
# the modules the proxy needs in the host kernel: kind nodes are containers sharing it
KIPVS_HOST_MODULES=${KIPVS_HOST_MODULES:-"ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh nf_conntrack dummy"}

log() { printf '%s e2e: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "needs '$c' on PATH (docker, kind and kubectl: see docs/install.md)"
  done
}

# root on the host, directly or through passwordless sudo; fails (without prompting) otherwise
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

kctl() { kubectl --context "kind-$KIND_CLUSTER_NAME" "$@"; }

cluster_exists() { kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER_NAME"; }

kind_nodes() { kind get nodes --name "$KIND_CLUSTER_NAME"; }

# IPVS modules must be in the host kernel before the proxy starts: the proxy does not modprobe.
load_host_modules() {
  local m missing=()
  for m in $KIPVS_HOST_MODULES; do
    as_root modprobe "$m" 2>/dev/null || missing+=("$m")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "could not modprobe ${missing[*]} (not root and no passwordless sudo, or not in this kernel);" \
      "continuing in case they are built in or already loaded"
  fi
}

# The IPVS table of a kind node, as `ipvsadm -Ln` sees it when the host has ipvsadm and root;
# otherwise the kernel's own /proc/net/ip_vs read inside the node (addresses in hex).
node_ipvs_table() {
  local node=$1 pid
  if command -v ipvsadm >/dev/null 2>&1 && command -v nsenter >/dev/null 2>&1 && as_root true 2>/dev/null; then
    pid=$(docker inspect -f '{{.State.Pid}}' "$node")
    as_root nsenter -t "$pid" -n ipvsadm -Ln
  else
    docker exec "$node" cat /proc/net/ip_vs
  fi
}

# One regular expression out of a list file (hack/e2e/focus.txt, skip.txt): comment and blank lines
# dropped, each line's " # reason" cut off, the rest OR-ed.
regex_of() {
  sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' -e 's/ # .*$//' "$1" | paste -sd'|' -
}

# 10.96.0.1 -> 0A600001, the form /proc/net/ip_vs prints
hex_ip() { local a b c d; IFS=. read -r a b c d <<<"$1"; printf '%02X%02X%02X%02X' "$a" "$b" "$c" "$d"; }

# vs_has_rs PROTO VIP VPORT RIP RPORT < table: whether the IPVS table (the output of `ipvsadm -Ln`
# or the text of /proc/net/ip_vs) has virtual server PROTO VIP:VPORT with real server RIP:RPORT
vs_has_rs() {
  awk -v proto="$1" \
    -v vs1="$2:$3" -v vs2="$(hex_ip "$2"):$(printf '%04X' "$3")" \
    -v rs1="$4:$5" -v rs2="$(hex_ip "$4"):$(printf '%04X' "$5")" '
    $1 == "TCP" || $1 == "UDP" || $1 == "SCTP" || $1 == "FWM" { in_vs = ($1 == proto && ($2 == vs1 || $2 == vs2)); next }
    in_vs && $1 == "->" && ($2 == rs1 || $2 == rs2) { found = 1 }
    END { exit found ? 0 : 1 }'
}

# Logs and state for a post-mortem, into $ARTIFACTS; never fails.
collect_artifacts() {
  local dir=$ARTIFACTS node
  mkdir -p "$dir/nodes" || return 0
  log "collecting logs into $dir"
  {
    kctl get nodes -o wide
    kctl get pods -A -o wide
    kctl get svc,endpointslices -A -o wide
  } > "$dir/cluster-state.txt" 2>&1 || true
  kctl get events -A --sort-by=.lastTimestamp > "$dir/events.txt" 2>&1 || true
  kctl -n kube-system describe ds/kube-ipvs-proxy > "$dir/kube-ipvs-proxy-ds.txt" 2>&1 || true
  kctl -n kube-system logs -l k8s-app=kube-ipvs-proxy --all-containers --prefix --tail=-1 \
    > "$dir/kube-ipvs-proxy.log" 2>&1 || true
  kctl -n kube-system logs -l k8s-app=kube-ipvs-proxy --all-containers --prefix --previous --tail=-1 \
    > "$dir/kube-ipvs-proxy.previous.log" 2>&1 || true
  for node in $(kind_nodes 2>/dev/null); do
    {
      echo "## IPVS"; node_ipvs_table "$node"
      echo "## ip addr show kube-ipvs0"; docker exec "$node" ip addr show kube-ipvs0
      echo "## net.ipv4.vs"; docker exec "$node" sh -c 'grep -H . /proc/sys/net/ipv4/vs/* 2>/dev/null'
      echo "## nft list ruleset"; docker exec "$node" nft list ruleset
      echo "## iptables-save"; docker exec "$node" iptables-save
    } > "$dir/nodes/$node.txt" 2>&1 || true
  done
  kind export logs --name "$KIND_CLUSTER_NAME" "$dir/kind-logs" >/dev/null 2>&1 || true
}

# On exit: collect artifacts, delete the cluster if this script created it (created=1) unless
# KIPVS_E2E_KEEP=1, and say PASS or FAIL with where to look ($1).
created=0
trap_exit_report() {
  local where=$1
  # shellcheck disable=SC2317  # called through the EXIT trap
  on_exit() {
    local rc=$?
    collect_artifacts
    if [ "$created" = 1 ] && [ "$KIPVS_E2E_KEEP" != 1 ]; then
      kind delete cluster --name "$KIND_CLUSTER_NAME" >/dev/null 2>&1 || true
    fi
    if [ "$rc" = 0 ]; then log "PASS"; else log "FAIL (exit $rc); $where in $ARTIFACTS"; fi
    exit "$rc"
  }
  trap on_exit EXIT
}
