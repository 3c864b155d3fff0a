// `collect --root` over a directory its user cannot read: exit 78 naming the path. Root reads
// anything, so as root (CI) the binary runs as the unprivileged test user; the in-process test
// (test/commands/collect-input.test.ts) covers the same when the suite runs as someone else.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BINARY, buildBinary } from "../helpers/binary.ts";
import { runAsTestUser, userHome } from "../helpers/test-user.ts";
import { skipWithout } from "../helpers/prereq.ts";
const skipWithoutTestUser = skipWithout("test-user");

const asRoot = process.getuid?.() === 0;
let home: ReturnType<typeof userHome> | undefined;
let locked = "";

beforeAll(async () => {
  await buildBinary();
  if (!asRoot || skipWithoutTestUser) return;
  home = userHome(BINARY);
  locked = mkdtempSync("/tmp/bagtower-locked-root-");
  mkdirSync(join(locked, "proc"));
  chmodSync(locked, 0o700); // root's own: the test user cannot enter it
}, 120_000);

afterAll(() => {
  home?.cleanup();
  if (locked) rmSync(locked, { recursive: true, force: true });
});

test.skipIf(!asRoot || skipWithoutTestUser)("as a user who cannot read it, --root exits 78 with one line naming the path", async () => {
  const run = await runAsTestUser([join(home!.home, "bin", "bagtower"), "collect", "--root", locked], { HOME: home!.home });
  expect(run.code).toBe(78);
  expect(run.stdout).toBe("");
  expect(run.stderr).toContain(`${locked} (--root, collect.rootfs): cannot be read (EACCES)`);
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
});
