import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../../src/atomic-file.ts";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "bagtower-atomic-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  for (const durable of [true, false]) {
    test(`${durable ? "durable" : "a cache (durable: false)"}: replaces the file whole, mode 0600, no temp file left`, () => {
      const dir = tempDir();
      const path = join(dir, "state", "x.json");
      writeFileAtomic(path, "a much longer first version", { durable });
      writeFileAtomic(path, "short", { durable });
      expect(readFileSync(path, "utf8")).toBe("short");
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readdirSync(join(dir, "state"))).toEqual(["x.json"]);
      writeFileAtomic(path, new Uint8Array([104, 105]), { durable });
      expect(readFileSync(path, "utf8")).toBe("hi");
    });
  }

  for (const durable of [true, false]) {
    test(`${durable ? "durable" : "a cache"}: makes missing directories (mode 0700), writes a large body whole`, () => {
      const dir = tempDir();
      const path = join(dir, "a", "b", "x.bin");
      const body = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
      writeFileAtomic(path, body, { durable });
      expect(new Uint8Array(readFileSync(path))).toEqual(body);
      expect(statSync(join(dir, "a", "b")).mode & 0o777).toBe(0o700);
      expect(readdirSync(join(dir, "a", "b"))).toEqual(["x.bin"]);
    });

    test(`${durable ? "durable" : "a cache"}: a file where its directory should be is an error, and nothing is written`, () => {
      const dir = tempDir();
      writeFileSync(join(dir, "plain"), "keep");
      expect(() => writeFileAtomic(join(dir, "plain", "x.json"), "x", { durable })).toThrow(/ENOTDIR|EEXIST|not a directory/i);
      expect(readFileSync(join(dir, "plain"), "utf8")).toBe("keep");
      expect(readdirSync(dir)).toEqual(["plain"]);
    });
  }

  for (const durable of [true, false]) {
    test(`${durable ? "durable" : "a cache"}: a write that fails part way (the file size limit: EFBIG) leaves the old file and no temp file`, () => {
      const dir = tempDir();
      const path = join(dir, "x.json");
      writeFileSync(path, "old");
      // SIGXFSZ ignored (as the shell passes it on), so the write past `ulimit -f` (KiB) fails with EFBIG.
      const script = `import { writeFileAtomic } from ${JSON.stringify(join(import.meta.dir, "../../src/atomic-file.ts"))};
try { writeFileAtomic(${JSON.stringify(path)}, "y".repeat(65536), { durable: ${durable} }); } catch (e) { console.log(e.code); process.exit(3); }`;
      const run = Bun.spawnSync(["bash", "-c", `trap '' XFSZ; ulimit -f 4; exec "$0" -e "$1"`, process.execPath, script]);
      expect(run.stdout.toString().trim()).toBe("EFBIG");
      expect(run.exitCode).toBe(3);
      expect(readFileSync(path, "utf8")).toBe("old");
      expect(readdirSync(dir)).toEqual(["x.json"]);
    });
  }

  test("a cache never replaces a directory in its way, and leaves no temp file", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "taken"));
    expect(() => writeFileAtomic(join(dir, "taken"), "x", { durable: false })).toThrow();
    expect(statSync(join(dir, "taken")).isDirectory()).toBe(true);
    expect(readdirSync(dir)).toEqual(["taken"]);
  });
});
