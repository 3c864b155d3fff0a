// The seal job's nudge (every accepted push asks it): a head past SEAL_EAGER_RECORDS starts a pass
// at once, but a head that the last pass could not shrink (a dense hour: nothing before any
// device's open hour) does not start one on every push; it waits for a fifth more rows.
import { expect, test } from "bun:test";
import { sealJob, SEAL_EAGER_RECORDS } from "../../src/serve/jobs/seal.ts";
import type { Store } from "../../src/serve/store.ts";

/** The two calls the job makes of a store, with a head that only grows and a seal that seals nothing. */
function unsealableHead() {
  const s = { head: 0, passes: 0 };
  const store = {
    stats: () => ({ headRecords: s.head }),
    seal: async () => {
      s.passes++;
      return 0;
    },
  } as unknown as Store;
  return { s, job: sealJob(store, () => Date.now(), { error: () => {} } as never) };
}

test("a nudge below the bound starts no pass; past it, one pass, and the next only after the head grew a fifth of the bound", async () => {
  const { s, job } = unsealableHead();
  s.head = SEAL_EAGER_RECORDS - 1;
  job.nudge();
  await job.settled?.();
  expect(s.passes).toBe(0);
  s.head = SEAL_EAGER_RECORDS;
  job.nudge();
  job.nudge(); // while it runs: no second pass
  await job.settled?.();
  expect(s.passes).toBe(1);
  for (let i = 0; i < 100; i++) {
    s.head++;
    job.nudge();
    await job.settled?.();
  }
  expect(s.passes).toBe(1);
  s.head = SEAL_EAGER_RECORDS + SEAL_EAGER_RECORDS / 5;
  job.nudge();
  await job.settled?.();
  expect(s.passes).toBe(2);
});

test("the periodic run is not held back by the nudge's bound", async () => {
  const { s, job } = unsealableHead();
  s.head = SEAL_EAGER_RECORDS;
  await job.run();
  await job.run();
  expect(s.passes).toBe(2);
});
