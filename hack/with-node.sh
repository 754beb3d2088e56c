#!/usr/bin/env bash
# Runs a command with a Node.js that the project supports (>= 22.19) first on PATH.
# Where the machine's own Node is older, a Node 24 LTS is taken from the npm registry (it ships
# as the package node-linux-<arch>) into .cache/node, once, and reused.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODE_PINNED_VERSION=${KIPVS_NODE_VERSION:-24.21.0}

node_is_supported() {
  command -v "$1" >/dev/null 2>&1 || return 1
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=19)?0:1)' 2>/dev/null
}

if ! node_is_supported node; then
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) echo "with-node: no Node >= 22.19 here and no registry build for $(uname -m); install Node 24 LTS" >&2; exit 1 ;;
  esac
  dir="$root/.cache/node"
  bin="$dir/node_modules/node-linux-$arch/bin"
  if ! node_is_supported "$bin/node"; then
    command -v npm >/dev/null || { echo "with-node: need npm to fetch Node $NODE_PINNED_VERSION" >&2; exit 1; }
    echo "with-node: machine Node is $(node --version 2>/dev/null || echo absent); installing Node $NODE_PINNED_VERSION from the npm registry into .cache/node" >&2
    mkdir -p "$dir"
    # a package.json of its own keeps this install out of the project's dependency tree
    [ -f "$dir/package.json" ] || echo '{"name":"kipvs-node-runtime","private":true}' > "$dir/package.json"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "node-linux-$arch@$NODE_PINNED_VERSION" >&2
  fi
  export PATH="$bin:$PATH"
fi
# our own Node's npm (when it is the pinned one) is the machine npm; that is fine: npm runs on any Node >= 20
export PATH="$root/node_modules/.bin:$PATH"
exec "$@"
