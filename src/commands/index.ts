import type { CommandDef } from "citty";

/** The command tree, loaded lazily so `collect` does not pay for `serve`. Only working commands are listed. */
export const commands: Record<string, () => Promise<CommandDef<any>>> = {
  collect: () => import("./collect.ts").then((m) => m.default),
  push: () => import("./push.ts").then((m) => m.default),
  spool: () => import("./spool/index.ts").then((m) => m.default),
  cron: () => import("./cron/index.ts").then((m) => m.default),
  serve: () => import("./serve.ts").then((m) => m.default),
  completions: () => import("./completions.ts").then((m) => m.default),
  id: () => import("./id.ts").then((m) => m.default),
};
