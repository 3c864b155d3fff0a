import { errorMessage } from "../../errors.ts";
import type { Logger } from "../../log.ts";

/**
 * A background job of the receiver (beszel's hub registers its rollups and deletions the same
 * way): a name, a period, and one bounded turn. A turn still running when the next is due is not
 * started twice; each job coalesces its own turns.
 */
export interface Job {
  name: string;
  everyMs: number;
  /** Also run one turn at start (retention after a long stop, the first self push). */
  atStart?: boolean;
  run(): void | Promise<void>;
  /** Resolves once the turn in flight is done: stop waits for it before the store closes. */
  settled?(): Promise<void>;
}

/** Periods by job name, to shorten them in tests. */
export type JobPeriods = Partial<Record<string, number>>;

export function scheduleJobs(jobs: Job[], periods: JobPeriods, log: Logger): { stop(): Promise<void> } {
  const turn = (job: Job) => {
    try {
      void Promise.resolve(job.run()).catch((error) => log.error(`${job.name}: ${errorMessage(error)}`));
    } catch (error) {
      log.error(`${job.name}: ${errorMessage(error)}`);
    }
  };
  for (const job of jobs) if (job.atStart) turn(job);
  const timers = jobs.map((job) => setInterval(() => turn(job), periods[job.name] ?? job.everyMs));
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(jobs.map((job) => job.settled?.()));
    },
  };
}
