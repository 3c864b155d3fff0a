// The two device faults a fleet page flags from a device's latest values: a failing power supply
// (any under-voltage flag of the `power` item, now, since boot or the latched hwmon alarm) and
// storage near the end of its life (the highest `*.wear_*` of `storage_health`, percent used).

/** The storage wear (percent used) from which the fleet page flags a device, as the default alert rule. */
export const STORAGE_WEAR_FLAG = 90;

function _numbers(value: unknown): [string, number][] {
  if (!value || typeof value !== "object" || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]));
}

/** 1 when any under-voltage flag is set, 0 when none is, undefined without a `power` item. */
export function underVoltage(power: unknown): number | undefined {
  const flags = _numbers(power).filter(([key]) => key.includes("under_voltage"));
  if (flags.length === 0) return undefined;
  return flags.some(([, value]) => value > 0) ? 1 : 0;
}

/** The most worn storage's percent used, undefined without wear figures. */
export function storageWear(health: unknown): number | undefined {
  const wear = _numbers(health).filter(([key]) => /\.wear_[a-z]+$/.test(key)).map(([, value]) => value);
  return wear.length ? Math.max(...wear) : undefined;
}
