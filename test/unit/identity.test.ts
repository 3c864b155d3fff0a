import { afterEach, describe, expect, test } from "bun:test";
import { hash } from "ohash";
import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeRecordId, MACHINE_ID_MAX_AGE_MS, nextSeq, parseStaticMachineId, resolveMachineId, resolvePattooAgentId } from "../../src/record/identity.ts";
import { manualClock, testContext, type TestContext } from "../helpers/context.ts";

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
