#!/usr/bin/env bash
# Prepares a GitHub ubuntu runner (or any Ubuntu/Debian host with sudo) for hack/e2e-kind.sh and
# hack/e2e-conformance.sh: forwarding and inotify limits for a 3-node kind cluster, the IPVS modules
# in the host kernel (kind nodes share it), ipvsadm for reading node tables, and pinned kind and
# kubectl ($KIND_VERSION, $K8S_VERSION) in /usr/local/bin. Changes the host: meant for CI runners.
set -euo pipefail
KIND_VERSION=${KIND_VERSION:?set KIND_VERSION, e.g. v0.32.0}
K8S_VERSION=${K8S_VERSION:?set K8S_VERSION, e.g. v1.36.1}

sudo sysctl -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
sudo sysctl -w fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512
sudo apt-get update -qq
sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ipvsadm
sudo modprobe -a ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh nf_conntrack dummy
echo "kernel $(uname -r)"; lsmod | grep -E '^(ip_vs|nf_conntrack|dummy)'

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
curl -fsSL --retry 3 -o "$bin/kind" "https://kind.sigs.k8s.io/dl/${KIND_VERSION}/kind-linux-amd64"
curl -fsSL --retry 3 -o "$bin/kubectl" "https://dl.k8s.io/${K8S_VERSION}/bin/linux/amd64/kubectl"
echo "$(curl -fsSL --retry 3 "https://dl.k8s.io/${K8S_VERSION}/bin/linux/amd64/kubectl.sha256")  $bin/kubectl" | sha256sum --check
sudo install -m 0755 "$bin/kind" "$bin/kubectl" /usr/local/bin/
kind version
kubectl version --client
