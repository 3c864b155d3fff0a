import { renameSync, rmSync, statSync } from "node:fs";

export const LOG_MAX_BYTES = 1024 * 1024;
export const LOG_FILES = 3;

/**
 * Keeps the cron log bounded (SPEC §2): past `maxBytes`, bagtower.log becomes .1, .1 becomes .2,
 * and the oldest goes, so at most `files` files exist. A run whose stderr the shell already opened
 * on the old file finishes writing there; the next run starts the new one.
 */
export function rotateLog(path: string, maxBytes = LOG_MAX_BYTES, files = LOG_FILES): boolean {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  rmSync(`${path}.${files - 1}`, { force: true });
  for (let n = files - 2; n >= 1; n--) {
    try {
      renameSync(`${path}.${n}`, `${path}.${n + 1}`);
    } catch {
      // that generation does not exist yet
    }
  }
  renameSync(path, `${path}.1`);
  return true;
}
