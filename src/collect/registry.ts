import type { ItemDef } from "./item.ts";
import { battery, batteryStatusItem } from "./items/battery.ts";
import { lastBoot } from "./items/boot.ts";
import { cpuFrequency } from "./items/cpu-frequency.ts";
import { cpu, cpuPerCpu } from "./items/cpu.ts";
import { deviceStatus } from "./items/device-status.ts";
import { diskusage } from "./items/disk.ts";
import { filesystems } from "./items/filesystems.ts";
import { load } from "./items/load-average.ts";
import { memory, memoryBytes } from "./items/memory.ts";
import { network } from "./items/network.ts";
import { processes } from "./items/processes.ts";
import { socketsInfoItem } from "./items/sockets.ts";
import { system } from "./items/system.ts";
import { temperature } from "./items/thermal.ts";
import { uptime } from "./items/uptime.ts";
import { wifi } from "./items/wifi.ts";
import { power } from "./items/power.ts";
import { gpu } from "./items/gpu.ts";
import { storageHealth } from "./items/storage-health.ts";
import { diskIo } from "./items/disk-io.ts";
import { containers } from "./items/containers.ts";
import { topProcessesItem } from "./items/top-processes.ts";
import { networkInterfaces } from "./items/network-interfaces.ts";

/** Built-in items in record order, the order of BUILTIN_IDS (record/builtin-ids.ts). */
export const builtinItems: readonly ItemDef[] = [
  deviceStatus,
  cpu,
  cpuPerCpu,
  memory,
  diskusage,
  lastBoot,
  batteryStatusItem,
  socketsInfoItem,
  load,
  uptime,
  memoryBytes,
  temperature,
  cpuFrequency,
  network,
  wifi,
  filesystems,
  battery,
  processes,
  system,
  power,
  gpu,
  storageHealth,
  diskIo,
  containers,
  topProcessesItem,
  networkInterfaces,
];
