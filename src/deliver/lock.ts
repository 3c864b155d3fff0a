import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "../posix-path.ts";
import type { Context } from "../context.ts";
import { TempFailError } from "../errors.ts";
import { processAlive } from "../host.ts";

/**
 * One flusher per home (SPEC §6): a lock file holding the holder's pid, created with O_EXCL. A lock
 * whose pid is dead is taken over at once. Spooling needs no lock, so contention never loses a
 * record; the lock only keeps two runs from sending the same files (which the receiver would
 * deduplicate by recordId anyway).
 */
export interface FlushLock {
  release(): void;
}

export type LockHolder = { pid: number } | null;

function _holder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function _tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw _lockError(error);
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } catch (error) {
    unlinkSync(path);
    throw _lockError(error);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Spooling came first, so a lock that cannot be written (a full disk) only delays delivery. */
function _lockError(error: unknown): TempFailError {
  const code = (error as NodeJS.ErrnoException).code ?? "error";
  return new TempFailError(`cannot take the flush lock (${code}); the record is safe in the spool and goes with a later run once there is space`, { cause: error });
}

/** Removes a lock left by a dead process. Renaming first means only one contender removes it. */
function _breakStale(path: string): void {
  const pid = _holder(path);
  if (pid !== undefined && processAlive(pid)) return;
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else took it first
  }
  const taken = _holder(aside);
  if (taken !== undefined && taken !== pid && processAlive(taken)) {
    // Between our read and our rename a live process took the lock over: give it back.
    try {
      renameSync(aside, path);
    } catch {
      // unreachable in practice; the worst case is two flushers, which the receiver deduplicates
    }
    return;
  }
  unlinkSync(aside);
}

/** Waits up to `waitMs` for the flush lock; undefined when another live process keeps it. */
export async function acquireFlushLock(ctx: Context, path: string, waitMs: number): Promise<FlushLock | undefined> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = ctx.now() + waitMs;
  const lock: FlushLock = {
    release() {
      if (_holder(path) === process.pid) unlinkSync(path);
    },
  };
  for (;;) {
    if (_tryCreate(path)) return lock;
    _breakStale(path);
    if (_tryCreate(path)) return lock;
    if (ctx.now() >= deadline) return undefined;
    await ctx.sleep(100);
  }
}

export function lockHolder(path: string): LockHolder {
  const pid = _holder(path);
  return pid !== undefined && processAlive(pid) ? { pid } : null;
}
