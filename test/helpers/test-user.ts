// The unprivileged user that crontab tests run as (created by scripts/test-deps.sh), so the machine's own
// crontab is never touched.
import { chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { skipWithout } from "./prereq.ts";

export const TEST_USER = "bagtower-test";

function _ids(): { uid: number; gid: number } | undefined {
  const result = Bun.spawnSync(["id", "-u", TEST_USER], { stdout: "pipe", stderr: "ignore" });
  if (result.exitCode !== 0) return undefined;
  const gid = Bun.spawnSync(["id", "-g", TEST_USER], { stdout: "pipe" }).stdout.toString().trim();
  return { uid: Number(result.stdout.toString().trim()), gid: Number(gid) };
}

export const testUserIds = _ids();
/** Locally the tests skip without the user (or without root, which runuser needs); in CI (CI=true) they must run. Prefer `skipWithout("test-user")` in the test file: the report then names it. */
export const skipWithoutTestUser = skipWithout("test-user");

/** A directory (with spaces in its name, if asked) owned by the test user, holding a copy of the binary at bin/bagtower. */
export function userHome(binary: string, name = "home"): { root: string; home: string; cleanup: () => void } {
  if (!testUserIds) throw new Error(`the user ${TEST_USER} does not exist: scripts/test-deps.sh creates it (useradd -m ${TEST_USER})`);
  const root = mkdtempSync("/tmp/bagtower-user-");
  const home = join(root, name);
  mkdirSync(join(home, "bin"), { recursive: true });
  copyFileSync(binary, join(home, "bin", "bagtower"));
  for (const path of [root, home, join(home, "bin"), join(home, "bin", "bagtower")]) chownSync(path, testUserIds.uid, testUserIds.gid);
  return { root, home, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export interface UserRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command as the test user, with a small clean environment. */
export async function runAsTestUser(argv: string[], env: Record<string, string> = {}, stdin?: string): Promise<UserRun> {
  const proc = Bun.spawn(["runuser", "-u", TEST_USER, "--", "env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin", `USER=${TEST_USER}`, `LOGNAME=${TEST_USER}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv], {
    stdin: stdin === undefined ? "ignore" : Buffer.from(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

export const userCrontab = async () => (await runAsTestUser(["crontab", "-l"])).stdout;
export const setUserCrontab = async (text: string) => {
  const result = text === "" ? await runAsTestUser(["crontab", "-r"]) : await runAsTestUser(["crontab", "-"], {}, text);
  if (result.code !== 0 && text !== "") throw new Error(`crontab - failed: ${result.stderr}`);
};
