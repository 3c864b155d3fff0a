import { defineCommand } from "citty";

export default defineCommand({
  meta: { name: "spool", description: "Deliver, show, count, requeue or remove spooled records" },
  subCommands: {
    flush: () => import("./flush.ts").then((m) => m.default),
    list: () => import("./list.ts").then((m) => m.default),
    stats: () => import("./stats.ts").then((m) => m.default),
    purge: () => import("./purge.ts").then((m) => m.default),
    requeue: () => import("./requeue.ts").then((m) => m.default),
  },
});
