#!/usr/bin/env bash
# Builds a busybox image from the host's busybox-static binary, since no registry can be
# reached from the project's machines (shared/design/TEST-ENVIRONMENT.md, "Docker Engine").
# Usage: scripts/make-busybox-image.sh [tag]   (default busybox:local; needs a running dockerd)
set -euo pipefail

tag=${1:-busybox:local}
busybox=/bin/busybox

if [ ! -x "$busybox" ]; then
  echo "make-busybox-image: $busybox is missing; install it with: apt-get install -y busybox-static" >&2
  exit 1
fi
# Debian's dynamically linked `busybox` package also installs /bin/busybox, but it would not
# run in an image that has no libc.
if ldd "$busybox" >/dev/null 2>&1; then
  echo "make-busybox-image: $busybox is not statically linked; install busybox-static" >&2
  exit 1
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs/bin"
cp "$busybox" "$rootfs/bin/"
for c in sh echo sleep cat ls httpd wget ps kill; do ln -sf busybox "$rootfs/bin/$c"; done
tar -C "$rootfs" -c . | docker import - "$tag" >/dev/null
echo "$tag"
