// /sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq (kHz), averaged over the CPUs that have one, in MHz.
import { defineItem } from "../item.ts";
import { round, sysNumber } from "../probe.ts";

export const cpuFrequency = defineItem({
  id: "cpu_frequency",
  type: "mhz",
  read: (ic) => {
    const khz = ic.probe
      .list("/sys/devices/system/cpu")
      .filter((name) => /^cpu\d+$/.test(name))
      .map((name) => sysNumber(ic.probe.maybeText(`/sys/devices/system/cpu/${name}/cpufreq/scaling_cur_freq`)))
      .filter((n): n is number => n !== undefined && n > 0);
    if (khz.length === 0) return undefined;
    return round(khz.reduce((a, b) => a + b, 0) / khz.length / 1000);
  },
});
