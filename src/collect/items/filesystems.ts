// /proc/mounts, real filesystems only (no proc, sysfs, tmpfs, overlay, squashfs, cgroup…), one per
// device; each statfs'd with `df` semantics; a mount that does not answer within collect.timeoutMs
// (a dead NFS server) is skipped and reported.
import { errorMessage } from "../../errors.ts";
import { defineItem } from "../item.ts";
import { diskPercent } from "./disk.ts";

export interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
}

/** Filesystems that hold no user data: kernel interfaces, RAM, container layers, read-only images. */
const _VIRTUAL = new Set([
  "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts", "devtmpfs",
  "efivarfs", "fusectl", "fuse.gvfsd-fuse", "fuse.lxcfs", "fuse.portal", "hugetlbfs", "mqueue", "nsfs",
  "overlay", "proc", "pstore", "ramfs", "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "sysfs",
  "tmpfs", "tracefs", "nfsd", "iso9660", "zram", "aufs",
]);

/** The kernel escapes space, tab, newline and backslash in mount fields as octal (\040). */
function _unescape(field: string): string {
  if (!field.includes("\\")) return field; // nearly every field: no regular expression to run
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export function parseMounts(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split("\n")) {
    const [device, mountpoint, fstype] = line.trim().split(/\s+/);
    if (!device || !mountpoint?.startsWith("/") || !fstype) continue;
    out.push({ device: _unescape(device), mountpoint: _unescape(mountpoint), fstype });
  }
  return out;
}

/** Mounts worth reporting: real filesystems, the first mount of each device (bind mounts repeat it). */
export function realMounts(mounts: Mount[]): Mount[] {
  const seen = new Set<string>();
  return mounts.filter((m) => {
    if (_VIRTUAL.has(m.fstype) || m.fstype.startsWith("cgroup") || seen.has(m.device)) return false;
    seen.add(m.device);
    return true;
  });
}

/** Filesystems whose statfs waits on a server or a user-space daemon, and so can hang. */
export function mayHang(fstype: string): boolean {
  return /^(nfs4?|cifs|smb3?|smbfs|ceph|glusterfs|9p|afs|lustre|beegfs|gpfs|davfs|fuse(\..*)?)$/.test(fstype);
}

const _TIMED_OUT = Symbol("timeout");

export const filesystems = defineItem({
  id: "filesystems",
  type: "percent",
  read: async (ic) => {
    const mounts = realMounts(parseMounts(ic.probe.text("/proc/mounts")));
    const timeoutMs = ic.settings.timeoutMs;
    const results = await Promise.all(
      mounts.map(async (m) => {
        let timer: Timer | undefined;
        const timeout = new Promise<typeof _TIMED_OUT>((resolve) => {
          timer = setTimeout(() => resolve(_TIMED_OUT), timeoutMs);
        });
        try {
          const stats = await Promise.race([ic.probe.statfs(m.mountpoint, mayHang(m.fstype)), timeout]);
          if (stats === _TIMED_OUT) {
            ic.warn("filesystems", `${m.mountpoint}: no answer within ${timeoutMs} ms, skipped`);
            return undefined;
          }
          return [m.mountpoint, diskPercent(stats)] as const;
        } catch (error) {
          ic.warn("filesystems", `${m.mountpoint}: ${errorMessage(error)}`);
          return undefined;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const out: Record<string, number> = {};
    for (const entry of results) if (entry) out[entry[0]] = entry[1];
    return out;
  },
});
