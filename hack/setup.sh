#!/usr/bin/env bash
# Makes a fresh machine ready to build, test and run the demo; quick and silent when it already is.
#  - system tools the tests use as witnesses or the harness needs (Debian/Ubuntu packages)
#  - a Node >= 22.19 (hack/with-node.sh brings Node 24 from the npm registry where needed)
#  - the npm dependencies (npm ci) and the compiled project (tsc)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# command -> Debian package that provides it
declare -A pkg_of=(
  [ipvsadm]=ipvsadm [ip]=iproute2 [modprobe]=kmod [patchelf]=patchelf [curl]=curl
  [unshare]=util-linux [timeout]=coreutils [shellcheck]=shellcheck [nft]=nftables [bc]=bc
  [protoc]=protobuf-compiler
)
missing=()
for c in "${!pkg_of[@]}"; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "$c" >/dev/null 2>&1 || missing+=("${pkg_of[$c]}")
done
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || [ ! -f /etc/debian_version ] || \
  grep -qi ubuntu /etc/os-release 2>/dev/null || missing+=(debian-archive-keyring)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "setup: missing ${missing[*]} and no apt-get here; install them by hand" >&2; exit 1
  fi
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo -n"
  echo "setup: installing ${missing[*]}" >&2
  $sudo_ apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# npm dependencies: install when missing or older than the lock file
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  bash hack/with-node.sh npm ci --no-audit --no-fund --loglevel=error >&2
fi
bash hack/with-node.sh tsc -p tsconfig.json
chmod +x dist/src/cli/main.js
# the command as it ships: one bundled file (hack/bundle.ts)
bash hack/with-node.sh node dist/hack/bundle.js
bash hack/link-bin.sh
