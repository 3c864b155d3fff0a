// uname-equivalent files: /proc/sys/kernel/osrelease and /arch, /etc/os-release PRETTY_NAME, and the
// model from /proc/device-tree/model (boards) or DMI (PCs and servers).
import { defineItem, type ItemContext } from "../item.ts";
import { sysValue, type Probe } from "../probe.ts";

/** os-release `KEY=value` lines; values may be quoted, with backslash escapes inside. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1).replace(/\\(.)/g, "$1");
    }
    out[match[1]!] = value;
  }
  return out;
}

/** The machine's os-release, read and parsed once per run (the system item and meta.host both use it). */
export function osRelease(probe: Probe): Record<string, string> {
  return probe.once("os-release", () => parseOsRelease(probe.maybeText("/etc/os-release") ?? probe.maybeText("/usr/lib/os-release") ?? ""));
}

/** The device-tree model ends with a NUL byte; DMI names are padded with spaces. */
export function readModel(ic: ItemContext): string | undefined {
  const tree = ic.probe.maybeText("/proc/device-tree/model")?.replace(/\0+$/, "").trim();
  if (tree) return tree;
  const dmi = (file: string) => sysValue(ic.probe.maybeText(`/sys/class/dmi/id/${file}`));
  const vendor = dmi("sys_vendor");
  // Lenovo puts the marketing name in product_version and a part number in product_name.
  const product = vendor === "LENOVO" ? (dmi("product_version") ?? dmi("product_name")) : dmi("product_name");
  const model = [vendor, product].filter(Boolean).join(" ");
  return model || undefined;
}

export const system = defineItem({
  id: "system",
  type: "string",
  read: (ic) => {
    const release = osRelease(ic.probe);
    const out: Record<string, string> = {
      kernel: sysValue(ic.probe.maybeText("/proc/sys/kernel/osrelease")) ?? "unknown",
      os: release.PRETTY_NAME ?? release.NAME ?? "Linux",
      arch: sysValue(ic.probe.maybeText("/proc/sys/kernel/arch")) ?? ic.machineArch,
    };
    const model = readModel(ic);
    if (model) out.model = model;
    return out;
  },
});
