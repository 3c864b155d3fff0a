// The number of numeric entries in /proc, one per process.
import { defineItem } from "../item.ts";
import { processIds } from "../pids.ts";

export const processes = defineItem({
  id: "processes",
  type: "count",
  read: (ic) => {
    const pids = processIds(ic.probe);
    if (pids.length === 0) throw new Error("/proc cannot be listed");
    return pids.length;
  },
});
