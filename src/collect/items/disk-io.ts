// /proc/diskstats per whole block device: `dev.read_bytes` and `dev.written_bytes` (sectors × 512,
// the kernel's fixed diskstats sector whatever the device's own), `dev.io_ms` (time with I/O in
// flight; its rate over a window is the busy fraction). Partitions (and an eMMC's boot areas),
// loop, ram, zram and floppy devices are skipped, and device-mapper volumes unless they are all
// there is (beside a disk, their I/O is the disk's again).
import { defineItem } from "../item.ts";

export interface DiskCounters {
  name: string;
  readBytes: number;
  writtenBytes: number;
  ioMs: number;
}

const _SECTOR = 512;

/**
 * major minor name, then 11 fields (kernel 2.6+), 15 (4.18, discards) or 17 (5.5, flushes); the
 * first 11 must be whole numbers. Captured: sectors read (3rd), sectors written (7th), ms doing
 * I/O (10th). One regular expression a line: splitting each into its 20 fields cost twice as much.
 */
const _DISKSTATS = /^\s*\d+\s+\d+\s+(\S+)\s+\d+\s+\d+\s+(\d+)\s+\d+\s+\d+\s+\d+\s+(\d+)\s+\d+\s+\d+\s+(\d+)\s+\d+(?:\s|$)/;

export function parseDiskstats(text: string): DiskCounters[] {
  const out: DiskCounters[] = [];
  for (const line of text.split("\n")) {
    const m = _DISKSTATS.exec(line);
    if (m) out.push({ name: m[1]!, readBytes: Number(m[2]) * _SECTOR, writtenBytes: Number(m[3]) * _SECTOR, ioMs: Number(m[4]) });
  }
  return out;
}

/** Not storage a fleet owner watches: loop, ram and zram devices, and the floppy a VM emulates. */
const _VIRTUAL = /^(?:loop|ram|zram|fd)\d+$/;
/** An eMMC's boot and RPMB areas: /sys/block lists them as disks, but they are the same chip's hardware partitions. */
const _EMMC_AREA = /^mmcblk\d+(?:boot\d+|rpmb)$/;
const _PARTITION = /^(?:(?:[hsv]|xv)d[a-z]+\d+|(?:nvme\d+n\d+|mmcblk\d+|nbd\d+)p\d+)$/;
const _DM = /^dm-\d+$/;

/**
 * The devices worth a series: whole disks (those /sys/block lists, when it can be read; else not
 * named like a partition), never loop/ram/zram, never a device that has done no I/O since boot (the
 * 16 idle nbd devices), and dm-N only when no plain disk is left (a VM whose only view is LVM).
 */
export function realDisks(disks: DiskCounters[], wholeDisks: readonly string[]): DiskCounters[] {
  const whole = new Set(wholeDisks);
  const candidates = disks.filter(
    (d) =>
      !_VIRTUAL.test(d.name) &&
      !_EMMC_AREA.test(d.name) &&
      (whole.size > 0 ? whole.has(d.name) : !_PARTITION.test(d.name)) &&
      d.readBytes + d.writtenBytes + d.ioMs > 0,
  );
  const plain = candidates.filter((d) => !_DM.test(d.name));
  return plain.length > 0 ? plain : candidates;
}

export function diskIoKeys(disks: DiskCounters[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of disks) {
    out[`${d.name}.read_bytes`] = d.readBytes;
    out[`${d.name}.written_bytes`] = d.writtenBytes;
    out[`${d.name}.io_ms`] = d.ioMs;
  }
  return out;
}

export const diskIo = defineItem({
  id: "disk_io",
  type: "counter",
  read: (ic) => {
    const text = ic.probe.maybeText("/proc/diskstats");
    if (text === undefined) return undefined;
    const keys = diskIoKeys(realDisks(parseDiskstats(text), ic.probe.list("/sys/block")));
    return Object.keys(keys).length === 0 ? undefined : keys;
  },
});
