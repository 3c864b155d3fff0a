// The store's off-thread fsync of its WAL (src/serve/wal-sync.ts) on real files.
import { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWalSync } from "../../src/serve/wal-sync.ts";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("waiters during an fsync share the next one; all resolve, in order; none before a WAL exists is an error", async () => {
  dir = mkdtempSync(join(tmpdir(), "bagtower-walsync-"));
  const path = join(dir, "serve.db");
  const sync = createWalSync(path);
  await sync.durable(); // no -wal file yet: nothing to sync
  const db = new Database(path, { create: true });
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE t (x)");
  const order: number[] = [];
  const all = Array.from({ length: 20 }, (_, i) => {
    db.query("INSERT INTO t VALUES (?)").run(i);
    return sync.durable().then(() => order.push(i));
  });
  await Promise.all(all);
  expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  db.close();
  sync.close();
});

test("a -wal file replaced under it is opened again (its inode changed)", async () => {
  dir = mkdtempSync(join(tmpdir(), "bagtower-walsync-"));
  const path = join(dir, "serve.db");
  writeFileSync(`${path}-wal`, "first");
  const sync = createWalSync(path);
  await sync.durable();
  const before = statSync(`${path}-wal`).ino;
  writeFileSync(join(dir, "other"), "second");
  renameSync(join(dir, "other"), `${path}-wal`);
  expect(statSync(`${path}-wal`).ino).not.toBe(before);
  await sync.durable();
  rmSync(`${path}-wal`);
  await sync.durable();
  sync.close();
});
