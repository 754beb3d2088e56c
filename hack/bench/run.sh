#!/usr/bin/env bash
# The whole-proxy benchmark (hack/bench/proxy.ts) in one real IPVS kernel (UML or native).
#   hack/bench/run.sh [NxM] [runs]     e.g. npm run bench -- 10000x5   (default 2000x5, 5 runs)
# Exits 1 when a bar is missed; the table and the JSON line are printed either way.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
bash hack/setup.sh
exec bash hack/kernel-run.sh -- bash hack/with-node.sh node dist/hack/bench/proxy.js "$@"
