import { errorMessage } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { AlertEngine } from "../alerts/engine.ts";
import type { Job } from "./schedule.ts";

/** Deletes alerts resolved longer ago than serve --alert-history, and their history; the engine yields between batches. */
export function alertHistoryJob(alerts: AlertEngine, keep: { ms: number; text: string }, now: () => number, log: Logger): Job {
  let running: Promise<void> | undefined;
  return {
    name: "alert-history",
    everyMs: 3600_000,
    atStart: true,
    run() {
      running ??= alerts
        .prune(Math.floor((now() - keep.ms) / 1000))
        .then((removed) => {
          if (removed > 0) log.info(`alert history: removed ${removed} alerts resolved more than ${keep.text} ago`);
        })
        .catch((error) => log.error(`alert history: ${errorMessage(error)}`))
        .finally(() => (running = undefined));
      return running;
    },
    settled: async () => {
      await running;
    },
  };
}
