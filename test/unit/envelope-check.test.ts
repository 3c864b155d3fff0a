// checkedEnvelope (collect's fast path) against recordEnvelopeSchema (valibot): on random valid and
// broken records it never accepts what valibot refuses, its output is valibot's to the byte, and it
// takes the records collect really makes.
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { checkedEnvelope } from "../../src/record/envelope-check.ts";
import { HOST_FACT_KEYS } from "../../src/record/rules.ts";
import { hostFactsSchema } from "../../src/record/host-facts.ts";
import { recordEnvelopeSchema, type Item } from "../../src/record/schema.ts";
import { ingestRecordSchema } from "../../src/serve/ingest/bagtower.ts";
import { MAX_UNIX_SECONDS } from "../../src/serve/limits.ts";
import { mulberry32 } from "../helpers/prng.ts";
import { sampleRecord } from "../helpers/record.ts";

const rand = mulberry32(20261202);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
/** Mostly the first (valid) value, sometimes any of them: each record has a fair chance to be valid. */
const usually = <T>(xs: readonly T[]): T => (rand() < 0.9 ? xs[0]! : pick(xs));

const TEXTS = ["", "pi-kitchen", "x".repeat(64), "x".repeat(65), "x".repeat(255), "x".repeat(256), "é", 7, null, undefined];
const IDS = ["CHwx8pjSWeCPolbewBJatVr61_NqgpKBmOs8fgWt_rg", "42", "", "a b", "x".repeat(128), "x".repeat(129), "tab\t", 5];
const MACHINES = ["0".repeat(32), "a".repeat(64), "a".repeat(65), "", "bad id", "x/y"];
const DEVICES = ["pi-kitchen", "a:b.c_d-e", "", "x".repeat(129), "bad id", 1, undefined];
const STAMPS = ["2026-12-02T06:00:00.000Z", "2026-02-30T06:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-12-02 06:00:00Z", "2026-12-02T06:00:00Z", "yesterday", 0];
const NUMBERS = [0, 1, 7, -1, 1.5, Number.NaN, Infinity, 2 ** 53, "1", null];
const KEYS = ["zone", "", "__proto__", "constructor", "a b", "k".repeat(300)];

function facts(): unknown {
  const out: Record<string, unknown> = {};
  for (const key of HOST_FACT_KEYS) if (rand() < 0.4) out[key] = rand() < 0.9 ? "Raspberry Pi 4 Model B" : pick(["x".repeat(256), "x".repeat(257), 3, null, undefined]);
  if (rand() < 0.05) out.kernel = "6.1";
  return rand() < 0.05 ? pick([null, "host", []]) : out;
}

/** push's delivery figures (meta.self): mostly whole, sometimes with a field missing, wrong or unknown. */
function selfFigures(): unknown {
  const out: Record<string, unknown> = { spoolDepth: 3, spoolBytes: 4096, droppedExpired: 0, droppedFull: 0, droppedRateLimited: 0, rejected: 1, lastError: usually([null, "timeout", 5, undefined]) };
  if (rand() < 0.1) out[pick(Object.keys(out))] = pick([Number.NaN, "1", null, undefined, -1, 1.5, Infinity]);
  if (rand() < 0.05) delete out[pick(Object.keys(out))];
  if (rand() < 0.05) out.extra = 1;
  const shuffled = rand() < 0.2 ? Object.fromEntries(Object.entries(out).reverse()) : out;
  return rand() < 0.05 ? pick([null, [], "self"]) : shuffled;
}

function meta(): unknown {
  const out: Record<string, unknown> = {};
  const fields: [string, () => unknown][] = [
    ["recordId", () => usually(IDS)],
    ["machineId", () => usually(MACHINES)],
    ["hostname", () => usually(TEXTS.slice(1))],
    ["bootId", () => usually(TEXTS)],
    ["seq", () => usually(NUMBERS)],
    ["agent", () => usually(TEXTS)],
    ["tags", () => (rand() < 0.9 ? JSON.parse(JSON.stringify(Object.fromEntries(Array.from({ length: Math.floor(rand() * 3) }, () => [pick(KEYS), rand() < 0.9 ? "v" : 1])))) : pick([[], null, "t"]))],
    ["errors", () => (rand() < 0.9 ? Array.from({ length: Math.floor(rand() * 3) }, () => (rand() < 0.9 ? { id: "wifi", message: "no" } : pick([{ id: 1, message: "m" }, { id: "a" }, { id: "a", message: "m", extra: 1 }, null]))) : "none")],
  ];
  for (const [key, make] of fields) if (rand() < 0.99) out[key] = make();
  if (rand() < 0.5) out.cpuWindowS = usually([1.2, 0, Number.NaN, "1", undefined]);
  if (rand() < 0.5) out.host = facts();
  if (rand() < 0.3) out.self = selfFigures();
  if (rand() < 0.03) out.other = 1;
  return out;
}

function record(): unknown {
  const out: Record<string, unknown> = {};
  if (rand() < 0.8) out.deviceId = usually(DEVICES);
  if (rand() < 0.97) out.unixTimestamp = usually([1796191200, 0, -5, 1.5, "1796191200", Number.NaN]);
  if (rand() < 0.97) out.UTCTimestamp = usually(STAMPS);
  out.data = rand() < 0.97 ? [] : "items";
  if (rand() < 0.97) out.meta = meta();
  if (rand() < 0.03) out.extra = true;
  const shuffled = rand() < 0.2 ? Object.fromEntries(Object.entries(out).reverse()) : out;
  return rand() < 0.5 ? shuffled : JSON.parse(JSON.stringify(shuffled));
}

describe("checkedEnvelope", () => {
  test("never accepts what recordEnvelopeSchema refuses, and outputs exactly what it outputs (20,000 random records)", () => {
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = record();
      const data = Array.isArray((input as { data?: unknown }).data) ? ((input as { data: Item[] }).data) : [];
      const fast = checkedEnvelope(input, data);
      if (fast === undefined) continue;
      accepted++;
      const slow = v.safeParse(recordEnvelopeSchema, input);
      expect({ input, success: slow.success }).toEqual({ input, success: true });
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.output));
    }
    expect(accepted).toBeGreaterThan(300);
  });

  test("what it accepts, serve's ingest schema (partial meta, seconds before the year 3000) accepts too, with the same output (20,000 random records)", () => {
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = record();
      const fast = checkedEnvelope(input, []);
      if (fast === undefined || fast.unixTimestamp > MAX_UNIX_SECONDS) continue;
      accepted++;
      const slow = v.safeParse(ingestRecordSchema, { ...(input as object), data: [] });
      expect({ input, success: slow.success }).toEqual({ input, success: true });
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.output));
    }
    expect(accepted).toBeGreaterThan(300);
  });

  test("takes the records push sends, with the delivery figures in meta.self", () => {
    const made = sampleRecord("pi-kitchen", 1796191200);
    const record = { ...made, meta: { ...made.meta, self: { spoolDepth: 2, spoolBytes: 900, droppedExpired: 0, droppedFull: 0, droppedRateLimited: 0, rejected: 0, lastError: null } } };
    expect(checkedEnvelope(record, record.data)).toEqual(record);
    expect(JSON.stringify(checkedEnvelope(record, record.data))).toBe(JSON.stringify(v.parse(recordEnvelopeSchema, record)));
  });

  test("takes the records agents make, with host facts and a CPU window", () => {
    const made = sampleRecord("pi-kitchen", 1796191200);
    const record = { ...made, meta: { ...made.meta, cpuWindowS: 1.2, host: { osId: "debian", osVersionId: "12", cpuModel: "Cortex-A72" } } };
    expect(checkedEnvelope(record, record.data)).toEqual(record);
    const { deviceId: _, ...anonymous } = made;
    expect(checkedEnvelope(anonymous, anonymous.data)).toEqual(anonymous);
  });

  test("knows every host fact the schema has, in its order", () => {
    expect([...HOST_FACT_KEYS] as string[]).toEqual(Object.keys(hostFactsSchema.entries));
  });
});
