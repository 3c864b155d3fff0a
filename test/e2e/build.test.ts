// `npm run build` (scripts/build.ts without a target) builds this machine's executable and nothing
// else: no foreign runtime is fetched, no other file in dist/ is written.
import { expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../helpers/binary.ts";

test("without a target it builds dist/bagtower-linux-x64 only", async () => {
  const others = ["linux-arm64", "linux-x64-musl", "linux-arm64-musl"].map((name) => join(REPO, "dist", `bagtower-${name}`));
  const before = others.map((file) => (existsSync(file) ? statSync(file).mtimeMs : undefined));
  const proc = Bun.spawn([process.execPath, "scripts/build.ts"], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  expect(code).toBe(0);
  const built = stderr.split("\n").filter((line) => line.startsWith("built "));
  expect(built).toHaveLength(1);
  expect(built[0]).toStartWith(`built ${join(REPO, "dist", "bagtower-linux-x64")} (`);
  expect(stderr).not.toContain("fetching");
  expect(others.map((file) => (existsSync(file) ? statSync(file).mtimeMs : undefined))).toEqual(before);
}, 120_000);
