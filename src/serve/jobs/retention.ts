import { errorMessage } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { Store } from "../store.ts";
import { formatDuration, type Retention } from "../tsdb/tiers.ts";
import type { Job } from "./schedule.ts";

/** Applies every tier's retention (store.applyRetention); the store yields between devices. */
export function retentionJob(store: Store, retention: Retention, now: () => number, log: Logger): Job {
  let running: Promise<void> | undefined;
  return {
    name: "retention",
    everyMs: 3600_000,
    atStart: true,
    run() {
      running ??= store
        .applyRetention(Math.floor(now() / 1000))
        .then((removed) => {
          if (removed > 0) log.info(`retention: removed ${removed} records older than ${formatDuration(retention.rawS)}`);
        })
        .catch((error) => log.error(`retention: ${errorMessage(error)}`))
        .finally(() => (running = undefined));
      return running;
    },
    settled: async () => {
      await running;
    },
  };
}
