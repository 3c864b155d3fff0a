// src/posix-path.ts against node:path's posix functions: the same answer for every combination of
// awkward segments (empty, '.', '..', repeated and trailing slashes, absolute parts in the middle).
import { describe, expect, test } from "bun:test";
import { posix } from "node:path";
import { basename, dirname, join, normalize, resolve } from "../../src/posix-path.ts";

const SEGMENTS = ["", ".", "..", "/", "//", "a", "a/", "/a", "/a/", "a//b", "a/./b", "a/../b", "../a", "/..", "./", "b/..", ".bagtower", "x.json", "/tmp/h/", "a/b/../../.."];

function* pairs(): Generator<[string, string]> {
  for (const a of SEGMENTS) for (const b of SEGMENTS) yield [a, b];
}

describe("posix paths as node:path makes them", () => {
  test("normalize, dirname and basename of every segment and pair", () => {
    for (const [a, b] of pairs()) {
      const path = a + b;
      expect([path, normalize(path)]).toEqual([path, posix.normalize(path)]);
      expect([path, dirname(path)]).toEqual([path, posix.dirname(path)]);
      expect([path, basename(path)]).toEqual([path, posix.basename(path)]);
      expect([path, basename(path, ".json")]).toEqual([path, posix.basename(path, ".json")]);
    }
  });
  test("join and resolve of every pair and triple", () => {
    for (const [a, b] of pairs()) {
      expect([a, b, join(a, b)]).toEqual([a, b, posix.join(a, b)]);
      expect([a, b, resolve(a, b)]).toEqual([a, b, posix.resolve(a, b)]);
      for (const c of ["x", "/y", "..", ""]) {
        expect([a, b, c, join(a, b, c)]).toEqual([a, b, c, posix.join(a, b, c)]);
        expect([a, b, c, resolve(a, b, c)]).toEqual([a, b, c, posix.resolve(a, b, c)]);
      }
    }
    expect(join()).toBe(posix.join());
    expect(resolve()).toBe(posix.resolve());
  });
});
