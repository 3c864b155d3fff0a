// sameJson (src/serve/same-json.ts) may say "same" only when JSON.stringify says so; on values that
// are equal in JSON within its depth it says so, and what it cannot tell it leaves to the caller.
import { expect, test } from "bun:test";
import { sameJson } from "../../src/serve/same-json.ts";
import { mulberry32 } from "../helpers/prng.ts";

function value(rand: () => number, depth: number): unknown {
  const pick = Math.floor(rand() * (depth > 3 ? 5 : 8));
  if (pick === 0) return null;
  if (pick === 1) return rand() < 0.5;
  if (pick === 2) return Math.floor(rand() * 4) - (rand() < 0.1 ? 0.5 : 0);
  if (pick === 3 || pick === 4) return ["a", "b", "", "é"][Math.floor(rand() * 4)];
  if (pick === 5) return Array.from({ length: Math.floor(rand() * 3) }, () => value(rand, depth + 1));
  const out: Record<string, unknown> = {};
  for (const key of ["x", "y", "1", "z"]) if (rand() < 0.5) out[key] = value(rand, depth + 1);
  return out;
}

test("never 'same' when the JSON differs; 'same' for equal JSON within four levels", () => {
  const rand = mulberry32(7);
  let same = 0;
  for (let n = 0; n < 20_000; n++) {
    const a = value(rand, 0);
    const b = rand() < 0.4 ? JSON.parse(JSON.stringify(a)) : value(rand, 0);
    const equal = JSON.stringify(a) === JSON.stringify(b);
    if (sameJson(a, b)) {
      same++;
      expect(equal).toBe(true);
    }
  }
  expect(same).toBeGreaterThan(5_000);
});

test("key order counts, as it does in JSON; -0 is 0; deeper than four levels is left to the caller", () => {
  expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
  expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  expect(sameJson([1, 2], { 0: 1, 1: 2 })).toBe(false);
  expect(sameJson(-0, 0)).toBe(true);
  expect(sameJson(Number.NaN, Number.NaN)).toBe(false);
  expect(sameJson({ a: { b: { c: { d: 1 } } } }, { a: { b: { c: { d: 1 } } } })).toBe(true);
  expect(sameJson({ a: { b: { c: { d: { e: 1 } } } } }, { a: { b: { c: { d: { e: 1 } } } } })).toBe(false);
});
