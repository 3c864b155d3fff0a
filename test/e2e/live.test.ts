// Reads this machine's real /proc and /sys: only this catches zero-size procfs reads and kernel
// format drift. Values differ per machine, so it checks shapes and ranges, and that nothing failed.
import { afterAll, expect, test } from "bun:test";
import { runCollect } from "../../src/collect/run.ts";
import { resolveConfig } from "../../src/config/load.ts";
import { createContext } from "../../src/context.ts";
import { BUILTIN_IDS } from "../../src/record/builtin-ids.ts";
import { tcpStatesViaNetlink } from "../../src/collect/netlink.ts";
import { parseTcpStates } from "../../src/collect/items/sockets.ts";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { testContext } from "../helpers/context.ts";

const t = testContext({ sleep: (ms) => Bun.sleep(ms), statfs: createContext({}).statfs });
afterAll(() => t.cleanup());

test("every item over the real /proc and /sys", async () => {
  const record = await runCollect(t.ctx, resolveConfig({}, "test", []));
  expect(record.meta.errors).toEqual([]);
  const items = Object.fromEntries(record.data.map((i) => [i.id, i.val]));
  // Present on every Linux machine (battery, WiFi, temperature and cpufreq depend on the hardware).
  for (const id of ["deviceStatus", "cpu", "cpu_per_cpu", "memory", "diskusage", "last_boot", "battery_status", "sockets_info", "load", "uptime", "memory_bytes", "network", "filesystems", "processes", "system"]) {
    expect({ id, present: id in items }).toEqual({ id, present: true });
  }
  for (const id of Object.keys(items)) expect(BUILTIN_IDS).toContain(id);
  const percent = (value: unknown) => expect(value as number).toBeWithin(0, 100.0001);
  percent(items.cpu);
  percent(items.memory);
  percent(items.diskusage);
  expect((items.cpu_per_cpu as number[]).length).toBeGreaterThan(0);
  (items.cpu_per_cpu as number[]).forEach(percent);
  expect(Date.parse(items.last_boot as string)).toBeLessThan(Date.now());
  expect(items.uptime as number).toBeGreaterThan(0);
  expect(items.processes as number).toBeGreaterThan(1);
  expect((items.memory_bytes as Record<string, number>).total).toBeGreaterThan(0);
  expect(items.filesystems as Record<string, number>).toHaveProperty("/");
  expect(["PLUGGED", "UNPLUGGED", "NO_BATTERY"]).toContain(items.battery_status as string);
  expect((items.system as Record<string, string>).kernel).toMatch(/^\d+\.\d+/);
  expect(record.meta.bootId).toMatch(/^[0-9a-f-]{36}$/);
  expect(record.meta.cpuWindowS).toBeGreaterThan(0);
});

test("sock_diag netlink counts the same TCP states as /proc/net/tcp", async () => {
  // Make the states non-trivial: a listener and an established connection in both directions.
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const client = connect(server.port, "127.0.0.1");
  await new Promise<void>((resolve) => client.once("connect", () => resolve()));
  try {
    const fromProc = (path: string) => {
      try {
        return parseTcpStates(readFileSync(path, "utf8"));
      } catch {
        return {};
      }
    };
    const proc: Record<string, number> = fromProc("/proc/net/tcp");
    for (const [code, n] of Object.entries(fromProc("/proc/net/tcp6"))) proc[code] = (proc[code] ?? 0) + n;
    const live = await tcpStatesViaNetlink();
    expect(live).toBeDefined();
    expect(live!["01"]).toBeGreaterThanOrEqual(2);
    expect(live!["0A"]).toBeGreaterThanOrEqual(1);
    // Other processes may open or close sockets between the two reads; listeners are stable.
    expect(live!["0A"]).toBe(proc["0A"]);
  } finally {
    client.destroy();
    server.stop(true);
  }
});
