#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow linter) from its Go module, for
# machines that cannot download its release binaries, the way
# scripts/build-pulumi-cli.sh builds the Pulumi CLI. actionlint's go.mod has no
# replace directives, so a plain `go install module@version` works. The binary
# is cached by version outside the repo:
#   ${XPLANE_CACHE:-$HOME/.cache/xplane}/actionlint/<version>/bin/actionlint
# Progress goes to stderr; the binary's path is the last line on stdout.
# With internet access, actionlint's release binaries or its Docker image are
# simpler ways to get it.
set -euo pipefail

version=${1:-${ACTIONLINT_VERSION:-v1.7.12}}
case $version in v*) ;; *) version=v$version ;; esac
cache=${XPLANE_CACHE:-$HOME/.cache/xplane}/actionlint/$version
bin=$cache/bin/actionlint

log() { echo "build-actionlint: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -x "$bin" ]; then
  log "using cached $bin"
  echo "$bin"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "Go is required (apt-get install golang-go, or a Go toolchain >= the one actionlint asks for)"

# Never let the go command try to fetch another toolchain: say so instead.
export GOTOOLCHAIN=local
mkdir -p "$cache/bin"
log "building github.com/rhysd/actionlint/cmd/actionlint@$version with $(go version | cut -d' ' -f3)"
GOBIN="$cache/bin.tmp.$$" go install -trimpath \
  -ldflags "-s -w -X github.com/rhysd/actionlint.version=$version" \
  "github.com/rhysd/actionlint/cmd/actionlint@$version" >&2 \
  || { rm -rf "$cache/bin.tmp.$$"; die "go install github.com/rhysd/actionlint/cmd/actionlint@$version failed (see above); try another release: $0 vX.Y.Z"; }
"$cache/bin.tmp.$$/actionlint" -version >&2 || { rm -rf "$cache/bin.tmp.$$"; die "the built binary does not run"; }
mv "$cache/bin.tmp.$$/actionlint" "$bin"
rm -rf "$cache/bin.tmp.$$"
log "built $bin"
echo "$bin"
