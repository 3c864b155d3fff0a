import { closeSync, fstatSync, fsync, openSync, statSync } from "node:fs";

/**
 * Makes a WAL database's commits durable off the main thread. The store commits with
 * `synchronous = NORMAL` (the commit writes the WAL but does not fsync it) and then awaits
 * `durable()`: an fsync of the -wal file on a worker thread (Linux fsync syncs the file, whichever
 * descriptor it is called on). Requests are answered only after an fsync that began after their
 * commit; meanwhile the main thread parses and commits the next requests. With FULL, each commit
 * waited for its fsync on the main thread (about a millisecond here, and more on an SD card),
 * which bounded single-record ingest. Several commits waiting share the next fsync.
 */
export interface WalSync {
  /** Resolves after an fsync that began after this call. */
  durable(): Promise<void>;
  /** Calls `then` once no fsync is in flight (at once when none is). */
  whenIdle(then: () => void): void;
  close(): void;
}

export function createWalSync(dbPath: string): WalSync {
  const walPath = `${dbPath}-wal`;
  let fd: number | undefined;
  let inode = -1;
  let waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  let inFlight = false;
  let idle: (() => void)[] = [];

  /** The -wal file's descriptor, opened again if SQLite replaced the file; none before its first write. */
  function _fd(): number | undefined {
    let now: number;
    try {
      now = statSync(walPath).ino;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    if (fd === undefined || now !== inode) {
      if (fd !== undefined) closeSync(fd);
      fd = openSync(walPath, "r");
      inode = fstatSync(fd).ino;
    }
    return fd;
  }

  function _start(): void {
    const batch = waiting;
    waiting = [];
    inFlight = true;
    const finish = (error: unknown) => {
      inFlight = false;
      for (const w of batch) error ? w.reject(error) : w.resolve();
      // What waited for this fsync to end commits now; its durable() starts the next fsync, which
      // then covers that commit and whatever else is waiting.
      const then = idle;
      idle = [];
      for (const f of then) f();
      if (waiting.length > 0 && !inFlight) _start();
    };
    try {
      const descriptor = _fd();
      if (descriptor === undefined) queueMicrotask(() => finish(null));
      else fsync(descriptor, (error) => finish(error));
    } catch (error) {
      finish(error);
    }
  }

  return {
    durable() {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (!inFlight) _start();
      });
    },
    whenIdle(then) {
      if (inFlight) idle.push(then);
      else then();
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
