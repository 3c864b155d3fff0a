// The idle-gc job (src/serve/jobs/idle-gc.ts): one full collection per quiet spell after requests,
// a compaction of the store's caches only when the heap is fragmented, tried again the next quiet
// second when a seal refused it, never while requests come in. The heap figures are given, so the
// decisions are checked exactly; the store's side of a compaction is test/unit/store-compact.test.ts.
import { describe, expect, test } from "bun:test";
import { idleGcJob } from "../../src/serve/jobs/idle-gc.ts";

const MiB = 2 ** 20;

function harness(heapUsed: number, heapTotal: number, refusals = 0) {
  let handled = 0;
  const calls: string[] = [];
  let refuse = refusals;
  const job = idleGcJob(
    () => handled,
    (collect) => {
      calls.push("compact");
      if (refuse-- > 0) return false;
      collect();
      return true;
    },
    () => ({ heapUsed, heapTotal }),
    () => calls.push("collect"),
  );
  return {
    calls,
    request: () => handled++,
    tick: () => job.run(),
  };
}

describe("idle-gc job", () => {
  test("nothing before the first request, nothing while requests come in; one collection once they stop", () => {
    const h = harness(10 * MiB, 12 * MiB);
    h.tick();
    h.tick();
    expect(h.calls).toEqual([]);
    h.request();
    h.tick(); // a request since the last look: busy
    h.request();
    h.tick();
    expect(h.calls).toEqual([]);
    h.tick(); // a quiet second
    h.tick();
    h.tick();
    expect(h.calls).toEqual(["collect"]);
  });

  test("a fragmented heap (16 MiB and half of it unused) has the store compact its caches, once", () => {
    const h = harness(12 * MiB, 54 * MiB);
    h.request();
    h.tick();
    h.tick();
    h.tick();
    expect(h.calls).toEqual(["collect", "compact", "collect"]);
  });

  test("a heap with little unused, or unused space under 16 MiB, is only collected", () => {
    for (const [used, total] of [
      [40 * MiB, 70 * MiB],
      [4 * MiB, 19 * MiB],
    ]) {
      const h = harness(used!, total!);
      h.request();
      h.tick();
      h.tick();
      expect(h.calls).toEqual(["collect"]);
    }
  });

  test("a compaction refused (a seal under way) is tried again each quiet second until taken, without collecting again first", () => {
    const h = harness(12 * MiB, 54 * MiB, 2);
    h.request();
    h.tick();
    h.tick();
    expect(h.calls).toEqual(["collect", "compact"]);
    h.tick();
    expect(h.calls).toEqual(["collect", "compact", "compact"]);
    h.tick();
    h.tick();
    expect(h.calls).toEqual(["collect", "compact", "compact", "compact", "collect"]);
  });
});
