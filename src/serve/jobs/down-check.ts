import type { Job } from "./schedule.ts";

/** Marks devices silent for twice their period DOWN (SPEC §9): one UPDATE per turn. */
export function downCheckJob(checkDown: () => void): Job {
  return { name: "down-check", everyMs: 5000, run: checkDown };
}
