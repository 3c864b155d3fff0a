import { describe, expect, test } from "bun:test";
import { checkToken } from "../../src/serve/checks/checks.ts";

describe("a check's token", () => {
  test("never starts with '-', so `bagtower ping TOKEN` never reads it as an option", () => {
    // 0xfb… is "-_-_…" in base64url: the first of every 64 random tokens started with a dash.
    const dashed = checkToken(new Uint8Array(18).fill(0xfb));
    expect(dashed).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{23}$/);
    expect(dashed.slice(1)).toBe(Buffer.from(new Uint8Array(18).fill(0xfb)).toString("base64url").slice(1));
    for (let first = 0; first < 256; first++) {
      const bytes = new Uint8Array(18).fill(first);
      expect(checkToken(bytes)).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{23}$/);
    }
  });
  test("other tokens are the bytes' base64url as they were", () => {
    const bytes = Uint8Array.from({ length: 18 }, (_, i) => i * 13);
    expect(checkToken(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
  });
});
