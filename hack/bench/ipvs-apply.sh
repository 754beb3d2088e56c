#!/usr/bin/env bash
# Benchmark our IPVS client against `ipvsadm -R` in one real IPVS kernel (UML or native).
#   hack/bench/ipvs-apply.sh [NxM] [runs]     e.g. hack/bench/ipvs-apply.sh 10000x5 3 (default 2000x5 3)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
bash hack/with-node.sh tsc -p tsconfig.json
exec bash hack/kernel-run.sh -- bash hack/with-node.sh node dist/hack/bench/ipvs-apply.js "$@"
