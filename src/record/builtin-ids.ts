/**
 * The built-in item ids in record order (SPEC §4.2): the BAG·Tower defaults first, then the rest.
 * They live with the record, not the collectors, because the receiver needs them to read its own
 * wire formats back (pattoo keys, Influx fields) without loading every collector.
 */
const _IDS = [
  "deviceStatus",
  "cpu",
  "cpu_per_cpu",
  "memory",
  "diskusage",
  "last_boot",
  "battery_status",
  "sockets_info",
  "load",
  "uptime",
  "memory_bytes",
  "temperature",
  "cpu_frequency",
  "network",
  "wifi",
  "filesystems",
  "battery",
  "processes",
  "system",
  "power",
  "gpu",
  "storage_health",
  "disk_io",
  "containers",
  "top_processes",
  "network_interfaces",
] as const;

export type BuiltinId = (typeof _IDS)[number];

export const BUILTIN_IDS: readonly string[] = _IDS;
