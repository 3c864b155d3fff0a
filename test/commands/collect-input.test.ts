// Bad input to collect: a root that is not a device's, and item ids that name nothing.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/main.ts";
import { FIXTURES, fixtureStatfs, testContext, type TestContext } from "../helpers/context.ts";

describe("collect refuses bad input", () => {
  let t: TestContext;
  afterEach(() => t.cleanup());
  const pi4 = join(FIXTURES, "pi4");
  const run = (...argv: string[]) => runCli(["collect", "--home", t.home, ...argv], { overrides: t.ctx });

  test.each([
    ["a missing --root", (home: string) => join(home, "no-such-root"), "no such directory"],
    ["a --root that is a file", (home: string) => {
      writeFileSync(join(home, "a-file"), "");
      return join(home, "a-file");
    }, "not a directory"],
    ["an empty --root", (home: string) => {
      mkdirSync(join(home, "empty"));
      return join(home, "empty");
    }, "holds neither proc/ nor sys/"],
  ] as const)("%s exits 78 with one line naming the path, and prints no record", async (_, make, why) => {
    t = testContext();
    const root = make(t.home);
    expect(await run("--root", root)).toBe(78);
    expect(t.out).toEqual([]);
    expect(t.logs).toHaveLength(1);
    expect(t.logs[0]).toContain(root);
    expect(t.logs[0]).toContain(why);
  });

  // Root reads anything: as root, test/e2e/collect-root-user.test.ts runs this case as the unprivileged test user.
  test.skipIf(process.getuid?.() === 0)("an unreadable --root exits 78 (as root: run as the test user in test/e2e/collect-root-user.test.ts)", async () => {
    t = testContext();
    const root = join(t.home, "locked");
    mkdirSync(join(root, "proc"), { recursive: true });
    chmodSync(root, 0o000);
    try {
      expect(await run("--root", root)).toBe(78);
      expect(t.logs.join("\n")).toContain(`${root} (--root, collect.rootfs): cannot be read (EACCES)`);
    } finally {
      chmodSync(root, 0o755);
    }
  });

  test("--only with an unknown id is a usage error (exit 2) with a did-you-mean", async () => {
    t = testContext({ statfs: fixtureStatfs(pi4) });
    expect(await run("--root", pi4, "--only", "cpu,memroy")).toBe(2);
    expect(t.out).toEqual([]);
    expect(t.logs).toHaveLength(1);
    expect(t.logs[0]).toContain('--only: no item named "memroy". Did you mean memory?');
  });

  test.each([
    ["items.only", { items: { only: ["temprature"] } }, 'items.only: no item named "temprature". Did you mean temperature?'],
    ["items.disable", { items: { disable: ["wfi"] } }, 'items.disable: no item named "wfi". Did you mean wifi?'],
  ])("config %s with an unknown id is a config error (exit 78) with a did-you-mean", async (_, config, message) => {
    t = testContext({ statfs: fixtureStatfs(pi4) });
    writeFileSync(join(t.home, "config.json"), JSON.stringify(config));
    expect(await run("--root", pi4)).toBe(78);
    expect(t.out).toEqual([]);
    expect(t.logs.join("\n")).toContain(message);
  });

  test("--only may name a --set item and a collectors.d program's item", async () => {
    t = testContext({ statfs: fixtureStatfs(pi4) });
    mkdirSync(join(t.home, "collectors.d"), { recursive: true });
    const program = join(t.home, "collectors.d", "rpm.sh");
    writeFileSync(program, '#!/bin/sh\necho \'{"fan_rpm": 1200}\'\n');
    chmodSync(program, 0o755);
    expect(await run("--root", pi4, "--only", "memory,fan_rpm,room", "--set", "room=kitchen")).toBe(0);
    expect(JSON.parse(t.out[0]!).data.map((i: { id: string }) => i.id)).toEqual(["memory", "fan_rpm", "room"]);
  });

  test("without collectors.d programs the typo is refused before any item is read (no CPU sample is waited for)", async () => {
    const sleeps: number[] = [];
    t = testContext({ statfs: fixtureStatfs(pi4), sleep: async (ms) => void sleeps.push(ms) });
    expect(await run("--root", pi4, "--only", "cpu,memroy")).toBe(2);
    expect(sleeps).toEqual([]);
  });

  test("when a collectors.d program fails, its ids are unknown this run: --only is not refused", async () => {
    t = testContext({ statfs: fixtureStatfs(pi4) });
    mkdirSync(join(t.home, "collectors.d"), { recursive: true });
    const program = join(t.home, "collectors.d", "flaky.sh");
    writeFileSync(program, "#!/bin/sh\nexit 3\n");
    chmodSync(program, 0o755);
    expect(await run("--root", pi4, "--only", "memory,fan_rpm")).toBe(0);
    const record = JSON.parse(t.out[0]!);
    expect(record.data.map((i: { id: string }) => i.id)).toEqual(["memory"]);
    expect(record.meta.errors.map((e: { id: string }) => e.id)).toEqual(["collectors.d/flaky.sh"]);
  });
});
