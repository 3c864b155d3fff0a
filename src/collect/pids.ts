import type { Probe } from "./probe.ts";

const _PID = /^\d+$/;

/**
 * The ids of the processes in /proc (its numeric entries), ascending; [] when /proc cannot be
 * listed. Listed once per run: `processes` counts them and `top_processes` reads each one.
 */
export function processIds(probe: Probe): number[] {
  return probe.once("pids", () => {
    const pids: number[] = [];
    for (const name of probe.list("/proc")) if (_PID.test(name)) pids.push(Number(name));
    return pids.sort((a, b) => a - b);
  });
}
