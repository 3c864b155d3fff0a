// The machine's facts a record carries in meta.host (record/host-facts.ts), read as
// telemetrics-client's telemetry.c reads them: os-release ID/VARIANT_ID/VERSION_ID, the first line
// of /sys/class/dmi/id/*, the first `model name` of /proc/cpuinfo; and the device-tree model
// (/proc/device-tree/model, or /sys/firmware/devicetree/base/model) that boards have instead of DMI.
import type { HostFacts } from "../record/host-facts.ts";
import { MAX_FACT_LENGTH } from "../record/rules.ts";
import type { Probe } from "./probe.ts";
import { osRelease } from "./items/system.ts";


/** The value of the first `model name : …` line, or undefined when there is none (arm64). */
export function parseCpuModel(cpuinfo: string): string | undefined {
  const match = /^model name\s*:[ \t]*(.*)$/m.exec(cpuinfo);
  return match ? match[1]!.trim().slice(0, MAX_FACT_LENGTH) : undefined;
}

/** A sysfs or device-tree value: its first line without padding and the device tree's trailing NUL. */
export function firstLine(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return (text.split("\n")[0] ?? "").replace(/\0+$/, "").trim().slice(0, MAX_FACT_LENGTH);
}

const _DMI = {
  sysVendor: "sys_vendor",
  productName: "product_name",
  productVersion: "product_version",
  boardName: "board_name",
  boardVendor: "board_vendor",
  biosVersion: "bios_version",
} as const;

export function readHostFacts(probe: Probe): HostFacts {
  const release = osRelease(probe);
  const facts: HostFacts = {};
  const set = (key: keyof HostFacts, value: string | undefined) => {
    if (value !== undefined) facts[key] = value.trim().slice(0, MAX_FACT_LENGTH);
  };
  set("osId", release.ID);
  set("osVariantId", release.VARIANT_ID);
  set("osVersionId", release.VERSION_ID);
  for (const [key, file] of Object.entries(_DMI)) set(key as keyof HostFacts, firstLine(probe.maybeText(`/sys/class/dmi/id/${file}`)));
  const cpuinfo = probe.maybeText("/proc/cpuinfo");
  if (cpuinfo !== undefined) set("cpuModel", parseCpuModel(cpuinfo));
  set("deviceTreeModel", firstLine(probe.maybeText("/proc/device-tree/model") ?? probe.maybeText("/sys/firmware/devicetree/base/model")));
  return facts;
}
