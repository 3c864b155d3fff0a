// /sys/class/power_supply/*: a `Battery` supply → PLUGGED when a Mains/USB supply is online or the
// battery reports Charging/Full, else UNPLUGGED; no battery → NO_BATTERY. The level is `capacity`,
// or energy_now / energy_full (charge_now / charge_full on some firmware).
import { defineItem, type ItemContext } from "../item.ts";
import { clampPercent, sysNumber, sysValue } from "../probe.ts";

export interface PowerSupply {
  name: string;
  type?: string;
  scope?: string;
  online?: number;
  status?: string;
  capacity?: number;
  energyNow?: number;
  energyFull?: number;
  energyFullDesign?: number;
}

export function readPowerSupplies(ic: ItemContext): PowerSupply[] {
  return ic.probe.once("power_supply", () =>
    ic.probe.list("/sys/class/power_supply").map((name) => {
      const attr = (file: string) => ic.probe.maybeText(`/sys/class/power_supply/${name}/${file}`);
      return {
        name,
        type: sysValue(attr("type")),
        scope: sysValue(attr("scope")),
        online: sysNumber(attr("online")),
        status: sysValue(attr("status")),
        capacity: sysNumber(attr("capacity")),
        energyNow: sysNumber(attr("energy_now")) ?? sysNumber(attr("charge_now")),
        energyFull: sysNumber(attr("energy_full")) ?? sysNumber(attr("charge_full")),
        energyFullDesign: sysNumber(attr("energy_full_design")) ?? sysNumber(attr("charge_full_design")),
      };
    }),
  );
}

/** The system's batteries: peripherals (a wireless mouse, scope=Device) are not the device's power. */
function _batteries(supplies: PowerSupply[]): PowerSupply[] {
  return supplies.filter((s) => s.type === "Battery" && s.scope !== "Device");
}

export function batteryStatus(supplies: PowerSupply[]): "PLUGGED" | "UNPLUGGED" | "NO_BATTERY" {
  const batteries = _batteries(supplies);
  if (batteries.length === 0) return "NO_BATTERY";
  const external = supplies.some((s) => (s.type === "Mains" || s.type === "USB") && s.online === 1);
  const charging = batteries.some((b) => b.status === "Charging" || b.status === "Full");
  return external || charging ? "PLUGGED" : "UNPLUGGED";
}

/** Level of all batteries together (energy-weighted when known), plus health when the design capacity is known. */
export function batteryLevel(supplies: PowerSupply[]): Record<string, number> | undefined {
  const batteries = _batteries(supplies);
  if (batteries.length === 0) return undefined;
  let now = 0;
  let full = 0;
  let design = 0;
  for (const b of batteries) {
    if (b.energyNow === undefined || !b.energyFull) continue;
    now += b.energyNow;
    full += b.energyFull;
    design += b.energyFullDesign ?? 0;
  }
  const capacities = batteries.map((b) => b.capacity).filter((c): c is number => c !== undefined);
  let percent: number;
  if (capacities.length === batteries.length) percent = capacities.reduce((a, b) => a + b, 0) / capacities.length;
  else if (full > 0) percent = (now / full) * 100;
  else return undefined;
  const level: Record<string, number> = { percent: clampPercent(percent) };
  if (full > 0 && design > 0) level.health_percent = clampPercent((full / design) * 100);
  return level;
}

export const batteryStatusItem = defineItem({ id: "battery_status", type: "string", read: (ic) => batteryStatus(readPowerSupplies(ic)) });

export const battery = defineItem({ id: "battery", type: "percent", read: (ic) => batteryLevel(readPowerSupplies(ic)) });
