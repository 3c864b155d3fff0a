// sha256File: the sum of any size of file (slice boundaries included), and the event loop turns
// while a large file is hashed (serve hashes its downloads at start while it answers ingest).
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sha256File } from "../../src/serve/downloads.ts";
import { tempDir } from "../helpers/context.ts";

const dir = tempDir("bagtower-sha256-");
afterAll(() => dir.cleanup());
const SLICE = 256 * 1024;

describe("sha256File", () => {
  test("equals the whole file's SHA-256 at every size around the slice", async () => {
    for (const size of [0, 1, SLICE - 1, SLICE, SLICE + 1, 3 * SLICE, 3 * SLICE + 7]) {
      const bytes = crypto.getRandomValues(new Uint8Array(Math.max(size, 1))).subarray(0, size);
      const path = join(dir.dir, `f${size}`);
      writeFileSync(path, bytes);
      expect([size, await sha256File(path)]).toEqual([size, new Bun.CryptoHasher("sha256").update(bytes).digest("hex")]);
    }
  });
  test("other work runs between its slices", async () => {
    const path = join(dir.dir, "big");
    writeFileSync(path, new Uint8Array(16 * SLICE));
    let turns = 0;
    let hashing = true;
    const tick = () => {
      turns++;
      if (hashing) setImmediate(tick);
    };
    setImmediate(tick);
    await sha256File(path);
    hashing = false;
    expect(turns).toBeGreaterThanOrEqual(15);
  });
  test("an unreadable file is an error, not the sum of nothing", async () => {
    await expect(sha256File("/proc/self/mem")).rejects.toThrow();
    await expect(sha256File(join(dir.dir, "missing"))).rejects.toThrow();
  });
});
