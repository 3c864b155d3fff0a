// A missing prerequisite ends the run with a box naming it, the test file that needed it and the
// command that installs it; in CI it fails the run. Shown with BAGTOWER_TEST_HIDE, which makes a
// prerequisite count as missing without uninstalling anything, in a child `bun test` of one file.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../helpers/binary.ts";
import { tempDir } from "../helpers/context.ts";
import { skipWithout } from "../helpers/prereq.ts";

const dir = tempDir("bagtower-prereq-");
afterAll(() => dir.cleanup());

// Stands for a test against VictoriaMetrics: it fails when the backend is not there.
writeFileSync(
  join(dir.dir, "needs-vm.test.ts"),
  `import { expect, test } from "bun:test";
import { skipWithout } from ${JSON.stringify(join(REPO, "test/helpers/prereq.ts"))};
test.skipIf(skipWithout("victoria-metrics"))("pushes into VictoriaMetrics", () => {
  expect(process.env.BAGTOWER_TEST_HIDE ?? "").not.toContain("victoria-metrics");
});
test.skipIf(skipWithout("bash"))("runs bash", () => {});
`,
);

function run(env: Record<string, string>) {
  const result = Bun.spawnSync([process.execPath, "test", "--preload", join(REPO, "test/helpers/prereq-report.ts"), "./needs-vm.test.ts"], {
    cwd: dir.dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: result.exitCode, out: result.stdout.toString() + result.stderr.toString() };
}

describe("the report of missing prerequisites", () => {
  test("locally: the test skips, and the run ends with what is missing, who needed it and how to install it", () => {
    const { code, out } = run({ BAGTOWER_TEST_HIDE: "victoria-metrics" });
    expect(code).toBe(0);
    expect(out).toContain("SKIPPED because prerequisites are missing");
    expect(out).toContain("!   VictoriaMetrics ");
    expect(out).toContain("install: apt-get install victoria-metrics");
    expect(out).toContain(`needed by: ${join(dir.dir, "needs-vm.test.ts")}`);
    expect(out).toContain("Install them all with: scripts/test-deps.sh   (as root, or it runs itself through sudo)");
    expect(out).not.toMatch(/^!\s+bash\b/m); // present, so not listed
    expect(out).toMatch(/\b1 skip\b/);
    // The box comes after the tests, just above bun's summary.
    expect(out.indexOf("SKIPPED because")).toBeGreaterThan(out.indexOf("runs bash"));
  });

  test("in CI (CI=true) nothing skips: the test runs and fails, and the report fails the run too", () => {
    const { code, out } = run({ BAGTOWER_TEST_HIDE: "victoria-metrics", CI: "true" });
    expect(code).not.toBe(0);
    expect(out).toContain("FAILED: prerequisites are missing in CI");
    expect(out).toContain("prerequisites missing in CI: victoria-metrics");
    expect(out).toMatch(/\b2 fail\b/); // the test itself, and the report
    expect(out).not.toMatch(/\b\d+ skip\b/);
  });

  test.skipIf(skipWithout("victoria-metrics"))("with everything present there is no box", () => {
    const { code, out } = run({});
    expect(out).not.toContain("prerequisites are missing");
    expect(code).toBe(0);
  });

  test("bunfig.toml preloads the report for every bun test run", () => {
    const preload = /^preload = (\[.*\])$/m.exec(readFileSync(join(REPO, "bunfig.toml"), "utf8"))?.[1];
    expect(JSON.parse(preload ?? "[]")).toContain("./test/helpers/prereq-report.ts");
  });
});
