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

export function parseDiskstats(text: string): DiskCounters[] {
  const out: DiskCounters[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    // major minor name, then 11 fields (kernel 2.6+), 15 (4.18, discards) or 17 (5.5, flushes).
    if (fields.length < 14) continue;
    const name = fields[2]!;
    const n = fields.slice(3, 14).map(Number);
    if (n.some((x) => !Number.isFinite(x) || x < 0)) continue;
    out.push({ name, readBytes: n[2]! * _SECTOR, writtenBytes: n[6]! * _SECTOR, ioMs: n[9]! });
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
