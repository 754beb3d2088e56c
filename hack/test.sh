#!/usr/bin/env bash
# The whole test suite: unit tests on the host, then kernel tests inside a real IPVS kernel
# (hack/kernel-run.sh). Ends with one line "N passed, M failed".
# KIPVS_SKIP_KERNEL_TESTS=1 skips the kernel tests, and says so; nothing else skips them.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
bash hack/setup.sh || { echo "test: setup failed"; echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp -d "${TMPDIR:-/tmp}/kipvs-test.XXXXXX")
trap 'rm -rf "$results"' EXIT
chmod 755 "$results"
status=0

echo "== unit tests"
KIPVS_TEST_SUMMARY="$results/unit.json" bash hack/with-node.sh mocha --config .mocharc.unit.json "$@" || status=1

if [ "${KIPVS_SKIP_KERNEL_TESTS:-}" = 1 ]; then
  echo "== kernel tests SKIPPED (KIPVS_SKIP_KERNEL_TESTS=1): nothing about IPVS, links or packets was checked"
else
  echo "== kernel tests"
  KIPVS_TEST_SUMMARY="$results/kernel.json" bash hack/kernel-run.sh -- \
    bash hack/with-node.sh mocha --config .mocharc.kernel.json "$@" || status=1
  [ -s "$results/kernel.json" ] || { echo "test: the kernel tests did not report (see above)"; echo '{"passed":0,"failed":1}' > "$results/kernel.json"; status=1; }
fi

bash hack/with-node.sh node -e '
  const fs = require("node:fs"); let p = 0, f = 0, s = 0;
  for (const n of ["unit", "kernel"]) {
    const file = process.argv[1] + "/" + n + ".json";
    if (!fs.existsSync(file)) continue;
    const r = JSON.parse(fs.readFileSync(file, "utf8")); p += r.passed; f += r.failed; s += r.pending;
  }
  console.log(s ? `${p} passed, ${f} failed, ${s} skipped` : `${p} passed, ${f} failed`);
  process.exit(f > 0 ? 1 : 0);
' "$results" || status=1
exit $status
