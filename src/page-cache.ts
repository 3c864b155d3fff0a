/**
 * Drops a file's pages from the page cache, best effort, as a reboot would. A file just written
 * sits there in large blocks, and every run that maps it (a new bagtower binary) counts the whole of
 * each block it touches as its own resident memory: collect measures ~5 MiB more RSS than after a
 * reboot. Only clean pages can be dropped, so the caller has fsynced the file. Bun has no
 * posix_fadvise, and loading bun:ffi for one call of a rare command is not worth it: GNU dd's
 * `iflag=nocache` makes that call (install.sh drops the binary it installs the same way).
 */
export function dropPageCache(path: string): boolean {
  const dd = Bun.which("dd");
  if (!dd) return false;
  return Bun.spawnSync([dd, `if=${path}`, "iflag=nocache", "count=0", "status=none"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}
