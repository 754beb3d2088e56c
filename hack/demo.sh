#!/usr/bin/env bash
# `npm run demo`: the seed's example on an embedded node (see hack/demo/demo.ts). Sets the machine up
# first (hack/setup.sh), then runs the demo inside a real IPVS kernel (hack/kernel-run.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash hack/setup.sh
exec bash hack/kernel-run.sh -- bash hack/with-node.sh node dist/hack/demo/demo.js
