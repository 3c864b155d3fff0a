import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "../posix-path.ts";
import { fsyncDir } from "../atomic-file.ts";
import type { Context } from "../context.ts";
import { listAside, listSpool, spoolDirOf } from "./spool.ts";

/**
 * Moves the records of queue `from` (and its rejected/ ones, with their reasons) into queue `to`.
 * Used when `--save` stores a server that config.json already had under another name (e.g.
 * `default`, before ad-hoc queues were named after their server): same server, so its records
 * must not be stranded in a queue no sink sends any more. Names keep their order.
 */
export function adoptQueue(ctx: Context, from: string, to: string): number {
  const source = spoolDirOf(ctx, from);
  const target = spoolDirOf(ctx, to);
  const entries = listSpool(source);
  const rejected = listAside(source, "rejected");
  if (entries.length + rejected.length === 0) return 0;
  mkdirSync(join(target, "rejected"), { recursive: true, mode: 0o700 });
  for (const entry of entries) renameSync(entry.path, join(target, entry.name));
  for (const entry of rejected) {
    if (existsSync(`${entry.path}.reason.json`)) renameSync(`${entry.path}.reason.json`, join(target, "rejected", `${entry.name}.reason.json`));
    renameSync(entry.path, join(target, "rejected", entry.name));
  }
  for (const dir of [target, join(target, "rejected"), source, join(source, "rejected")]) if (existsSync(dir)) fsyncDir(dir);
  return entries.length + rejected.length;
}
