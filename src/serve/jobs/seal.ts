import type { Logger } from "../../log.ts";
import type { Store } from "../store.ts";
import type { Job } from "./schedule.ts";

/**
 * Moves the head into compressed chunks (store.seal): every few seconds, and at once when the
 * head grows past a bound under a heavy load, so the head stays small on disk. The store yields to
 * requests between its seal transactions.
 */
const _EVERY_MS = 10_000;
/** Head records at which a push triggers a seal before the period is up. */
export const SEAL_EAGER_RECORDS = 50_000;

export function sealJob(store: Store, now: () => number, log: Logger): Job & { nudge(): void } {
  let running: Promise<void> | undefined;
  /** The head a pass left: a nudge waits for the head to grow well past it. */
  let headLeft = 0;
  const run = () => {
    running ??= store
      .seal(now())
      .then(() => void (headLeft = store.stats().headRecords))
      .catch((error: unknown) => log.error(`seal: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (running = undefined));
    return running;
  };
  return {
    name: "seal",
    everyMs: _EVERY_MS,
    run,
    nudge() {
      // A head that a pass could not shrink (every device inside its open hour: a dense load of
      // one hour) is not sealable until an hour ends or a device falls silent; running the pass
      // again on every push would only repeat its work, so a nudge waits for a fifth more.
      const head = store.stats().headRecords;
      if (!running && head >= SEAL_EAGER_RECORDS && head >= headLeft + SEAL_EAGER_RECORDS / 5) void run();
    },
    settled: async () => {
      await running;
    },
  };
}
