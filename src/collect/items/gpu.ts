// GPU load, clock and temperature as flat keys `gpuN.load` (%), `gpuN.mhz`, `gpuN.celsius`:
// Jetson: a devfreq device whose `device/load` exists (per-mille, /sys/class/devfreq/<gpu>/device/load;
// Nano/TX: /sys/devices/gpu.0/load) with `cur_freq` in Hz, and the `gpu-thermal` (`GPU-therm`) zone;
// AMD: /sys/class/drm/cardN/device/gpu_busy_percent, the `*` line of pp_dpm_sclk, hwmon temp1_input.
import { defineItem, type ItemContext } from "../item.ts";
import { clampPercent, round, sysNumber, sysValue } from "../probe.ts";
import { milliCelsius } from "./thermal.ts";

export interface GpuReading {
  load?: number;
  mhz?: number;
  celsius?: number;
}

/** pp_dpm_sclk ("0: 500Mhz\n1: 1800Mhz *\n") → the current clock in MHz, the line marked `*`. */
export function parseDpmClock(text: string | undefined): number | undefined {
  for (const line of (text ?? "").split("\n")) {
    const match = /^\s*\d+:\s*(\d+(?:\.\d+)?)\s*mhz\s*\*\s*$/i.exec(line);
    if (match) return Number(match[1]);
  }
  return undefined;
}

/** Jetson's `load` is per-mille (0–1000). */
export function perMilleToPercent(value: number | undefined): number | undefined {
  return value === undefined ? undefined : clampPercent(value / 10);
}

function _hzToMhz(hz: number | undefined): number | undefined {
  return hz === undefined ? undefined : round(hz / 1e6);
}

function _gpuZoneCelsius(ic: ItemContext): number | undefined {
  for (const zone of ic.probe.list("/sys/class/thermal").filter((n) => n.startsWith("thermal_zone"))) {
    const type = sysValue(ic.probe.maybeText(`/sys/class/thermal/${zone}/type`));
    if (type && /^gpu[-_]?therm/i.test(type)) return milliCelsius(ic.probe.maybeText(`/sys/class/thermal/${zone}/temp`));
  }
  return undefined;
}

function _jetsonGpus(ic: ItemContext): GpuReading[] {
  const { probe } = ic;
  const out: GpuReading[] = [];
  for (const dev of probe.list("/sys/class/devfreq")) {
    const dir = `/sys/class/devfreq/${dev}`;
    const load = sysNumber(probe.maybeText(`${dir}/device/load`));
    if (load === undefined) continue;
    out.push({ load: perMilleToPercent(load), mhz: _hzToMhz(sysNumber(probe.maybeText(`${dir}/cur_freq`))) });
  }
  // Older L4T kernels have the load file but no devfreq class link for it.
  if (out.length === 0) {
    const load = sysNumber(probe.maybeText("/sys/devices/gpu.0/load"));
    if (load !== undefined) out.push({ load: perMilleToPercent(load), mhz: _hzToMhz(sysNumber(probe.maybeText("/sys/devices/gpu.0/devfreq/57000000.gpu/cur_freq"))) });
  }
  return out;
}

function _amdGpus(ic: ItemContext): GpuReading[] {
  const { probe } = ic;
  const out: GpuReading[] = [];
  for (const card of probe.list("/sys/class/drm").filter((n) => /^card\d+$/.test(n))) {
    const dir = `/sys/class/drm/${card}/device`;
    const busy = sysNumber(probe.maybeText(`${dir}/gpu_busy_percent`));
    if (busy === undefined) continue;
    const hwmon = probe.list(`${dir}/hwmon`)[0];
    out.push({
      load: clampPercent(busy),
      mhz: parseDpmClock(probe.maybeText(`${dir}/pp_dpm_sclk`)),
      celsius: hwmon === undefined ? undefined : milliCelsius(probe.maybeText(`${dir}/hwmon/${hwmon}/temp1_input`)),
    });
  }
  return out;
}

/** Readings → `gpuN.key` numbers, skipping what a GPU does not expose. */
export function gpuKeys(gpus: GpuReading[]): Record<string, number> {
  const out: Record<string, number> = {};
  gpus.forEach((gpu, i) => {
    for (const key of ["load", "mhz", "celsius"] as const) {
      const value = gpu[key];
      if (value !== undefined) out[`gpu${i}.${key}`] = value;
    }
  });
  return out;
}

export const gpu = defineItem({
  id: "gpu",
  type: "number",
  read: (ic) => {
    const gpus = [..._jetsonGpus(ic), ..._amdGpus(ic)];
    // The SoC's GPU thermal zone belongs to its one integrated GPU (Jetson, Rockchip, Amlogic).
    const zone = _gpuZoneCelsius(ic);
    if (zone !== undefined) {
      if (gpus.length === 0) gpus.push({});
      if (gpus[0]!.celsius === undefined) gpus[0]!.celsius = zone;
    }
    const keys = gpuKeys(gpus);
    return Object.keys(keys).length === 0 ? undefined : keys;
  },
});
