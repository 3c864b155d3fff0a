// What the tests need from the machine beyond `npm ci` (Debian packages, the arm64 sysroot, the
// test user, root), in one table, and the one way a test skips for it: `skipWithout("chromium")`.
// Locally a missing prerequisite skips the test and is recorded; test/helpers/prereq-report.ts
// (bunfig.toml's preload) prints the list at the end with the command that installs it. In CI
// (CI=true) nothing skips for it: the tests run and fail, and the report fails the run as well.
//
// BAGTOWER_TEST_HIDE=name,name treats those prerequisites as missing, to see the report without
// uninstalling anything (test/unit/prereq.test.ts does).
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { backendAvailable } from "./backends.ts";

const REPO = resolve(import.meta.dir, "../..");
/** The one command that installs every prerequisite (scripts/test-deps.sh), as the README says. */
export const INSTALL_ALL = "scripts/test-deps.sh";

interface Prereq {
  /** What is missing, as the report names it. */
  what: string;
  /** How to get just this one. */
  install: string;
  available: () => boolean;
}

const apt = (...packages: string[]) => `apt-get install ${packages.join(" ")}`;
const onPath = (program: string) => Bun.which(program) !== null;
const isRoot = () => process.getuid?.() === 0;
const userExists = (name: string) => Bun.spawnSync(["id", "-u", name], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
/** Debian's python3, where python3-aiosmtpd and python3-jinja2 install (a python3 earlier on PATH may lack them). */
export const DEBIAN_PYTHON3 = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const python3 = DEBIAN_PYTHON3;

const PREREQS = {
  "victoria-metrics": { what: "VictoriaMetrics", install: apt("victoria-metrics"), available: () => backendAvailable("victoria-metrics") },
  influxdb: { what: "InfluxDB", install: apt("influxdb"), available: () => backendAvailable("influxdb") },
  pushgateway: { what: "the Prometheus Pushgateway", install: apt("prometheus-pushgateway"), available: () => backendAvailable("pushgateway") },
  prometheus: { what: "Prometheus (and promtool)", install: apt("prometheus"), available: () => backendAvailable("prometheus") },
  chromium: { what: "Chromium", install: apt("chromium", "fonts-dejavu-core"), available: () => existsSync("/usr/bin/chromium") },
  "test-user": {
    what: "root and the user bagtower-test (the crontab tests run as it, through runuser)",
    install: "scripts/test-deps.sh creates the user; run the tests as root",
    available: () => isRoot() && userExists("bagtower-test"),
  },
  arm64: {
    what: "qemu-user and the arm64 sysroot",
    install: `${apt("qemu-user-static")} && sh scripts/arm64-sysroot.sh`,
    available: () => (onPath("qemu-aarch64-static") || onPath("qemu-aarch64")) && existsSync(join(REPO, ".cache", "arm64-sysroot", "lib", "ld-linux-aarch64.so.1")),
  },
  bash: { what: "bash", install: apt("bash"), available: () => onPath("bash") },
  zsh: { what: "zsh", install: apt("zsh"), available: () => onPath("zsh") },
  fish: { what: "fish", install: apt("fish"), available: () => onPath("fish") },
  shellcheck: { what: "ShellCheck", install: apt("shellcheck"), available: () => onPath("shellcheck") },
  aiosmtpd: { what: "an SMTP server (aiosmtpd)", install: apt("python3-aiosmtpd"), available: () => Bun.spawnSync([python3, "-c", "import aiosmtpd"]).exitCode === 0 },
  jinja2: { what: "Jinja2 for Python (Home Assistant's templates)", install: apt("python3-jinja2"), available: () => Bun.spawnSync([python3, "-c", "import jinja2"]).exitCode === 0 },
  mosquitto: {
    what: "the MQTT broker Mosquitto and its clients",
    install: apt("mosquitto", "mosquitto-clients"),
    available: () => (existsSync("/usr/sbin/mosquitto") || onPath("mosquitto")) && onPath("mosquitto_sub"),
  },
} satisfies Record<string, Prereq>;

export type PrereqName = keyof typeof PREREQS;

export interface Missing {
  name: PrereqName;
  what: string;
  install: string;
  /** The test files that asked for it, relative to the checkout. */
  files: Set<string>;
}

const _missing = new Map<PrereqName, Missing>();
const _known = new Map<PrereqName, boolean>();
const _hidden = new Set((process.env.BAGTOWER_TEST_HIDE ?? "").split(",").map((s) => s.trim()).filter(Boolean));

/** Whether CI runs the tests: there nothing skips for a missing prerequisite. */
export const inCI = !!process.env.CI;

function _available(name: PrereqName): boolean {
  let known = _known.get(name);
  if (known === undefined) {
    known = !_hidden.has(name) && PREREQS[name].available();
    _known.set(name, known);
  }
  return known;
}

/** The test file that called, from the stack (a skip is decided while the file is loaded). */
function _callerFile(): string | undefined {
  const frames = new Error().stack?.split("\n") ?? [];
  for (const frame of frames) {
    const match = /\(?(\/[^():]+\.test\.ts):\d+:\d+\)?$/.exec(frame.trim());
    if (match) return match[1]!.startsWith(`${REPO}/`) ? relative(REPO, match[1]!) : match[1]!;
  }
  return undefined;
}

/**
 * Whether the calling tests must skip: locally when one of `names` is missing (recorded for the
 * report), never in CI (the tests then fail on it, and the report fails the run).
 */
export function skipWithout(...names: PrereqName[]): boolean {
  let missing = false;
  const file = _callerFile();
  for (const name of names) {
    if (_available(name)) continue;
    missing = true;
    let entry = _missing.get(name);
    if (!entry) {
      entry = { name, what: PREREQS[name].what, install: PREREQS[name].install, files: new Set() };
      _missing.set(name, entry);
    }
    if (file) entry.files.add(file);
  }
  return missing && !inCI;
}

/** Every missing prerequisite asked for so far. */
export function missingPrereqs(): Missing[] {
  return [..._missing.values()];
}

/** The report: a box naming what was skipped (failed, in CI), for which files, and how to install it. */
export function prereqReport(missing: Missing[], ci: boolean): string {
  if (missing.length === 0) return "";
  const lines = [
    ci ? "FAILED: prerequisites are missing in CI (the tests that need them ran and failed)" : "SKIPPED because prerequisites are missing (these tests did not run):",
    "",
  ];
  for (const m of missing) {
    lines.push(`  ${m.what}`);
    lines.push(`      install: ${m.install}`);
    if (m.files.size > 0) lines.push(`      needed by: ${[...m.files].sort().join(", ")}`);
  }
  lines.push("", `Install them all with: ${INSTALL_ALL}   (as root, or it runs itself through sudo)`);
  const width = Math.max(...lines.map((l) => l.length));
  const bar = "!".repeat(width + 4);
  return [bar, ...lines.map((l) => `! ${l.padEnd(width)} !`), bar].join("\n");
}
