import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { join } from "../posix-path.ts";
import * as v from "valibot";
import { fsyncDir, writeFileAtomic } from "../atomic-file.ts";
import type { Context } from "../context.ts";
import { errorMessage } from "../errors.ts";
import { listDir, processAlive } from "../host.ts";
import { issueText } from "../issue-text.ts";
import { recordSchema, type BagtowerRecord } from "../record/schema.ts";

/** The directory of one sink's queue: spool/<sink>, with its rejected/ and corrupt/ beside the records. */
export function spoolDirOf(ctx: Context, sink: string): string {
  return join(ctx.paths.spool, sink);
}

/**
 * The on-disk queue of one sink (SPEC §6): one record per file, written atomically (temp file,
 * fsync, rename, fsync the directory), named so that names sort in creation order:
 * `<unix-ms, 13 digits>-<seq, 10 digits>-<8 chars of the recordId>-<bytes>.json`. Never ordered by
 * mtime. The size in the name lets the size cap be checked from one readdir, without a stat per
 * file (10,000 stats would make every enqueue into a week-long backlog slow).
 */
export interface SpoolEntry {
  name: string;
  path: string;
  createdMs: number;
  size: number;
}

const _NAME = /^(\d{13})-(\d{10})-([A-Za-z0-9_]{1,16})-(\d{1,10})\.json$/;

/** The record as spooled text, and the file name it is spooled under. */
export function spoolFile(record: BagtowerRecord, nowMs: number): { name: string; text: string } {
  const text = JSON.stringify(record);
  const id = record.meta.recordId.replace(/[^A-Za-z0-9_]/g, "").slice(0, 8) || "record";
  const name = `${String(nowMs).padStart(13, "0")}-${String(record.meta.seq).padStart(10, "0")}-${id}-${Buffer.byteLength(text)}.json`;
  return { name, text };
}

/** Spooled records, oldest first. Temp files, subdirectories and foreign files are not records. */
export function listSpool(dir: string): SpoolEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: SpoolEntry[] = [];
  const prefix = dir.endsWith("/") ? dir : `${dir}/`; // not path.join: 10,000 of those cost more than the readdir's sort
  for (const name of names.sort()) {
    const match = _NAME.exec(name);
    if (match) out.push({ name, path: prefix + name, createdMs: Number(match[1]), size: Number(match[4]) });
  }
  return out;
}

export function spoolBytes(entries: SpoolEntry[]): number {
  return entries.reduce((sum, e) => sum + e.size, 0);
}

/** `.name.<pid>.<n>.tmp`, as writeFileAtomic names its temp files. */
const _TEMP = /^\..+\.(\d+)\.\d+\.tmp$/;

/**
 * Temp files of writers that died mid-write (a push killed inside enqueue). They were never
 * records, so removing them loses nothing; a live writer's temp file is left alone.
 */
export function removeDeadTemps(dir: string): number {
  let removed = 0;
  for (const name of listDir(dir)) {
    const match = _TEMP.exec(name);
    if (!match || processAlive(Number(match[1]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed++;
    } catch {
      // already gone
    }
  }
  return removed;
}

export class CorruptSpoolFile extends Error {}

/** A spooled record, checked: a truncated or foreign file throws CorruptSpoolFile. */
export function readSpooled(entry: SpoolEntry): BagtowerRecord {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(entry.path, "utf8"));
  } catch (error) {
    throw new CorruptSpoolFile(`${entry.name}: not a JSON record (${errorMessage(error)})`);
  }
  const result = v.safeParse(recordSchema, json);
  if (!result.success) throw new CorruptSpoolFile(`${entry.name}: not a valid record (${issueText(result.issues, "record")})`);
  return result.output;
}

export function writeSpoolFile(dir: string, file: { name: string; text: string }): void {
  writeFileAtomic(join(dir, file.name), file.text);
}

/** Deletes delivered or dropped records, then makes the deletions durable with one directory fsync. */
export function removeEntries(dir: string, entries: SpoolEntry[]): void {
  if (entries.length === 0) return;
  for (const entry of entries) {
    try {
      unlinkSync(entry.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  fsyncDir(dir);
}

/** Moves a file aside into `<dir>/<sub>/` (rejected/ or corrupt/), keeping its name. */
export function moveAside(dir: string, entry: SpoolEntry, sub: "rejected" | "corrupt", reason: Record<string, unknown>): void {
  const target = join(dir, sub);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  writeFileAtomic(join(target, `${entry.name}.reason.json`), `${JSON.stringify(reason)}\n`);
  renameSync(entry.path, join(target, entry.name));
  fsyncDir(dir);
}

/** Files in rejected/ (or corrupt/): the records themselves, not their .reason.json companions. */
export function listAside(dir: string, sub: "rejected" | "corrupt"): SpoolEntry[] {
  return listSpool(join(dir, sub));
}

/** What moveAside stored next to a record in rejected/ (status, the server's message); null when unreadable. */
export function readAsideReason(entry: SpoolEntry): { status?: number; message?: string; rejectedAtMs?: number } | null {
  try {
    const json = JSON.parse(readFileSync(`${entry.path}.reason.json`, "utf8")) as Record<string, unknown>;
    return {
      ...(typeof json.status === "number" ? { status: json.status } : {}),
      ...(typeof json.message === "string" ? { message: json.message } : typeof json.reason === "string" ? { message: json.reason } : {}),
      ...(typeof json.rejectedAtMs === "number" ? { rejectedAtMs: json.rejectedAtMs } : {}),
    };
  } catch {
    return null;
  }
}
