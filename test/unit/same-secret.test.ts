// The comparison every ingest request and every token makes: equal only when every UTF-16 unit
// is, whatever the lengths or where they differ.
import { expect, test } from "bun:test";
import { sameSecret } from "../../src/serve/access.ts";
import { mulberry32 } from "../helpers/prng.ts";

test("equal strings are the same secret, and a change anywhere or of the length is not", () => {
  const key = "bench-ingest-key-0123456789";
  expect(sameSecret(key, key)).toBe(true);
  expect(sameSecret(`${key}`.slice(0), key)).toBe(true);
  for (let i = 0; i < key.length; i++) {
    const changed = key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) ^ 1) + key.slice(i + 1);
    expect(sameSecret(changed, key)).toBe(false);
  }
  expect(sameSecret(key.slice(0, -1), key)).toBe(false);
  expect(sameSecret(`${key}x`, key)).toBe(false);
  expect(sameSecret("", key)).toBe(false);
  expect(sameSecret("", "")).toBe(true);
});

test("non-ASCII and lone surrogates compare by code unit (no UTF-8 replacement makes two different keys equal)", () => {
  expect(sameSecret("clé-Ω-日本", "clé-Ω-日本")).toBe(true);
  expect(sameSecret("k\uD800", "k\uDC00")).toBe(false);
  expect(sameSecret("k\uD800", "k\uFFFD")).toBe(false);
  const rand = mulberry32(7);
  for (let n = 0; n < 500; n++) {
    const a = Array.from({ length: 1 + Math.floor(rand() * 40) }, () => String.fromCharCode(Math.floor(rand() * 0x10000))).join("");
    const b = rand() < 0.5 ? a : a.slice(0, -1) + String.fromCharCode(Math.floor(rand() * 0x10000));
    expect(sameSecret(a, b)).toBe(a === b);
  }
});
