// The alert engine over a real SQLite file: transitions, `for`, DOWN, selectors, a restart in the
// middle of a firing alert, and history pruning.
import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createLogger } from "../../src/log.ts";
import { createAlertEngine, type AlertEngine } from "../../src/serve/alerts/engine.ts";
import { insertRule, listRules, seedRules } from "../../src/serve/alerts/rules.ts";
import { prepareAlertSchema } from "../../src/serve/alerts/schema.ts";
import type { AlertTransition } from "../../src/serve/alerts/transition.ts";
import type { EventHub } from "../../src/serve/events.ts";
import { manualClock, tempDir } from "../helpers/context.ts";
import { walCommits } from "../helpers/wal.ts";

let tmp: ReturnType<typeof tempDir>;
let db: Database;
let clock: ReturnType<typeof manualClock>;
let told: AlertTransition[];
let published: Record<string, unknown>[];
let labels: Record<string, Record<string, string>>;
let downNow: { id: string; lastSeen: number }[];

const events: EventHub = { counts: {}, attach() {}, publish: (_type, payload) => void published.push(payload) };

function open(): AlertEngine {
  db = new Database(join(tmp.dir, "serve.db"), { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  prepareAlertSchema(db);
  return createAlertEngine({ db, events, now: clock.now, log: createLogger(0), notify: (t) => void told.push(t), labelsOf: (id) => labels[id], downDevices: () => downNow });
}

/** A fresh engine whose only rules are `exprs` (ids r1, r2, …). */
function withRules(...exprs: string[]): AlertEngine {
  const engine = open();
  db.exec("DELETE FROM alert_rules");
  exprs.forEach((expr, i) => insertRule(db, { id: `r${i + 1}`, name: `r${i + 1}`, expr, source: "api" }, 0));
  engine.reloadRules();
  return engine;
}

const states = () => told.map((t) => `${t.deviceId} ${t.ruleId} ${t.state}`);
const rows = () => db.query("SELECT rule_id, device_id, key, state FROM alert_state ORDER BY id").all();

beforeEach(() => {
  tmp = tempDir("bagtower-alerts-");
  clock = manualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  told = [];
  published = [];
  labels = {};
  downNow = [];
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

describe("alert engine", () => {
  test("a new database starts with the default rules", () => {
    open();
    seedRules(db, {}, 0);
    expect(listRules(db).map((r) => [r.id, r.expr, r.source])).toEqual([
      ["cpu", "cpu > 80", "default"],
      ["memory", "memory > 90", "default"],
      ["disk", "diskusage > 95", "default"],
      ["wifi", "wifi.signal_quality_percent < 30", "default"],
      ["down", "down", "default"],
      ["under-voltage", "power.under_voltage_since_boot >= 1", "default"],
      ["under-voltage-alarm", "power.under_voltage_alarm >= 1", "default"],
      ["storage-wear", "storage_health.* >= 90", "default"],
    ]);
  });

  test("the defaults fire as today's thresholds did, and on issue 14's items", () => {
    const engine = open();
    seedRules(db, {}, 0);
    engine.reloadRules();
    engine.evaluate("pi-1", { cpu: 81, memory: 90, diskusage: 96, wifi: { signal_quality_percent: 29, rssi_dbm: -80 }, power: { under_voltage_since_boot: 1 }, storage_health: { mmcblk0: 91, sda: 12 } });
    expect(told.map((t) => t.summary)).toEqual(["pi-1: cpu 81 > 80", "pi-1: diskusage 96 > 95", "pi-1: wifi.signal_quality_percent 29 < 30", "pi-1: power.under_voltage_since_boot 1 >= 1", "pi-1: storage_health.mmcblk0 91 >= 90"]);
    expect(told.every((t) => t.state === "firing" && t.severity === "warning")).toBe(true);
  });

  test("firing then resolved, one alert id; nothing again while it keeps firing", () => {
    const engine = withRules("cpu > 80");
    engine.evaluate("pi-1", { cpu: 95 });
    engine.evaluate("pi-1", { cpu: 96 });
    engine.evaluate("pi-1", { memory: 10 });
    engine.evaluate("pi-1", { cpu: 40 });
    engine.evaluate("pi-1", { cpu: 30 });
    expect(states()).toEqual(["pi-1 r1 firing", "pi-1 r1 resolved"]);
    expect(told[0]!.alertId).toBe(told[1]!.alertId);
    expect(told[1]!.summary).toBe("pi-1: cpu 40, no longer > 80");
    expect(published.map((p) => p.state)).toEqual(["firing", "resolved"]);
    // The next time is a new alert.
    engine.evaluate("pi-1", { cpu: 99 });
    expect(told[2]!.alertId).toBeGreaterThan(told[0]!.alertId);
    expect(engine.get(told[0]!.alertId)!.history.map((h) => [h.state, h.value])).toEqual([
      ["firing", 95],
      ["resolved", 40],
    ]);
  });

  test("for: pending until the condition held that long, then firing (on a record or on the tick)", () => {
    const engine = withRules("cpu > 80 for 10m");
    engine.evaluate("pi-1", { cpu: 95 });
    expect(told).toEqual([]);
    expect(published.at(-1)).toMatchObject({ state: "pending", deviceId: "pi-1" });
    clock.advance(9 * 60_000);
    engine.evaluate("pi-1", { cpu: 92 });
    engine.tick();
    expect(told).toEqual([]);
    clock.advance(60_000);
    engine.evaluate("pi-1", { cpu: 93.14 });
    expect(states()).toEqual(["pi-1 r1 firing"]);
    expect(told[0]!.summary).toBe("pi-1: cpu 93.14 > 80 for 10m");
    // Another device: pending, and the tick fires it once its 10 minutes are over.
    engine.evaluate("pi-2", { cpu: 85 });
    clock.advance(600_000);
    engine.tick();
    engine.tick();
    expect(states()).toEqual(["pi-1 r1 firing", "pi-2 r1 firing"]);
  });

  test("a pending alert whose condition stops is forgotten, and tells no one", () => {
    const engine = withRules("cpu > 80 for 10m");
    engine.evaluate("pi-1", { cpu: 95 });
    clock.advance(60_000);
    engine.evaluate("pi-1", { cpu: 10 });
    clock.advance(600_000);
    engine.tick();
    expect(told).toEqual([]);
    expect(rows()).toEqual([]);
    // The 10 minutes start again.
    engine.evaluate("pi-1", { cpu: 95 });
    clock.advance(300_000);
    engine.tick();
    expect(told).toEqual([]);
  });

  test("down: fires when the DOWN check reports the device, resolves when it is up again", () => {
    const engine = withRules("down", "down for 5m severity warning");
    const nowS = clock.now() / 1000;
    engine.down([{ id: "pi-1", lastSeen: nowS - 1201 }]);
    expect(states()).toEqual(["pi-1 r1 firing"]);
    expect(told[0]).toMatchObject({ severity: "critical", value: null, summary: "pi-1: down, no record for 1201 s" });
    clock.advance(300_000);
    engine.tick();
    expect(states()).toEqual(["pi-1 r1 firing", "pi-1 r2 firing"]);
    expect(told[1]).toMatchObject({ severity: "warning", summary: "pi-1: down for 5m, no record for 1201 s" });
    engine.up(["pi-1"]);
    expect(states()).toEqual(["pi-1 r1 firing", "pi-1 r2 firing", "pi-1 r1 resolved", "pi-1 r2 resolved"]);
    expect(told[2]!.summary).toBe("pi-1: up again");
  });

  test("a down rule made while devices are DOWN covers them at once", () => {
    downNow = [{ id: "pi-9", lastSeen: clock.now() / 1000 - 700 }];
    withRules("down");
    expect(states()).toEqual(["pi-9 r1 firing"]);
  });

  test("selectors: by device id and by label; the transition carries the labels", () => {
    labels = { "pi-1": { zone: "zone-1" }, "pi-2": { zone: "zone-2" } };
    const engine = withRules("cpu > 80 where labels.zone = zone-1", "cpu > 50 where device = pi-2");
    for (const id of ["pi-1", "pi-2", "pi-3"]) engine.evaluate(id, { cpu: 90 });
    expect(states()).toEqual(["pi-1 r1 firing", "pi-2 r2 firing"]);
    expect(told[0]!.labels).toEqual({ zone: "zone-1" });
    // pi-1 moves out of zone-1: its alert lets go.
    labels["pi-1"] = { zone: "zone-3" };
    engine.evaluate("pi-1", { cpu: 90 });
    expect(states().at(-1)).toBe("pi-1 r1 resolved");
  });

  test("keys: a named key, any key (*), an item with keys named alone, array indexes", () => {
    const engine = withRules("filesystems./ > 95", "temperature > 75", "cpu_per_cpu.* > 90");
    engine.evaluate("pi-1", { filesystems: { "/": 97, "/boot/firmware": 99 }, temperature: { "cpu-thermal": 80, "gpu-thermal": 60 }, cpu_per_cpu: [95, 10, 99] });
    expect(told.map((t) => t.summary)).toEqual(["pi-1: filesystems./ 97 > 95", "pi-1: temperature.cpu-thermal 80 > 75", "pi-1: cpu_per_cpu.0 95 > 90", "pi-1: cpu_per_cpu.2 99 > 90"]);
    engine.evaluate("pi-1", { cpu_per_cpu: [95, 10, 50] });
    expect(states().at(-1)).toBe("pi-1 r3 resolved");
    expect(told.at(-1)!.summary).toBe("pi-1: cpu_per_cpu.2 50, no longer > 90");
  });

  test("values that are not numbers are left alone", () => {
    const engine = withRules("cpu > 80", "system.kernel > 1");
    engine.evaluate("pi-1", { cpu: "high", system: { kernel: "6.6" } });
    expect(told).toEqual([]);
  });

  test("a deleted or changed rule resolves its firing alerts", () => {
    const engine = withRules("cpu > 80", "memory > 50");
    engine.evaluate("pi-1", { cpu: 90, memory: 60 });
    db.exec("DELETE FROM alert_rules WHERE id = 'r1'");
    db.exec("UPDATE alert_rules SET expr = 'memory > 70' WHERE id = 'r2'");
    engine.reloadRules();
    expect(told.slice(2).map((t) => `${t.ruleId} ${t.state} ${t.summary}`)).toEqual(["r1 resolved pi-1: rule r1 deleted", "r2 resolved pi-1: rule r2 changed to memory > 70"]);
  });

  test("a restart during a firing alert keeps it firing and tells no one again", () => {
    let engine = withRules("cpu > 80", "memory > 50 for 10m", "down");
    engine.evaluate("pi-1", { cpu: 95, memory: 60 });
    engine.down([{ id: "pi-2", lastSeen: clock.now() / 1000 - 1000 }]);
    expect(states()).toEqual(["pi-1 r1 firing", "pi-2 r3 firing"]);
    db.close();
    // serve starts again on the same file: pi-2 is still DOWN (the store says so), pi-1 still hot.
    downNow = [{ id: "pi-2", lastSeen: clock.now() / 1000 - 1000 }];
    told = [];
    published = [];
    engine = open();
    engine.evaluate("pi-1", { cpu: 97, memory: 61 });
    engine.tick();
    expect(told).toEqual([]);
    expect(published).toEqual([]);
    expect(engine.list({ state: "firing", limit: 10 }).alerts.map((a) => a.rule)).toEqual(["r3", "r1"]);
    // The pending memory alert kept its start: 10 minutes after it, not after the restart, it fires.
    clock.advance(600_000);
    engine.tick();
    expect(states()).toEqual(["pi-1 r2 firing"]);
    // And it resolves under the same id it fired with before the restart.
    const firstId = engine.list({ state: "firing", limit: 10 }).alerts.find((a) => a.rule === "r1")!.id;
    engine.evaluate("pi-1", { cpu: 10 });
    expect(told.at(-1)).toMatchObject({ alertId: firstId, state: "resolved" });
  });

  test("a turn of ingest is one commit however many alerts it fires (each commit is an fsync)", () => {
    const engine = withRules("cpu > 80", "down");
    engine.down([{ id: "pi-0", lastSeen: 0 }]);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    engine.ingested(["pi-0"], Array.from({ length: 20 }, (_, i) => [`pi-${i}`, { cpu: 95 }] as [string, Record<string, unknown>]));
    expect(walCommits(join(tmp.dir, "serve.db"))).toBe(1);
    expect(states().filter((s) => s.endsWith("r1 firing"))).toHaveLength(20);
    expect(states()).toContain("pi-0 r2 resolved");
  });

  test("notifyAll: one call per committed batch; a failing notifier is logged and the alerts stay committed", () => {
    db = new Database(join(tmp.dir, "serve.db"), { create: true, strict: true });
    prepareAlertSchema(db);
    insertRule(db, { id: "down", name: "down", expr: "down", source: "api" }, 0);
    const batches: number[] = [];
    const logs: string[] = [];
    let fail = false;
    const engine = createAlertEngine({
      db,
      events,
      now: clock.now,
      log: createLogger(1, (line) => logs.push(line)),
      notifyAll: (ts) => {
        batches.push(ts.length);
        if (fail) throw new Error("outbox full");
      },
      labelsOf: () => ({}),
      downDevices: () => [],
    });
    engine.down(Array.from({ length: 20 }, (_, i) => ({ id: `pi-${i}`, lastSeen: 0 })));
    expect(batches).toEqual([20]);
    fail = true;
    engine.up(["pi-0", "pi-1"]);
    expect(batches).toEqual([20, 2]);
    expect(logs.join("\n")).toContain("the notifier failed: outbox full");
    expect(engine.list({ state: "resolved", limit: 10 }).alerts).toHaveLength(2);
  });

  test("list: by state and device, newest first, paged", () => {
    const engine = withRules("cpu > 80");
    for (let i = 0; i < 5; i++) engine.evaluate(`pi-${i}`, { cpu: 90 });
    engine.evaluate("pi-0", { cpu: 10 });
    const first = engine.list({ state: "firing", limit: 3 });
    expect(first.alerts.map((a) => a.deviceId)).toEqual(["pi-4", "pi-3", "pi-2"]);
    const second = engine.list({ state: "firing", limit: 3, before: Number(first.nextCursor) });
    expect(second.alerts.map((a) => a.deviceId)).toEqual(["pi-1"]);
    expect(second.nextCursor).toBeNull();
    expect(engine.list({ state: "resolved", limit: 10 }).alerts.map((a) => a.deviceId)).toEqual(["pi-0"]);
    expect(engine.list({ state: "all", deviceId: "pi-0", limit: 10 }).alerts.map((a) => a.state)).toEqual(["resolved"]);
    expect(engine.firingCounts()).toEqual({ info: 0, warning: 4, critical: 0 });
    expect([engine.forMsOf("r1"), engine.forMsOf("nope")]).toEqual([0, undefined]);
    expect(engine.of("pi-1").map((a) => a.message)).toEqual(["pi-1: cpu 90 > 80"]);
  });

  test("prune: resolved alerts older than the cutoff go with their history; open ones stay", async () => {
    const engine = withRules("cpu > 80");
    for (let i = 0; i < 25; i++) engine.evaluate(`pi-${i}`, { cpu: 90 });
    for (let i = 0; i < 20; i++) engine.evaluate(`pi-${i}`, { cpu: 10 });
    clock.advance(86_400_000);
    engine.evaluate("pi-20", { cpu: 10 });
    const cutoff = clock.now() / 1000 - 3600;
    expect(await engine.prune(cutoff, 7)).toBe(20);
    expect(engine.list({ state: "all", limit: 100 }).alerts.map((a) => a.state).sort()).toEqual(["firing", "firing", "firing", "firing", "resolved"]);
    expect((db.query("SELECT count(*) AS n FROM alert_history").get() as { n: number }).n).toBe(4 + 2);
    // An id is never handed out again after pruning (the notifier keys its rows by it).
    engine.evaluate("pi-0", { cpu: 99 });
    expect(told.at(-1)!.alertId).toBeGreaterThan(25);
  });
});
