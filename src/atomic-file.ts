import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "./posix-path.ts";

let _counter = 0;

export interface AtomicWriteOptions {
  mode?: number;
  /**
   * fsync the file and the directory (default). Caches in `state/` pass false: a killed process
   * still never leaves a torn file (rename is atomic), and a power cut may at worst lose the
   * latest version, which costs a CPU sample, not data.
   */
  durable?: boolean;
}

/**
 * Replace `path` with `data` so that a crash at any instant leaves either the old file or the new
 * one, never a mix: write a temp file in the same directory, fsync it, rename it over the target,
 * then fsync the directory so the rename itself survives a power cut.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const { mode = 0o600, durable = true } = options;
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${++_counter}.tmp`);
  const fd = openSync(temp, "wx", mode);
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    if (durable) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  if (durable) fsyncDir(dir);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
