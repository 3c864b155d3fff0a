// Records of every fixture device, so a test of the wire names sees every item: the golden records
// (pi4, laptop, server) and records collected over the trees of the newer items (power flags on,
// GPU, eMMC wear, containers with a CPU window), each with its own device id.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { runCollect } from "../../src/collect/run.ts";
import { resolveConfig } from "../../src/config/load.ts";
import { STATE_FILES } from "../../src/paths.ts";
import { recordSchema, type BagtowerRecord } from "../../src/record/schema.ts";
import { writeState } from "../../src/state.ts";
import { FIXTURES, testContext } from "./context.ts";

const GOLDEN = ["pi4", "laptop", "server"] as const;
const TREES = ["pi4-undervolt", "pi5", "jetson-orin", "docker-host"] as const;
/** The items those trees hold files for (they are trimmed to the newer items). */
const _TREE_ITEMS = ["temperature", "network", "power", "gpu", "storage_health", "disk_io", "containers", "network_interfaces"];

/** The docker-host tree's boot id, which the containers' CPU window must match. */
const _DOCKER_BOOT = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e";

/** Every fixture device's record, collected at `nowMs` (the goldens keep their own timestamps unless `nowMs` restamps them). */
export async function fixtureRecords(nowMs: number, restampGoldens = false): Promise<BagtowerRecord[]> {
  const records = GOLDEN.map((name) => {
    const record = v.parse(recordSchema, JSON.parse(readFileSync(join(FIXTURES, name, "expected.json"), "utf8")));
    if (!restampGoldens) return record;
    const unixTimestamp = Math.floor(nowMs / 1000);
    return { ...record, unixTimestamp, UTCTimestamp: new Date(unixTimestamp * 1000).toISOString() };
  });
  for (const tree of TREES) {
    const t = testContext({ now: () => nowMs });
    try {
      // A previous run 60 s earlier, so containers report CPU (web used 30 s of it: 50 %).
      writeState(t.ctx.paths.state, STATE_FILES.containersSample, { ms: nowMs - 60_000, bootId: _DOCKER_BOOT, usage: { [`docker:${"a1".repeat(32)}`]: 154_000_000 } });
      const config = resolveConfig({ deviceId: `${tree}-1`, tags: { site: "fixtures" }, collect: { rootfs: join(FIXTURES, tree) }, items: { only: _TREE_ITEMS } }, "test", []);
      records.push(await runCollect(t.ctx, config));
    } finally {
      t.cleanup();
    }
  }
  return records;
}
