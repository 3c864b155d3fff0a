import { afterEach, describe, expect, test } from "bun:test";
import { hash } from "ohash";
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCollect } from "../../src/collect/run.ts";
import { identityReport } from "../../src/collect/identity-report.ts";
import { renderIdentity } from "../../src/commands/id.ts";
import { resolveConfig } from "../../src/config/load.ts";
import { DEVICE_ID_PATTERN } from "../../src/record/device-id-rules.ts";
import { ConfigError } from "../../src/errors.ts";
import { deviceIdPrefix, DEVICE_ID_RANDOM_BYTES, makeDeviceId, resolveGeneratedDeviceId } from "../../src/record/device-id.ts";
import { makeRecordId, MACHINE_ID_MAX_AGE_MS, nextSeq, parseStaticMachineId, resolveMachineId, resolvePattooAgentId } from "../../src/record/identity.ts";
import { parseBagtowerBody } from "../../src/serve/ingest/bagtower.ts";
import { DEFAULT_LIMITS } from "../../src/serve/limits.ts";
import { FIXTURES, manualClock, testContext, type TestContext } from "../helpers/context.ts";

const DAY = 24 * 3600 * 1000;

describe("machine id", () => {
  let t: TestContext;
  afterEach(() => t.cleanup());

  function setup() {
    const clock = manualClock(Date.now());
    let counter = 0;
    t = testContext({ now: clock.now, randomBytes: (n) => new Uint8Array(n).fill(++counter) });
    return clock;
  }

  /** The rotation age is the file's mtime; set it as a clock that ran `ms` ago would have. */
  const backdate = (path: string, at: number) => utimesSync(path, at / 1000, at / 1000);

  test("generated once: 32 lowercase hex, stored, then reused", () => {
    setup();
    const first = resolveMachineId(t.ctx);
    expect(first.source).toBe("generated");
    expect(first.id).toMatch(/^[0-9a-f]{32}$/);
    expect(readFileSync(join(t.home, "machine-id"), "utf8").trim()).toBe(first.id);
    const second = resolveMachineId(t.ctx);
    expect(second).toMatchObject({ id: first.id, source: "stored" });
  });

  test("rotates once the file is older than 3 days, checked on every run", () => {
    const clock = setup();
    const first = resolveMachineId(t.ctx);
    backdate(first.path, clock.now());
    clock.advance(3 * DAY - 60_000);
    expect(resolveMachineId(t.ctx)).toMatchObject({ id: first.id, source: "stored" });
    clock.advance(120_000);
    const rotated = resolveMachineId(t.ctx);
    expect(rotated.source).toBe("rotated");
    expect(rotated.id).not.toBe(first.id);
    expect(MACHINE_ID_MAX_AGE_MS).toBe(3 * DAY);
  });

  test("a corrupt id file is replaced", () => {
    setup();
    writeFileSync(join(t.home, "machine-id"), "not-an-id\n");
    const id = resolveMachineId(t.ctx);
    expect(id.source).toBe("rotated");
    expect(id.id).toMatch(/^[0-9a-f]{32}$/);
  });

  test("the opt-in static id wins and never rotates", () => {
    const clock = setup();
    writeFileSync(join(t.home, "opt-in-static-machine-id"), "my-fixed-id-0123456789abcdefghijklmnop\nsecond line\n");
    const id = resolveMachineId(t.ctx);
    expect(id).toMatchObject({ id: "my-fixed-id-0123456789abcdefghij", source: "static" });
    clock.advance(30 * DAY);
    expect(resolveMachineId(t.ctx).id).toBe(id.id);
  });

  test("an empty static id file is ignored", () => {
    setup();
    writeFileSync(join(t.home, "opt-in-static-machine-id"), "\n");
    expect(resolveMachineId(t.ctx).source).toBe("generated");
  });

  test.each([
    ["abc\n", "abc"],
    ["  spaced  \n", "spaced"],
    ["0123456789012345678901234567890123456789", "01234567890123456789012345678901"],
    ["", undefined],
    ["\nlater", undefined],
  ])("parseStaticMachineId(%p)", (text, expected) => expect(parseStaticMachineId(text)).toBe(expected));
});

describe("sequence, pattoo agent id, recordId", () => {
  let t: TestContext;
  afterEach(() => t.cleanup());

  test("the sequence grows across runs and survives a corrupt state file", () => {
    t = testContext();
    expect([nextSeq(t.ctx), nextSeq(t.ctx), nextSeq(t.ctx)]).toEqual([1, 2, 3]);
    writeFileSync(join(t.home, "state/seq.json"), "{garbage");
    expect(nextSeq(t.ctx)).toBe(1);
  });

  test("the pattoo agent id is 64 hex, made once", () => {
    t = testContext();
    const id = resolvePattooAgentId(t.ctx);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(resolvePattooAgentId(t.ctx)).toBe(id);
  });

  test("recordId is ohash's hash() of the identity fields", () => {
    expect(makeRecordId("m", "b", 7, 1795400000123)).toBe(hash(["m", "b", 7, 1795400000123]));
  });

  test("recordId is stable for the same inputs and differs when any changes", () => {
    const base = makeRecordId("m", "b", 1, 1000);
    expect(makeRecordId("m", "b", 1, 1000)).toBe(base);
    expect(new Set([base, makeRecordId("m2", "b", 1, 1000), makeRecordId("m", "b2", 1, 1000), makeRecordId("m", "b", 2, 1000), makeRecordId("m", "b", 1, 1001)]).size).toBe(5);
  });
});

describe("device id when none is configured", () => {
  let t: TestContext;
  afterEach(() => t.cleanup());

  test("generated once as <hostname>-<12 hex>, mode 0600, then kept whatever the host name or randomness", () => {
    let counter = 0;
    t = testContext({ randomBytes: (n) => new Uint8Array(n).fill(++counter) });
    const first = resolveGeneratedDeviceId(t.ctx, "Pi-Kitchen");
    expect(first).toEqual({ id: "pi-kitchen-010101010101", source: "generated", path: join(t.home, "device-id") });
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.path, "utf8")).toBe("pi-kitchen-010101010101\n");
    expect(readdirSync(t.home)).toEqual(["device-id"]);
    expect(resolveGeneratedDeviceId(t.ctx, "renamed-host")).toEqual({ ...first, source: "stored" });
  });

  test.each([
    ["raspberrypi", "raspberrypi"],
    ["Pi-Kitchen", "pi-kitchen"],
    ["my host_name!", "my-host_name"],
    ["pi.example.com", "pi.example.com"],
    ["-.weird.-", "weird"],
    ["ünïcode", "n-code"],
    ["", "device"],
    ["...", "device"],
    ["a".repeat(100), "a".repeat(63)],
    [`${"a".repeat(62)}-b`, "a".repeat(62)],
  ])("deviceIdPrefix(%p) = %p, and the whole id is a valid device id", (hostname, prefix) => {
    expect(deviceIdPrefix(hostname)).toBe(prefix);
    const id = makeDeviceId(hostname, new Uint8Array(DEVICE_ID_RANDOM_BYTES).fill(255));
    expect(id).toBe(`${prefix}-ffffffffffff`);
    expect(id).toMatch(DEVICE_ID_PATTERN);
  });

  test("a hand-written valid id is used; an invalid one is a config error and stays untouched", () => {
    t = testContext();
    const path = join(t.home, "device-id");
    writeFileSync(path, "my-own-id\n");
    expect(resolveGeneratedDeviceId(t.ctx, "host")).toMatchObject({ id: "my-own-id", source: "stored" });
    writeFileSync(path, "has spaces in it\n");
    let error: unknown;
    try {
      resolveGeneratedDeviceId(t.ctx, "host");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(78);
    expect((error as Error).message).toBe(`${path}: "has spaces in it" is not a device id (expected 1–128 letters, digits, '.', '_', '-' or ':'); fix it, or delete the file to generate a new one`);
    expect(readFileSync(path, "utf8")).toBe("has spaces in it\n");
  });

  test("first runs racing in separate processes agree on one id", async () => {
    t = testContext();
    const module = join(import.meta.dir, "../../src/record/device-id.ts");
    const script = `import { resolveGeneratedDeviceId } from ${JSON.stringify(module)};
import { homePaths } from ${JSON.stringify(join(import.meta.dir, "../../src/paths.ts"))};
const ctx = { paths: homePaths(${JSON.stringify(t.home)}), randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)) };
process.stdout.write(resolveGeneratedDeviceId(ctx, "racer").id);`;
    const procs = Array.from({ length: 6 }, () => Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit" }));
    const ids = await Promise.all(procs.map((p) => new Response(p.stdout).text()));
    expect(await Promise.all(procs.map((p) => p.exited))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toBe(readFileSync(join(t.home, "device-id"), "utf8").trim());
    expect(readdirSync(t.home)).toEqual(["device-id"]);
  });

  test("every record carries it, across a machine id rotation, so the receiver files them under one device", async () => {
    // The machine id's age is its file's mtime: start the clock at the real time so it rotates.
    const clock = manualClock(Date.now());
    t = testContext({ now: clock.now });
    const config = resolveConfig({ items: { only: ["deviceStatus"] }, collect: { rootfs: join(FIXTURES, "pi4") } }, "test", []);
    const first = await runCollect(t.ctx, config);
    clock.advance(MACHINE_ID_MAX_AGE_MS + DAY);
    const second = await runCollect(t.ctx, config);
    expect(second.meta.machineId).not.toBe(first.meta.machineId);
    expect(first.deviceId).toMatch(/^pi4-greenhouse-[0-9a-f]{12}$/);
    expect(second.deviceId).toBe(first.deviceId!);
    const filed = parseBagtowerBody([first, second], { limits: DEFAULT_LIMITS, nowS: Math.max(first.unixTimestamp, second.unixTimestamp) });
    expect(filed.map((r) => r.deviceId)).toEqual([first.deviceId!, first.deviceId!]);
    const report = identityReport(t.ctx);
    expect(report).toMatchObject({ deviceId: first.deviceId, deviceIdSource: `${join(t.home, "device-id")} (generated once, never rotates; --device-id sets another)` });
    expect(renderIdentity(report)).toContain(`device id        ${first.deviceId}  ${join(t.home, "device-id")} (generated once`);
  });

  test("a configured device id wins, and no id file is made", async () => {
    t = testContext();
    const config = resolveConfig({ deviceId: "pi-kitchen", items: { only: ["deviceStatus"] } }, "test", []);
    expect((await runCollect(t.ctx, config)).deviceId).toBe("pi-kitchen");
    expect(existsSync(join(t.home, "device-id"))).toBe(false);
  });
});
