#!/bin/sh
# bagtower installer. POSIX sh.
#
#   curl -fsSL "$BAGTOWER_DOWNLOAD_URL/install.sh" | sh -s -- --server URL --api-key KEY --device-id ID
#   sh install.sh --help
#
# Everything happens inside functions and the last line calls main (as rustup's installer does):
# `curl | sh` runs what it has read so far, so a download cut short only defines functions, or
# ends inside the last line's `{ … }` and fails to parse, and runs nothing.

set -eu

DEFAULT_DOWNLOAD_URL="https://github.com/bagtower/bagtower/releases/latest/download"
# A receiver that hands this script out (bagtower serve: GET /install.sh) sets its own address
# here, and the read token its downloads need when the request for the script carried one.
DEFAULT_SERVER=""
DEFAULT_DOWNLOAD_TOKEN=""

usage() {
  cat <<USAGE
bagtower installer: installs the agent in ~/.bagtower, saves its configuration, pushes once and
adds one line to your crontab. No root needed. Re-run it to update: config and spool stay.

usage: curl -fsSL "\$BAGTOWER_DOWNLOAD_URL/install.sh" | sh -s -- [options]
       curl -fsSL http://RECEIVER:8787/install.sh | sh -s -- --api-key KEY --device-id ID
       sh install.sh [options]

options:
  --server URL      the receiver to push to (http:// or https://), saved in config.json
                    (default: the receiver that served this script, on a first install or
                    with --api-key, --device-id or --format)
  --api-key KEY     the receiver's ingest key
  --device-id ID    the id the receiver knows this device by
  --format F        wire format for --server: bagtower (default), pattoo, datadog, influx,
                    prometheus, telemetrics
  --period P        the crontab line's period, e.g. 10m (default: the receiver's answer)
  --download-token T
                    the receiver's read token, sent with the downloads (a receiver without
                    --public-read wants it from other hosts); kept for bagtower update
  --no-cron         install no crontab line
  --from-source     build with this checkout's Bun instead of downloading
  --uninstall       remove the crontab line and the binary (config and spool stay)
  --purge           remove the crontab line and everything in ~/.bagtower
  -h, --help        print this help

environment:
  BAGTOWER_HOME          where to install (default ~/.bagtower)
  BAGTOWER_DOWNLOAD_URL  where the binaries, SHA256SUMS and install.sh are
                         (default $DEFAULT_DOWNLOAD_URL)
  BAGTOWER_DOWNLOAD_TOKEN  as --download-token
USAGE
}

say() { printf 'bagtower install: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
# A usage error exits 2, like bagtower's own commands.
usage_error() { say "$* (see --help)"; exit 2; }

need_value() {
  if [ "$#" -lt 2 ] || [ -z "$2" ]; then usage_error "$1 needs a value"; fi
}

parse_args() {
  server="" api_key="" device_id="" format="" period=""
  download_token=${BAGTOWER_DOWNLOAD_TOKEN:-$DEFAULT_DOWNLOAD_TOKEN}
  from_source=0 cron=1 action=install
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --server) need_value "$@"; server=$2; shift ;;
      --api-key) need_value "$@"; api_key=$2; shift ;;
      --device-id) need_value "$@"; device_id=$2; shift ;;
      --format) need_value "$@"; format=$2; shift ;;
      --period) need_value "$@"; period=$2; shift ;;
      --download-token) need_value "$@"; download_token=$2; shift ;;
      --no-cron) cron=0 ;;
      --from-source) from_source=1 ;;
      --uninstall) action=uninstall ;;
      --purge) action=purge ;;
      -h|--help) usage; exit 0 ;;
      *) usage_error "unknown option $1" ;;
    esac
    shift
  done
}

# --server before anything is downloaded or changed: a typo must not leave a half-installed agent.
check_server() {
  case "$server" in
    [Hh][Tt][Tt][Pp]://*|[Hh][Tt][Tt][Pp][Ss]://*) ;;
    *) die "--server $server: expected a URL starting with http:// or https:// (e.g. https://api.example/prod); nothing was installed" ;;
  esac
  case "$server" in
    *[[:space:]]*) die "--server $server: a URL has no spaces; nothing was installed" ;;
  esac
  authority=${server#*://}
  authority=${authority%%[/?#]*}
  host=${authority##*@}
  case "$host" in
    ""|:*) die "--server $server: no host name after the scheme (e.g. https://api.example/prod); nothing was installed" ;;
  esac
}

remove() {
  if [ -x "$bin" ]; then
    "$bin" cron remove --home "$home" || say "could not remove the crontab line (see above)"
  fi
  if [ "$action" = purge ]; then
    rm -rf "$home"
    say "removed $home"
  else
    rm -f "$bin"
    say "removed $bin; config and spool stay in $home (--purge removes them)"
  fi
  if [ -L "$local_bin/bagtower" ] && [ "$(readlink "$local_bin/bagtower")" = "$bin" ]; then
    rm -f "$local_bin/bagtower"
    say "removed the link $local_bin/bagtower"
  fi
}

# The platform: 64-bit Linux, glibc or musl. Bun has no 32-bit runtime: 32-bit ARM cannot work.
detect_target() {
  [ "$(uname -s)" = Linux ] || die "bagtower runs on Linux only (this is $(uname -s))."
  case "$(uname -m)" in
    x86_64|amd64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    armv6l|armv7l|armv8l|arm*) die "32-bit ARM ($(uname -m)) is not supported: Bun has no 32-bit runtime. Install a 64-bit OS (e.g. Raspberry Pi OS 64-bit on a Pi 3 or newer)." ;;
    *) die "unsupported CPU $(uname -m): bagtower needs 64-bit Linux on x86-64 or arm64." ;;
  esac
  libc=""
  if ls /lib/ld-musl-* >/dev/null 2>&1; then libc="-musl"; fi
  target="linux-$arch$libc"
}

# With a download token, as a header: it stays out of the receiver's and proxies' request logs.
fetch() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    if [ -n "$download_token" ]; then curl -fsSL --retry 2 -H "Authorization: Bearer $download_token" -o "$2" "$1"
    else curl -fsSL --retry 2 -o "$2" "$1"; fi
  elif command -v wget >/dev/null 2>&1; then
    if [ -n "$download_token" ]; then wget -q --header "Authorization: Bearer $download_token" -O "$2" "$1"
    else wget -q -O "$2" "$1"; fi
  else die "neither curl nor wget is installed: install one of them"; fi
}

sha256() { # FILE
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else die "no sha256sum (or shasum) to verify the download with"; fi
}

# The new binary into $new: built from this checkout, or downloaded and checked against SHA256SUMS.
get_binary() {
  if [ "$from_source" = 1 ]; then
    src=$(cd "$(dirname "$0")" && pwd)
    [ -f "$src/scripts/build.ts" ] || die "--from-source must run from a bagtower checkout (no scripts/build.ts in $src)."
    [ -x "$src/node_modules/.bin/bun" ] || die "no Bun in $src/node_modules: run 'npm ci' in the checkout first."
    say "building $target from $src"
    "$src/node_modules/.bin/bun" "$src/scripts/build.ts" "$target" >&2
    cp "$src/dist/bagtower-$target" "$new"
  else
    say "downloading bagtower-$target from $download_url"
    fetch "$download_url/bagtower-$target" "$new" || die "download of $download_url/bagtower-$target failed; nothing was installed"
    fetch "$download_url/SHA256SUMS" "$new.sums" || die "download of $download_url/SHA256SUMS failed; nothing was installed"
    expected=$(sed -n "s/^\([0-9a-f]\{64\}\)[ *][ *]*bagtower-$target\$/\1/p" "$new.sums" | head -n 1)
    [ -n "$expected" ] || die "SHA256SUMS has no line for bagtower-$target; nothing was installed"
    actual=$(sha256 "$new")
    [ "$actual" = "$expected" ] || die "checksum mismatch for bagtower-$target (expected $expected, got $actual): the download is corrupt or tampered with; nothing was installed"
  fi
  chmod 755 "$new"
  version=$("$new" --version) || die "the new binary does not run on this machine (wrong libc or CPU?); nothing was installed"
  mv -f "$new" "$bin"
  drop_page_cache "$bin"
  say "installed $bin ($version)"
}

# A file just written sits in the page cache in large blocks, and every run that maps it counts the
# whole of each block it touches as its own resident memory: collect measures ~5 MiB more than after
# a reboot. Dropping the binary's pages (flushed first: only clean pages can go) makes runs fault in
# what they use, as after a reboot. Best effort: GNU dd has iflag=nocache, busybox's may not.
drop_page_cache() { # FILE
  sync "$1" 2>/dev/null || sync
  dd if="$1" iflag=nocache count=0 status=none 2>/dev/null || true
}

# Keep a copy of the installer: re-run it any time to update. The download token goes beside it,
# for bagtower update (umask 077: only this user reads either).
keep_installer() {
  [ -z "$download_token" ] || printf '%s\n' "$download_token" > "$home/download-token"
  if [ -f "$0" ] && grep -q 'bagtower installer' "$0" 2>/dev/null; then
    cmp -s "$0" "$home/install.sh" || cp "$0" "$home/install.sh"
  else
    fetch "$download_url/install.sh" "$home/install.sh" || say "could not keep a copy of install.sh (download failed)"
  fi
}

# Save the configuration and push once: the reply tells the period. Sets pushed=1 when cron may go in.
first_push() {
  set -- --home "$home"
  pushed=0
  if [ -n "$server" ]; then
    set -- "$@" --server "$server" --save
    [ -z "$api_key" ] || set -- "$@" --api-key "$api_key"
    [ -z "$device_id" ] || set -- "$@" --device-id "$device_id"
    [ -z "$format" ] || set -- "$@" --format "$format"
  elif [ ! -f "$home/config.json" ]; then
    say "no --server given and no $home/config.json: run this again with --server URL --api-key KEY --device-id ID"
    cron=0
  fi
  if [ "$cron" = 1 ] || [ -n "$server" ]; then
    status=0
    "$bin" push "$@" || status=$?
    no_cron=""
    [ "$cron" = 0 ] || no_cron="; no cron line was installed"
    case "$status" in
      0) pushed=1 ;;
      75)
        pushed=1
        say "the server could not be reached: the record is safe in the spool and goes with the next run"
        [ "$cron" = 0 ] || say "the cron line is installed anyway: records stay spooled until the server answers"
        ;;
      78)
        say "the first push was refused: the configuration is wrong (exit 78, see above)$no_cron"
        say "fix it (--server: the URL and its path; --api-key: the server's ingest key; --device-id) and run this again"
        exit 78
        ;;
      65)
        say "the server rejected the first record (exit 65, see above for why and where it is kept)$no_cron"
        say "fix what the server objects to and run this again"
        exit 65
        ;;
      *) die "the first push failed (exit $status, see above)$no_cron" ;;
    esac
  fi
}

install_cron() {
  if [ -n "$period" ]; then
    "$bin" cron install --home "$home" --period "$period" >/dev/null || die "cron install failed (see above); the binary and config are installed"
  else
    "$bin" cron install --home "$home" >/dev/null || die "cron install failed (see above); the binary and config are installed"
  fi
  say "the crontab runs push every period; see: $bin cron status --home '$home'"
}

# Whether DIR is one of $PATH's entries.
on_path() { # DIR
  case ":${PATH:-}:" in *":$1:"*) return 0 ;; *) return 1 ;; esac
}

# The binary by name: a link in ~/.local/bin when that is on PATH (and holds no other bagtower),
# else the line that puts ~/.bagtower/bin on PATH.
path_hint() {
  on_path "$home/bin" && return 0
  if on_path "$local_bin" && [ -d "$local_bin" ]; then
    if [ -L "$local_bin/bagtower" ] || [ ! -e "$local_bin/bagtower" ]; then
      ln -sfn "$bin" "$local_bin/bagtower"
      say "linked $local_bin/bagtower to $bin: run it as bagtower"
      return 0
    fi
    say "$local_bin/bagtower is another file: left as it is"
  fi
  say "to run it as bagtower, put $home/bin on your PATH, e.g.:"
  say "  echo 'export PATH=\"$home/bin:\$PATH\"' >> ~/.profile && . ~/.profile"
}

main() {
  parse_args "$@"
  home=${BAGTOWER_HOME:-"${HOME:?HOME is not set}/.bagtower"}
  download_url=${BAGTOWER_DOWNLOAD_URL:-$DEFAULT_DOWNLOAD_URL}
  bin="$home/bin/bagtower"
  local_bin="$HOME/.local/bin"
  if [ "$action" != install ]; then
    remove
    exit 0
  fi
  # The receiver that served this script is the server of a first install, and of a re-run that
  # names the key or the device; a plain re-run keeps config.json's sinks as they are.
  if [ -z "$server" ] && [ -n "$DEFAULT_SERVER" ] && { [ ! -f "$home/config.json" ] || [ -n "$api_key$device_id$format" ]; }; then
    server=$DEFAULT_SERVER
  fi
  [ -z "$server" ] || check_server
  detect_target
  umask 077
  mkdir -p "$home/bin"
  chmod 700 "$home"
  new="$home/bin/.bagtower.new.$$"
  trap 'rm -f "$new" "$new.sums"' EXIT INT TERM
  get_binary
  keep_installer
  first_push
  if [ "$cron" = 1 ] && [ "$pushed" = 1 ]; then install_cron; fi
  path_hint
  say "done"
}

# Not `main "$@" || exit 1`: inside an `||` list the shell ignores `set -e` for main.
{ main "$@"; }
