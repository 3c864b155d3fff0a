#!/bin/sh
# bagtower installer. POSIX sh.
#   sh install.sh --from-source     build with this checkout's Bun and install to ~/.bagtower/bin
# Downloading release binaries, saving a config, the first push and the crontab entry come with
# the push and cron commands; until then this script installs from a source checkout only.
set -eu

say() { printf 'bagtower install: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

home=${BAGTOWER_HOME:-"$HOME/.bagtower"}
from_source=0
for arg in "$@"; do
  case "$arg" in
    --from-source) from_source=1 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) die "unknown option $arg (see --help)" ;;
  esac
done

# The platform: 64-bit Linux only. Bun has no 32-bit runtime, so 32-bit ARM cannot be supported.
[ "$(uname -s)" = Linux ] || die "bagtower runs on Linux only (this is $(uname -s))."
case "$(uname -m)" in
  x86_64|amd64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  armv6l|armv7l|armv8l|arm*) die "32-bit ARM is not supported: Bun has no 32-bit runtime. Install a 64-bit OS (Raspberry Pi OS 64-bit on a Pi 3 or newer)." ;;
  *) die "unsupported CPU $(uname -m): a 64-bit x86-64 or arm64 Linux is required." ;;
esac
libc=""
if ls /lib/ld-musl-* >/dev/null 2>&1; then libc="-musl"; fi
target="linux-$arch$libc"

[ "$from_source" = 1 ] || die "only --from-source is available in this version: run it from a bagtower checkout."
src=$(cd "$(dirname "$0")" && pwd)
[ -f "$src/scripts/build.ts" ] || die "--from-source must run from a bagtower checkout (no scripts/build.ts in $src)."
bun="$src/node_modules/.bin/bun"
[ -x "$bun" ] || die "no Bun in $src/node_modules: run 'npm ci' in the checkout first."
say "building $target"
"$bun" "$src/scripts/build.ts" "$target"

umask 077
mkdir -p "$home/bin"
chmod 700 "$home"
tmp="$home/bin/.bagtower.$$"
cp "$src/dist/bagtower-$target" "$tmp"
chmod 755 "$tmp"
mv -f "$tmp" "$home/bin/bagtower"
say "installed $home/bin/bagtower ($("$home/bin/bagtower" --version))"
