import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { isCpuRing, isCpuSample } from "../../src/collect/items/cpu.ts";
import { isContainersSample } from "../../src/collect/items/containers.ts";
import { isProcessesSample } from "../../src/collect/items/top-processes.ts";
import { isNumberMap, readState, writeState } from "../../src/state.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "bagtower-state-"));
  dirs.push(dir);
  return dir;
};

describe("readState", () => {
  const isCount = (json: unknown): json is number => Number.isInteger(json);
  test("a guard or a schema decides; missing, malformed or refused files read as undefined", () => {
    const dir = stateDir();
    expect(writeState(dir, "n.json", 7)).toBe(true);
    expect(readState(dir, "n.json", isCount)).toBe(7);
    expect(readState(dir, "n.json", v.number())).toBe(7);
    expect(readState(dir, "missing.json", isCount)).toBeUndefined();
    writeFileSync(join(dir, "torn.json"), '{"samples": [');
    expect(readState(dir, "torn.json", isCpuRing)).toBeUndefined();
    writeFileSync(join(dir, "s.json"), '"7"');
    expect(readState(dir, "s.json", isCount)).toBeUndefined();
    expect(readState(dir, "s.json", v.number())).toBeUndefined();
  });
});

describe("the caches' guards", () => {
  const sample = { ms: 1, bootId: "b", cpus: { cpu: [1, 2, 3, 4, 5, 6, 7, 8], cpu0: [1, 2, 3, 4] } };
  test.each([
    ["a sample", sample, true],
    ["a ring", { samples: [sample, { ...sample, ms: 2 }] }, true],
    ["an empty ring", { samples: [] }, true],
    ["a ring with a bad sample", { samples: [sample, { ...sample, ms: "2" }] }, false],
    ["times as text", { ...sample, cpus: { cpu: ["1"] } }, false],
    ["cpus as a list", { ...sample, cpus: [[1]] }, false],
    ["no boot id", { ms: 1, cpus: {} }, false],
    ["null", null, false],
    ["an array", [sample], false],
  ])("CPU ring: %s", (_, json, ok) => expect(isCpuRing(json)).toBe(ok));

  test("process and container samples: numbers by key, nothing else", () => {
    expect(isProcessesSample({ ms: 1, bootId: "b", ticks: { "1:2": 3 } })).toBe(true);
    expect(isProcessesSample({ ms: 1, bootId: "b", ticks: { "1:2": "3" } })).toBe(false);
    expect(isProcessesSample({ ms: 1, bootId: "b", ticks: [3] })).toBe(false);
    expect(isProcessesSample({ ms: 1, ticks: {} })).toBe(false);
    expect(isContainersSample({ ms: 1, bootId: "b", usage: { "docker:abc": 10 } })).toBe(true);
    expect(isContainersSample({ ms: 1, bootId: "b", usage: { "docker:abc": null } })).toBe(false);
    expect(isNumberMap({})).toBe(true);
    expect(isCpuSample(sample)).toBe(true);
  });
});
