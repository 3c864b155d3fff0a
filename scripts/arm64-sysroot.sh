#!/bin/sh
# Builds a minimal arm64 sysroot (glibc, libgcc, libstdc++) from Debian's packages, so that
# dist/bagtower-linux-arm64 runs here under qemu-user emulation:
#   qemu-aarch64-static -L .cache/arm64-sysroot dist/bagtower-linux-arm64 collect
# Needs root (dpkg --add-architecture, apt-get update). Usage: sh scripts/arm64-sysroot.sh [DIR]
set -eu
dir=${1:-"$(cd "$(dirname "$0")/.." && pwd)/.cache/arm64-sysroot"}
if [ -e "$dir/lib/ld-linux-aarch64.so.1" ]; then exit 0; fi
dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64; apt-get update -qq; }
debs=$(mktemp -d)
trap 'rm -rf "$debs"' EXIT
(cd "$debs" && apt-get download -qq libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64)
mkdir -p "$dir"
for f in "$debs"/*.deb; do dpkg -x "$f" "$dir"; done
echo "arm64 sysroot in $dir" >&2
