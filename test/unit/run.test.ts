import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSetOption, runCollect, validateRecord } from "../../src/collect/run.ts";
import { resolveConfig } from "../../src/config/load.ts";
import { UsageError } from "../../src/errors.ts";
import type { BagtowerRecord } from "../../src/record/schema.ts";
import { FIXTURES, fixtureStatfs, testContext, type TestContext } from "../helpers/context.ts";

describe("validateRecord", () => {
  const base = (): BagtowerRecord => ({
    unixTimestamp: 1795400000,
    UTCTimestamp: "2026-11-22T02:13:20.000Z",
    data: [
      { id: "cpu", type: "percent", val: 12.5 },
      { id: "uptime", type: "seconds", val: Number.NaN },
      { id: "system", type: "string", val: { kernel: "6.1" } },
    ],
    meta: { recordId: "abcdefgh12", machineId: "0".repeat(32), hostname: "h", bootId: "b", seq: 1, agent: "bagtower/0", tags: {}, errors: [] },
  });

  test("an item with an invalid value moves to meta.errors; the rest is kept", () => {
    const record = validateRecord(base());
    expect(record.data.map((i) => i.id)).toEqual(["cpu", "system"]);
    expect(record.meta.errors).toEqual([{ id: "uptime", message: "invalid value: val: expected a number, got NaN" }]);
  });

  test("a valid record passes unchanged", () => {
    const record = base();
    record.data.splice(1, 1);
    expect(validateRecord(record)).toEqual(record);
  });

  test("every value shape passes unchanged; a text over the limit moves to meta.errors like a NaN", () => {
    const record = base();
    record.data = [
      { id: "a", type: "count", val: [1, 2.5, -3] },
      { id: "b", type: "bytes", val: { "eth0.rx": 1, "wlan0 tx": 2 } },
      { id: "c", type: "string", val: "x".repeat(1024) },
      { id: "d", type: "string", val: "y".repeat(1025) },
      { id: "e", type: "number", val: { "": 1 } },
    ];
    const checked = validateRecord(structuredClone(record));
    expect(checked.data).toEqual(record.data.slice(0, 3));
    expect(checked.meta.errors.map((e) => e.id)).toEqual(["d", "e"]);
  });

  test("a record whose own fields are wrong is refused by the schema, items valid or not", () => {
    const record = base();
    record.data.splice(1, 1);
    record.meta.machineId = "not a machine id";
    expect(() => validateRecord(record)).toThrow("machine id");
  });
});

describe("parseSetOption", () => {
  test.each([
    ["rpm=5400", { id: "rpm", type: "number", val: 5400 }],
    ["temp=-3.5", { id: "temp", type: "number", val: -3.5 }],
    ["room=kitchen", { id: "room", type: "string", val: "kitchen" }],
    ["note=a=b", { id: "note", type: "string", val: "a=b" }],
    ["empty=", { id: "empty", type: "string", val: "" }],
  ])("%s", (option, expected) => expect(parseSetOption(option)).toEqual(expected as never));
  test.each(["novalue", "=5", "bad name=1", "a/b=1"])("%s is a usage error", (option) => expect(() => parseSetOption(option)).toThrow(UsageError));
});

describe("runCollect selection and failures", () => {
  let t: TestContext;
  afterEach(() => t.cleanup());
  const root = join(FIXTURES, "laptop");

  test("items.only and items.disable select built-in items; a failing item lands in meta.errors", async () => {
    t = testContext({ statfs: fixtureStatfs(root) });
    // A broken root: /proc/loadavg is garbage, /proc/uptime is missing.
    const broken = join(t.home, "root");
    mkdirSync(join(broken, "proc"), { recursive: true });
    writeFileSync(join(broken, "proc/loadavg"), "garbage\n");
    const config = resolveConfig({ collect: { rootfs: broken }, items: { only: ["load", "uptime", "deviceStatus", "memory"], disable: ["memory"] } }, "t", []);
    const record = await runCollect(t.ctx, config);
    expect(record.data).toEqual([{ id: "deviceStatus", type: "string", val: "UP" }]);
    expect(record.meta.errors.map((e) => e.id)).toEqual(["load", "uptime"]);
    expect(record.meta.errors[0]!.message).toContain("/proc/loadavg: unexpected content");
  });

  test("collectors.d items join the record; a --set item overrides one of the same id", async () => {
    t = testContext({ statfs: fixtureStatfs(root) });
    mkdirSync(join(t.home, "collectors.d"));
    writeFileSync(join(t.home, "collectors.d/fan"), '#!/bin/sh\necho \'{"rpm": 1200, "fan_ok": 1}\'\n', { mode: 0o755 });
    const config = resolveConfig({ collect: { rootfs: root }, items: { only: ["deviceStatus", "rpm", "fan_ok"] } }, "t", []);
    const record = await runCollect(t.ctx, config, [{ id: "rpm", type: "number", val: 7 }]);
    expect(record.data).toEqual([
      { id: "deviceStatus", type: "string", val: "UP" },
      { id: "rpm", type: "number", val: 7 },
      { id: "fan_ok", type: "number", val: 1 },
    ]);
  });
});

describe("filesystems", () => {
  let t: TestContext;
  afterEach(() => t.cleanup());

  test("a network mount that does not answer is skipped and reported; local mounts are asked synchronously", async () => {
    const root = join(FIXTURES, "server");
    const answer = fixtureStatfs(root);
    const asked: [string, boolean][] = [];
    t = testContext({
      statfs: (path, mayHang) => {
        asked.push([path.slice(root.length) || "/", mayHang]);
        return path.endsWith("/mnt/backup") ? new Promise(() => {}) : answer(path, mayHang);
      },
    });
    const config = resolveConfig({ collect: { rootfs: root, timeoutMs: 50 }, items: { only: ["filesystems"] } }, "t", []);
    const record = await runCollect(t.ctx, config);
    expect(record.data[0]!.val).toEqual({ "/": 16.7, "/boot": 28.7, "/var/lib/data": 67 });
    expect(record.meta.errors).toEqual([{ id: "filesystems", message: "/mnt/backup: no answer within 50 ms, skipped" }]);
    expect(asked).toEqual([["/", false], ["/boot", false], ["/var/lib/data", false], ["/mnt/backup", true]]);
  });
});
