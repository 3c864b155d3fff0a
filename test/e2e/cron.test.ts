// cron install/remove/status with the real `crontab` program, as the unprivileged test user.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, buildBinary } from "../helpers/binary.ts";
import { FIXTURES } from "../helpers/context.ts";
import { runAsTestUser, setUserCrontab, userCrontab, userHome } from "../helpers/test-user.ts";
import { skipWithout } from "../helpers/prereq.ts";
const skipWithoutTestUser = skipWithout("test-user");

const OTHER = "# my jobs\nMAILTO=\"\"\n\n*/5 * * * * /usr/bin/true   --keep   spacing # mine\n@reboot echo 'hello # bagtower fan'\n";

let spot: ReturnType<typeof userHome> | undefined;
beforeAll(async () => {
  await buildBinary();
});
afterEach(async () => {
  if (!skipWithoutTestUser) await setUserCrontab("");
  spot?.cleanup();
  spot = undefined;
});

const bagtower = (home: string, ...args: string[]) => runAsTestUser([join(home, "bin", "bagtower"), ...args], { HOME: home, BAGTOWER_HOME: home });

describe.skipIf(skipWithoutTestUser)("cron with the real crontab", () => {
  test("install next to the user's lines, reinstall with another period in place, status, remove", async () => {
    spot = userHome(BINARY);
    await setUserCrontab(OTHER);
    const first = await bagtower(spot.home, "cron", "install", "--period", "10m");
    expect(first.code).toBe(0);
    let table = await userCrontab();
    expect(table.startsWith(OTHER)).toBe(true);
    const ours = table.slice(OTHER.length).trimEnd();
    expect(ours).toMatch(/^\d{1,2}-59\/10 \* \* \* \* '.+\/bin\/bagtower' push --cron --home '.+' >> '.+\/log\/bagtower\.log' 2>&1 # bagtower$/);
    expect(first.stdout.trim()).toBe(ours);

    await setUserCrontab(`${table}0 3 * * * /usr/bin/later # after ours\n`);
    expect((await bagtower(spot.home, "cron", "install", "--period", "6h")).code).toBe(0);
    table = await userCrontab();
    const lines = table.trimEnd().split("\n");
    expect(lines.filter((l) => l.endsWith("# bagtower"))).toHaveLength(1);
    expect(lines.at(-1)).toBe("0 3 * * * /usr/bin/later # after ours");
    expect(lines.at(-2)).toMatch(/^\d{1,2} \*\/6 \* \* \* /);
    expect(table.startsWith(OTHER)).toBe(true);

    const status = await bagtower(spot.home, "cron", "status", "--json");
    expect(JSON.parse(status.stdout)).toMatchObject({ installed: true, periodSeconds: 21600, lastPush: null });

    expect((await bagtower(spot.home, "cron", "remove")).code).toBe(0);
    expect(await userCrontab()).toBe(`${OTHER}0 3 * * * /usr/bin/later # after ours\n`);
    expect(JSON.parse((await bagtower(spot.home, "cron", "status", "--json")).stdout).installed).toBe(false);
  });

  test("a home with a space: the installed command runs as cron would run it", async () => {
    spot = userHome(BINARY, "my home");
    expect((await bagtower(spot.home, "cron", "install")).code).toBe(0);
    const line = (await userCrontab()).trimEnd();
    expect(line).toContain(`'${spot.home}/bin/bagtower'`);
    // Run the command part with sh, as cron does: with no sink configured, push exits 78 into the log.
    const command = line.replace(/^(\S+ ){5}/, "");
    const run = await runAsTestUser(["sh", "-c", command], { HOME: spot.home });
    expect(run.code).toBe(78);
    const log = readFileSync(join(spot.home, "log", "bagtower.log"), "utf8");
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z error: no sink to push to/m);
  });

  test("push rewrites the line when the server's period changes", async () => {
    spot = userHome(BINARY);
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ status: "ok", periodSeconds: 3600 }) });
    try {
      writeFileSync(join(spot.home, "config.json"), JSON.stringify({ collect: { rootfs: join(FIXTURES, "pi4") }, sinks: [{ name: "default", format: "bagtower", url: `http://127.0.0.1:${server.port}` }] }));
      Bun.spawnSync(["chown", "bagtower-test", join(spot.home, "config.json")]);
      expect((await bagtower(spot.home, "cron", "install", "--period", "10m")).code).toBe(0);
      expect((await userCrontab()).trimEnd()).toMatch(/^\d{1,2}-59\/10 /);
      const push = await bagtower(spot.home, "push", "--cron");
      expect(push.code).toBe(0);
      expect(push.stderr).toContain("the server changed the period to 1h: crontab updated");
      expect((await userCrontab()).trimEnd()).toMatch(/^\d{1,2} \* \* \* \* /);
      const status = JSON.parse((await bagtower(spot.home, "cron", "status", "--json")).stdout);
      expect(status).toMatchObject({ periodSeconds: 3600, lastPush: { exitCode: 0 } });
    } finally {
      server.stop(true);
    }
  });

  test("no crontab program: exit 78 saying how to install one", async () => {
    spot = userHome(BINARY);
    const run = await runAsTestUser(["env", "PATH=/nonexistent", join(spot.home, "bin", "bagtower"), "cron", "install"], { HOME: spot.home, BAGTOWER_HOME: spot.home });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain("no crontab program found on PATH: install cron (Debian/Ubuntu: apt-get install cron");
    expect(existsSync(join(spot.home, "state", "cron.json"))).toBe(false);
  });
});

afterAll(() => {});
