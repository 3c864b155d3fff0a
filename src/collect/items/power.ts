// Raspberry Pi firmware `get_throttled` (hex, /sys/devices/platform/{soc,scb,axi}/…:firmware/get_throttled):
// bits 0–3 under-voltage, ARM frequency capped, throttled, soft temperature limit now, bits 16–19 the
// same "has occurred since boot"; plus hwmon `rpi_volt` in0_lcrit_alarm, the latched under-voltage
// alarm. Both are read because the kernel's hwmon poll clears the firmware's "has occurred" bits.
import { defineItem, type ItemContext } from "../item.ts";
import { sysNumber, sysValue } from "../probe.ts";

const _FLAGS = ["under_voltage", "freq_capped", "throttled", "soft_temp_limit"] as const;
const _SINCE_BOOT_SHIFT = 16;

/** The buses a Pi's firmware node hangs off: `soc` (Pi 0–4), `scb` and `axi` (Pi 4 and 5 device trees). */
const _FIRMWARE_BUSES = ["soc", "scb", "axi"];

/** get_throttled text ("50005", or "0x50005" as vcgencmd prints it) → its bits; undefined when not hex. */
export function parseThrottled(text: string | undefined): number | undefined {
  const value = sysValue(text)?.replace(/^0x/i, "");
  if (value === undefined || !/^[0-9a-f]{1,8}$/i.test(value)) return undefined;
  return Number.parseInt(value, 16);
}

/** The flags as 0/1 numbers, now and since boot, so alert rules can test them (`>= 1`). */
export function throttledFlags(bits: number): Record<string, number> {
  const out: Record<string, number> = {};
  _FLAGS.forEach((name, i) => {
    out[name] = (bits >>> i) & 1;
    out[`${name}_since_boot`] = (bits >>> (i + _SINCE_BOOT_SHIFT)) & 1;
  });
  return out;
}

function _readThrottled(ic: ItemContext): number | undefined {
  const { probe } = ic;
  for (const bus of _FIRMWARE_BUSES) {
    for (const node of probe.list(`/sys/devices/platform/${bus}`).filter((n) => n.endsWith(":firmware"))) {
      const bits = parseThrottled(probe.maybeText(`/sys/devices/platform/${bus}/${node}/get_throttled`));
      if (bits !== undefined) return bits;
    }
  }
  return undefined;
}

function _readVoltAlarm(ic: ItemContext): number | undefined {
  for (const hwmon of ic.probe.list("/sys/class/hwmon")) {
    const dir = `/sys/class/hwmon/${hwmon}`;
    if (sysValue(ic.probe.maybeText(`${dir}/name`)) !== "rpi_volt") continue;
    const alarm = sysNumber(ic.probe.maybeText(`${dir}/in0_lcrit_alarm`));
    if (alarm !== undefined) return alarm > 0 ? 1 : 0;
  }
  return undefined;
}

export const power = defineItem({
  id: "power",
  type: "number",
  read: (ic) => {
    const bits = _readThrottled(ic);
    const alarm = _readVoltAlarm(ic);
    if (bits === undefined && alarm === undefined) return undefined;
    return { ...(bits === undefined ? {} : throttledFlags(bits)), ...(alarm === undefined ? {} : { under_voltage_alarm: alarm }) };
  },
});
