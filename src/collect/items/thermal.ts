// /sys/class/thermal/thermal_zone*/temp (named by `type`) and /sys/class/hwmon/hwmon*/temp*_input
// (named `name/label`, or `name/tempN` without a label); millidegrees → °C; readings outside
// −40…200 °C are sensor errors (an absent sensor often reads −273) and are dropped.
import { defineItem, type ItemContext } from "../item.ts";
import { round, sysNumber, sysValue } from "../probe.ts";

export function milliCelsius(text: string | undefined): number | undefined {
  const milli = sysNumber(text);
  if (milli === undefined) return undefined;
  const celsius = milli / 1000;
  return celsius < -40 || celsius > 200 ? undefined : round(celsius);
}

/** Adds a reading under a unique name: a second `coretemp/Package id 0` becomes `…_2`. */
function _put(out: Record<string, number>, name: string, value: number): void {
  let key = name;
  for (let n = 2; key in out; n++) key = `${name}_${n}`;
  out[key] = value;
}

export function readTemperatures(ic: ItemContext): Record<string, number> {
  const { probe } = ic;
  const out: Record<string, number> = {};
  for (const zone of probe.list("/sys/class/thermal").filter((n) => n.startsWith("thermal_zone"))) {
    const dir = `/sys/class/thermal/${zone}`;
    const value = milliCelsius(probe.maybeText(`${dir}/temp`));
    if (value !== undefined) _put(out, sysValue(probe.maybeText(`${dir}/type`)) ?? zone, value);
  }
  for (const hwmon of probe.list("/sys/class/hwmon")) {
    const dir = `/sys/class/hwmon/${hwmon}`;
    const name = sysValue(probe.maybeText(`${dir}/name`)) ?? hwmon;
    for (const file of probe.list(dir)) {
      const match = /^(temp\d+)_input$/.exec(file);
      if (!match) continue;
      const value = milliCelsius(probe.maybeText(`${dir}/${file}`));
      if (value === undefined) continue;
      _put(out, `${name}/${sysValue(probe.maybeText(`${dir}/${match[1]}_label`)) ?? match[1]}`, value);
    }
  }
  return out;
}

export const temperature = defineItem({
  id: "temperature",
  type: "celsius",
  read: (ic) => {
    const temps = readTemperatures(ic);
    return Object.keys(temps).length === 0 ? undefined : temps;
  },
});
