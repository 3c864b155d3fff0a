// The number of numeric entries in /proc, one per process.
import { defineItem } from "../item.ts";

export function countProcesses(entries: string[]): number {
  return entries.filter((name) => /^\d+$/.test(name)).length;
}

export const processes = defineItem({
  id: "processes",
  type: "count",
  read: (ic) => {
    const entries = ic.probe.list("/proc");
    if (entries.length === 0) throw new Error("/proc cannot be listed");
    return countProcesses(entries);
  },
});
