import type { CommandDef } from "citty";

/**
 * The command tree under `root`, loaded lazily so `collect` does not pay for `serve`. Only working
 * commands are listed. `root` is passed in for completions (nuxt/cli's initCompletions(main)).
 */
export const commandTree = (root: () => CommandDef<any>): Record<string, () => Promise<CommandDef<any>>> => ({
  collect: () => import("./collect.ts").then((m) => m.default),
  push: () => import("./push.ts").then((m) => m.default),
  spool: () => import("./spool/index.ts").then((m) => m.default),
  cron: () => import("./cron/index.ts").then((m) => m.default),
  serve: () => import("./serve.ts").then((m) => m.default),
  completions: () => import("./completions.ts").then((m) => m.completionsCommand(root())),
  id: () => import("./id.ts").then((m) => m.default),
  update: () => import("./update.ts").then((m) => m.default),
  ping: () => import("./ping.ts").then((m) => m.default),
  help: () => import("./help.ts").then((m) => m.helpCommand(root())),
});
