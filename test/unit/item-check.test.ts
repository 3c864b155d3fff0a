// checkedItem (the receiver's fast path) against itemSchema (valibot): on random valid and broken
// items it never accepts what valibot refuses, its output is valibot's to the byte, and it takes
// the items agents really send.
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { checkedItem } from "../../src/record/item-check.ts";
import { ITEM_TYPES, itemSchema } from "../../src/record/schema.ts";
import { mulberry32 } from "../helpers/prng.ts";
import { sampleRecord } from "../helpers/record.ts";

const rand = mulberry32(20261201);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const NUMBERS = [0, -0, 1.5, -2, 1e308, 5e-324, Number.NaN, Infinity, -Infinity, 2 ** 53, "1", null, true, undefined, {}, []];
const STRINGS = ["", "Debian", "x".repeat(1024), "x".repeat(1025), " lead", "é", 7, null];
const KEYS = ["cpu", "/", "0", " space", "", "k".repeat(64), "k".repeat(65), "__proto__", "constructor", "prototype", "a.b", "\ttab"];
const IDS = ["cpu", "wifi", "a".repeat(64), "a".repeat(65), "", "bad id", "x/y", "ok:1-2_3.4", 5, null];

function value(): unknown {
  switch (Math.floor(rand() * 6)) {
    case 0:
      return pick(NUMBERS);
    case 1:
      return Array.from({ length: Math.floor(rand() * 4) }, () => (rand() < 0.8 ? rand() * 100 : pick(NUMBERS)));
    case 2:
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, () => [pick(KEYS), rand() < 0.8 ? rand() * 100 : pick(NUMBERS)]));
    case 3:
      return pick(STRINGS);
    case 4:
      return JSON.parse(JSON.stringify(Object.fromEntries(Array.from({ length: Math.floor(rand() * 3) }, () => [pick(KEYS), pick(STRINGS)]))));
    default:
      return JSON.parse(`{${JSON.stringify(pick(KEYS))}: ${rand() < 0.5 ? 1 : '"t"'}}`);
  }
}

function item(): unknown {
  const out: Record<string, unknown> = {};
  if (rand() < 0.95) out.id = pick(IDS);
  if (rand() < 0.95) out.type = rand() < 0.9 ? pick(ITEM_TYPES) : pick(["gauge", "", 1, null]);
  if (rand() < 0.95) out.val = value();
  if (rand() < 0.05) out.extra = 1;
  if (rand() < 0.05) return pick([null, 1, "item", [out]]);
  return rand() < 0.5 ? out : JSON.parse(JSON.stringify(out) ?? "null");
}

describe("checkedItem", () => {
  test("never accepts what itemSchema refuses, and outputs exactly what itemSchema outputs (20,000 random items)", () => {
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = item();
      const fast = checkedItem(input);
      if (fast === undefined) continue;
      accepted++;
      const slow = v.safeParse(itemSchema, input);
      expect({ input, success: slow.success }).toEqual({ input, success: true });
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.output));
    }
    expect(accepted).toBeGreaterThan(1000);
  });

  test("an item whose keys are in the schema's order is its own output; in another order, a copy in the schema's order", () => {
    const ordered = JSON.parse('{"id":"cpu","type":"percent","val":12.5}');
    expect(checkedItem(ordered)).toBe(ordered);
    const shuffled = JSON.parse('{"val":{"b":1,"a":2},"type":"number","id":"sockets"}');
    const out = checkedItem(shuffled);
    expect(out).not.toBe(shuffled);
    expect(JSON.stringify(out)).toBe(JSON.stringify(v.parse(itemSchema, shuffled)));
    expect(JSON.stringify(out)).toBe('{"id":"sockets","type":"number","val":{"b":1,"a":2}}');
  });

  test("takes every item of the agent's own records", () => {
    for (const item of sampleRecord("pi-01", 1_780_000_000).data) expect(checkedItem(JSON.parse(JSON.stringify(item)))).toEqual(item);
  });
});
