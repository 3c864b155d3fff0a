// What each item added for issue 14 costs inside one collect run (in-process, so Bun's startup is
// not counted): the median of 40 runs (after 5 warm-up runs) of `runCollect` with `items.only` =
// that item, minus the same with only `uptime`, over this machine's /, for containers over the docker-host fixture, and for top_processes over a generated
// /proc of 500 processes.
//   bun bench/items.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCollect } from "../src/collect/run.ts";
import { resolveConfig } from "../src/config/load.ts";
import { createContext } from "../src/context.ts";
import { createLogger } from "../src/log.ts";
import { tempDir } from "../test/helpers/context.ts";

const RUNS = 40;
const ITEMS = ["power", "gpu", "storage_health", "disk_io", "containers", "top_processes", "network_interfaces"];

/** A /proc of `n` processes: a stat and a status file each, as the kernel writes them. */
function processTree(dir: string, n: number): void {
  mkdirSync(join(dir, "proc/sys/kernel/random"), { recursive: true });
  writeFileSync(join(dir, "proc/uptime"), "86400.00 300000.00\n");
  writeFileSync(join(dir, "proc/sys/kernel/random/boot_id"), "00000000-0000-4000-8000-000000000000\n");
  for (let pid = 1; pid <= n; pid++) {
    mkdirSync(join(dir, `proc/${pid}`));
    const rest = `S 1 ${pid} ${pid} 0 -1 4194560 100 0 1 0 ${pid * 37} ${pid * 11} 0 0 20 0 1 0 ${pid * 100} 10000000 ${pid * 13} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0`;
    writeFileSync(join(dir, `proc/${pid}/stat`), `${pid} (proc-${pid}) ${rest}\n`);
    writeFileSync(join(dir, `proc/${pid}/status`), `Name:\tproc-${pid}\nVmRSS:\t${pid * 52} kB\n`);
  }
}

async function median(root: string, id: string, home: string): Promise<number> {
  const ctx = createContext({ home }, { log: createLogger(1, () => {}), write: () => {} });
  const config = resolveConfig({ collect: { rootfs: root }, items: { only: [id] } }, "bench", []);
  for (let i = 0; i < 5; i++) await runCollect(ctx, config); // warm-up: JIT, page cache
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await runCollect(ctx, config);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[RUNS >> 1]!;
}

const tree = tempDir("bagtower-bench-items-");
const home = tempDir("bagtower-bench-home-");
try {
  processTree(tree.dir, 500);
  const baseline = await median("/", "uptime", home.dir);
  console.log(`baseline (runCollect with only uptime, over /): ${baseline.toFixed(2)} ms`);
  for (const id of ITEMS) console.log(`${id} over / : +${((await median("/", id, home.dir)) - baseline).toFixed(2)} ms`);
  const processes = (await import("node:fs")).readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length;
  console.log(`(this machine has ${processes} processes)`);
  const docker = join(import.meta.dir, "../test/fixtures/proc/docker-host");
  const dockerBase = await median(docker, "uptime", home.dir);
  console.log(`containers over test/fixtures/proc/docker-host (5 containers): +${((await median(docker, "containers", home.dir)) - dockerBase).toFixed(2)} ms`);
  const treeBase = await median(tree.dir, "uptime", home.dir);
  console.log(`top_processes over 500 generated processes: +${((await median(tree.dir, "top_processes", home.dir)) - treeBase).toFixed(2)} ms`);
} finally {
  tree.cleanup();
  home.cleanup();
}
