import { defineCommand } from "citty";

export default defineCommand({
  meta: { name: "cron", description: "Manage the crontab line that runs push every period" },
  subCommands: {
    install: () => import("./install.ts").then((m) => m.default),
    remove: () => import("./remove.ts").then((m) => m.default),
    status: () => import("./status.ts").then((m) => m.default),
  },
});
