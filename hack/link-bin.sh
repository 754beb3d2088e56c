#!/usr/bin/env bash
# After `npm ci`: link the project's own bin into node_modules/.bin, so
# `node_modules/.bin/kube-ipvs-proxy` works from a checkout (npm links only dependencies' bins).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$root/node_modules/.bin"
ln -sfn ../../dist/kube-ipvs-proxy.mjs "$root/node_modules/.bin/kube-ipvs-proxy"
