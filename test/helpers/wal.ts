import { closeSync, openSync, readSync } from "node:fs";

/** Commits in a SQLite WAL file since its last reset: frames with a commit size, under the header's salt. */
export function walCommits(dbPath: string): number {
  const fd = openSync(`${dbPath}-wal`, "r");
  try {
    const header = Buffer.alloc(32);
    if (readSync(fd, header, 0, 32, 0) < 32) return 0;
    const pageSize = header.readUInt32BE(8);
    const salt = header.subarray(16, 24);
    const frame = Buffer.alloc(24);
    let commits = 0;
    for (let at = 32; readSync(fd, frame, 0, 24, at) === 24; at += 24 + pageSize) {
      if (!frame.subarray(8, 16).equals(salt)) break;
      if (frame.readUInt32BE(4) !== 0) commits++;
    }
    return commits;
  } finally {
    closeSync(fd);
  }
}
