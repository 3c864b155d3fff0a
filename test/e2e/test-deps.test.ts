// scripts/test-deps.sh: what the tests need on a fresh Debian machine, in one script that .ci/run
// uses too. It installs only what is missing, so on a machine that has everything it installs nothing.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../helpers/binary.ts";
import { tempDir } from "../helpers/context.ts";
import { skipWithout } from "../helpers/prereq.ts";
import { runAsTestUser } from "../helpers/test-user.ts";

const SCRIPT = join(REPO, "scripts/test-deps.sh");
const text = readFileSync(SCRIPT, "utf8");
const packages = /^PACKAGES="([^"]*)"/m.exec(text)![1]!.split(/\s+/).filter(Boolean);
const installed = (name: string) => Bun.spawnSync(["dpkg-query", "-W", "-f=${Status}", name], { stdout: "pipe", stderr: "ignore" }).stdout.toString() === "install ok installed";
const dir = tempDir("bagtower-test-deps-");
afterAll(() => dir.cleanup());

test.skipIf(skipWithout("shellcheck"))("is shellcheck-clean, and so is .ci/run", () => {
  const result = Bun.spawnSync(["shellcheck", SCRIPT, join(REPO, ".ci/run"), join(REPO, "scripts/arm64-sysroot.sh")], { stdout: "pipe", stderr: "pipe" });
  expect(result.stdout.toString()).toBe("");
  expect(result.exitCode).toBe(0);
});

test(".ci/run installs through it and keeps no package list of its own", () => {
  const ci = readFileSync(join(REPO, ".ci/run"), "utf8");
  expect(ci).toMatch(/^scripts\/test-deps\.sh\b/m);
  expect(ci).not.toContain("apt-get");
  expect(ci).toContain('echo "${passed} passed, ${failed} failed"');
});

test("it names every package the test helpers ask for", () => {
  const prereq = readFileSync(join(REPO, "test/helpers/prereq.ts"), "utf8");
  const asked = [...prereq.matchAll(/apt\(([^)]*)\)/g)].flatMap((m) => [...m[1]!.matchAll(/"([^"]+)"/g)].map((q) => q[1]!));
  expect(asked.length).toBeGreaterThan(10);
  for (const name of asked) expect(packages).toContain(name);
});

test.skipIf(skipWithout("test-user"))("as a user without root and without sudo it says so, exit 1, and changes nothing", async () => {
  // A PATH with `id` and nothing else: no sudo to run itself again with.
  const bin = join(dir.dir, "bin");
  mkdirSync(bin);
  symlinkSync(Bun.which("id")!, join(bin, "id"));
  chmodSync(dir.dir, 0o755);
  const result = await runAsTestUser(["/bin/sh", SCRIPT], { PATH: bin });
  expect(result.stderr).toBe("test-deps: needs root (apt-get, useradd), and there is no sudo: run it as root\n");
  expect(result.code).toBe(1);
});

// Only where it has nothing to install: a test must not install packages on a developer's machine.
const ready = process.getuid?.() === 0 && packages.every(installed) && !skipWithout("arm64", "test-user");
test.skipIf(!ready)("as root on a machine that has everything, it installs nothing and says it is ready", () => {
  const result = Bun.spawnSync(["sh", SCRIPT], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  const stderr = result.stderr.toString();
  expect(stderr).toContain("test-deps: every Debian package is installed");
  expect(stderr).not.toContain("installing:");
  expect(stderr).toContain("test-deps: the user bagtower-test exists");
  expect(stderr).toEndWith("test-deps: ready: npm ci && npm test (as root: the crontab and install tests switch to bagtower-test)\n");
  expect(result.exitCode).toBe(0);
}, 60_000); // it also stops the packages' daemons: seconds where there is no systemd

test.skipIf(!ready)("a step that fails does not stop the others: the user is still checked, the failure is named, exit 1", () => {
  // A checkout whose sysroot step fails, as it does without network.
  const checkout = join(dir.dir, "checkout");
  mkdirSync(join(checkout, "scripts"), { recursive: true });
  writeFileSync(join(checkout, "scripts", "test-deps.sh"), text);
  writeFileSync(join(checkout, "scripts", "arm64-sysroot.sh"), "echo 'E: no network' >&2; exit 3\n");
  const result = Bun.spawnSync(["sh", join(checkout, "scripts", "test-deps.sh")], { stdout: "pipe", stderr: "pipe" });
  const stderr = result.stderr.toString();
  expect(stderr).toContain("E: no network");
  expect(stderr).toContain("test-deps: the user bagtower-test exists");
  expect(stderr).toEndWith("test-deps: FAILED: sh scripts/arm64-sysroot.sh (see above); the tests that need them will be skipped (failed in CI)\n");
  expect(result.exitCode).toBe(1);
}, 60_000);
