#!/bin/sh
# Everything the tests need beyond `npm ci`, on Debian (or Ubuntu): the Debian packages of the real
# systems the tests run against, the arm64 sysroot for the qemu test, and the unprivileged user
# bagtower-test the crontab tests run as. Idempotent: when everything is there it changes nothing.
#   scripts/test-deps.sh && npm ci && npm test      (the README's test command; .ci/run runs it too)
# It needs root: as another user it runs itself again through sudo, when there is a sudo.
set -eu

# victoria-metrics … prometheus-pushgateway: the sinks' and forwarding's real receivers
# (test/helpers/backends.ts); python3-aiosmtpd, mosquitto: the notification channels and the
# mqtt sink, python3-jinja2: its Home Assistant templates
# (test/helpers/mail-broker.ts); cron: the crontab tests; bash, zsh, fish: completions; shellcheck:
# install.sh; qemu-user-static: the arm64 binary; chromium, fonts-dejavu-core: the dashboard;
# python3-psutil, time: the benchmarks.
PACKAGES="ca-certificates curl victoria-metrics influxdb prometheus prometheus-pushgateway
python3-psutil time cron bash zsh fish shellcheck qemu-user-static chromium fonts-dejavu-core
python3-aiosmtpd python3-jinja2 mosquitto mosquitto-clients"
# The daemons Debian starts on all interfaces when installed: the tests start their own on loopback.
DAEMONS="victoria-metrics influxdb prometheus prometheus-pushgateway mosquitto"
TEST_USER=bagtower-test

say() { printf 'test-deps: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo sh "$0" "$@"; fi
  say "needs root (apt-get, useradd), and there is no sudo: run it as root"
  exit 1
fi
command -v apt-get >/dev/null 2>&1 || { say "needs apt-get (Debian or Ubuntu); install the equivalents of: $PACKAGES"; exit 1; }
cd "$(dirname "$0")/.."

# Each step goes on when another failed (no network for apt still leaves the test user made);
# the failures are named at the end, and the exit status is 1.
failed=""

# Only what is missing: a machine that has everything runs no apt-get at all.
missing=""
for package in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $package"
done
if [ -n "$missing" ]; then
  say "installing:$missing"
  # shellcheck disable=SC2086 # one word per package
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 $missing; } \
    || failed="$failed, apt-get install$missing"
else
  say "every Debian package is installed"
fi
for service in $DAEMONS; do
  (command -v systemctl >/dev/null 2>&1 && systemctl stop "$service") >/dev/null 2>&1 || true
  (command -v service >/dev/null 2>&1 && service "$service" stop) >/dev/null 2>&1 || true
done

# An arm64 libc for qemu-user, so dist/bagtower-linux-arm64 runs here (does nothing when present).
sh scripts/arm64-sysroot.sh || failed="$failed, sh scripts/arm64-sysroot.sh"

# The crontab tests run as this user, so the machine's own crontab is never touched.
if id "$TEST_USER" >/dev/null 2>&1; then
  say "the user $TEST_USER exists"
elif useradd -m -s /bin/sh "$TEST_USER"; then
  say "created the user $TEST_USER"
else
  failed="$failed, useradd $TEST_USER"
fi

if [ -n "$failed" ]; then
  say "FAILED: ${failed#, } (see above); the tests that need them will be skipped (failed in CI)"
  exit 1
fi
say "ready: npm ci && npm test (as root: the crontab and install tests switch to $TEST_USER)"
