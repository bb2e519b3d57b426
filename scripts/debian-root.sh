#!/usr/bin/env bash
# Makes a minimal Debian root filesystem for the node-boot test: what a cloud
# image of that release boots with (systemd, cloud-init, Debian's own Node.js,
# curl, ip, nft), built from Debian's packages by mmdebstrap, as a tarball.
# Cached by release and package list outside the checkout:
#   ${XPLANE_CACHE:-$HOME/.cache/xplane}/debian-root/<release>-<hash>.tar
# Usage: scripts/debian-root.sh [release]   (default bookworm)
# Progress goes to stderr; the tarball's path is the last line on stdout.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

release=${1:-bookworm}
packages=systemd,systemd-sysv,dbus,cloud-init,nodejs,curl,ca-certificates,iproute2,nftables,procps
log() { echo "debian-root: $*" >&2; }

# The Debian archive this machine's apt uses (deb822 sources first, then
# sources.list), so the root comes from the same mirror as the host's packages;
# XPLANE_DEBIAN_MIRROR overrides it.
host_mirror() {
  local file
  for file in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    [ -f "$file" ] || continue
    awk '(/^URIs:/ || $1 == "deb") && $2 !~ /security/ { print $2; exit }' "$file"
  done
}
mirror=${XPLANE_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(host_mirror)
  mirror=${mirror%%$'\n'*}
fi
if [ -z "$mirror" ]; then
  log "found no Debian archive in /etc/apt/sources.list(.d): set XPLANE_DEBIAN_MIRROR to one"
  exit 1
fi

hash=$(printf '%s %s' "$release" "$packages" | sha256sum | cut -c1-12)
cache=${XPLANE_CACHE:-$HOME/.cache/xplane}/debian-root
tarball=$cache/$release-$hash.tar
if [ -f "$tarball" ] && [ -s "$tarball" ]; then
  log "using cached $tarball"
  echo "$tarball"
  exit 0
fi

if ! command -v mmdebstrap >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { log "mmdebstrap is missing (apt-get install mmdebstrap)"; exit 1; }
  log "apt-get install mmdebstrap"
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends mmdebstrap >&2
fi

mkdir -p "$cache"
started=$(date +%s)
log "building a $release root with $packages (a few hundred MB from $mirror)"
# minbase plus the listed packages; the tarball is written under a temporary name first,
# so an interrupted build never leaves a half tarball that looks cached.
# --format: the temporary name would make mmdebstrap guess a directory.
mmdebstrap --variant=minbase --format=tar --include="$packages" "$release" "$tarball.partial" "$mirror" >&2
mv "$tarball.partial" "$tarball"
log "built $tarball in $(( $(date +%s) - started )) s"
echo "$tarball"
