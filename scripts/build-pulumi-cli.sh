#!/usr/bin/env bash
# Builds the Pulumi CLI from Go modules, for machines that cannot download
# Pulumi's release binaries. `go install …/pkg/v3/cmd/pulumi@v` fails because
# pkg/v3's go.mod has replace directives, so this builds from a small wrapper
# module that requires pkg/v3 and sdk/v3 at the same release and copies pkg's
# non-local replace lines. The binary is cached by version outside the repo:
#   ${XPLANE_CACHE:-$HOME/.cache/xplane}/pulumi/<version>/bin/pulumi
# (the bin/ layout is what the Automation API's PulumiCommand.get({root}) expects).
# Progress goes to stderr; the binary's path is the last line on stdout.
# A cold build downloads ~1 GiB of modules and takes a while on 2 cores; run
# it under `nice -n 19` on a shared machine.
# The default version is one whose modules the Go module proxy reachable here
# serves in full (e.g. v3.260.0's pkg/v3 zip is refused with 403).
# With internet access, the `pulumi` npm package or Pulumi's installer are
# simpler ways to get a CLI.
set -euo pipefail

version=${1:-${PULUMI_VERSION:-v3.259.0}}
case $version in v*) ;; *) version=v$version ;; esac
cache=${XPLANE_CACHE:-$HOME/.cache/xplane}/pulumi/$version
bin=$cache/bin/pulumi

log() { echo "build-pulumi-cli: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -x "$bin" ]; then
  log "using cached $bin"
  echo "$bin"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "Go is required (apt-get install golang-go, or a Go toolchain >= the one pkg/v3 asks for)"

# Never let the go command try to fetch another toolchain: say so instead.
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
log "building pulumi $version in $work with $(go version | cut -d' ' -f3) (a cold build takes a while)"
go mod init xplane.local/pulumi-cli >/dev/null 2>&1 || die "go mod init failed in $work"

# download MODULE@VERSION: fetch it into the module cache; print its go.mod
# path. Refusals (403 "not available", missing checksums) end the script with
# the go command's own message.
download() {
  local out rc=0 err gomod
  out=$(go mod download -json "$1" 2>&1) || rc=$?
  err=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p')
  if [ "$rc" -ne 0 ] || [ -n "$err" ]; then
    log "cannot download $1:"
    printf '%b\n' "${err:-$out}" | sed 's/^/    /' >&2
    die "the module proxy refused $1; try another release: $0 vX.Y.Z (or PULUMI_VERSION=vX.Y.Z)"
  fi
  gomod=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
  [ -f "$gomod" ] || die "go mod download $1 gave no go.mod (output: $out)"
  printf '%s\n' "$gomod"
}

log "downloading github.com/pulumi/pulumi/pkg/v3@$version and sdk/v3@$version"
pkgmod=$(download "github.com/pulumi/pulumi/pkg/v3@$version")
download "github.com/pulumi/pulumi/sdk/v3@$version" >/dev/null

# The go directive of pkg/v3 must not be newer than the local toolchain.
need=$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$pkgmod" | head -n1)
have=$(go env GOVERSION | sed 's/^go//')
if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]; then
  die "pulumi $version needs Go >= $need, this machine has Go $have"
fi

# Copy the replace directives that do not point at local paths.
awk '
  /^replace[[:space:]]*\($/ { inblock=1; next }
  inblock && /^\)/ { inblock=0; next }
  inblock { print; next }
  /^replace[[:space:]]/ { sub(/^replace[[:space:]]+/, ""); print }
' "$pkgmod" | { grep -Ev '=>[[:space:]]*\.{1,2}/|=>[[:space:]]*/' || true; } | while read -r line; do
  [ -n "$line" ] && echo "replace $line" >> go.mod
done
log "replace directives copied: $(grep -c '^replace ' go.mod || true)"

log "resolving modules (go get)"
go get "github.com/pulumi/pulumi/pkg/v3@$version" "github.com/pulumi/pulumi/sdk/v3@$version" >&2 \
  || die "go get of pulumi pkg/v3 and sdk/v3 $version failed (see above)"
go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$version" >&2 \
  || die "go get of github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$version failed (see above)"
# go get may move sdk/v3 if pkg's dependencies ask for a newer one.
got=$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)
[ "$got" = "$version" ] || log "warning: sdk/v3 resolved to $got, not $version"

log "compiling github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
mkdir -p "$cache/bin"
go build -o "$bin.tmp.$$" -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  || { rm -f "$bin.tmp.$$"; die "go build failed (see above)"; }
"$bin.tmp.$$" version >&2 || { rm -f "$bin.tmp.$$"; die "the built binary does not run"; }
mv "$bin.tmp.$$" "$bin"
log "built $bin"
echo "$bin"
