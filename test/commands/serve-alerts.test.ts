// Alerts through the real receiver (port 0, a real SQLite file): the rules API and its rights, the
// alerts API, a restart during a firing alert, history pruning by its job, rules from --rule and
// the config file.
import { afterEach, describe, expect, test } from "bun:test";
import { parseAlertRules, ruleSeeds } from "../../src/commands/serve.ts";
import { resolveConfig } from "../../src/config/load.ts";
import { serveConfig } from "../../src/config/serve-schema.ts";
import type { AlertTransition } from "../../src/serve/alerts/transition.ts";
import { sampleRecord } from "../helpers/record.ts";
import { adminAuth, READ_TOKEN, startTestServe } from "../helpers/serve.ts";
import { waitFor } from "../helpers/wait.ts";

let serve: ReturnType<typeof startTestServe> | undefined;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function start(options: Parameters<typeof startTestServe>[1] = {}) {
  const s = startTestServe({ requestsPerMinute: 0 }, options);
  stops.push(s.stop);
  return (serve = s);
}

const nowS = () => Math.floor(serve!.clock.now() / 1000);
const push = (id: string, cpu: number) => serve!.post("/logs", JSON.stringify(sampleRecord(id, nowS(), { cpu })));
const asAdmin = (method: string, path: string, body?: unknown) => serve!.send(method, path, { ...adminAuth, "content-type": "application/json" }, body === undefined ? undefined : JSON.stringify(body));

describe("the rules API", () => {
  test("reading needs read rights; changing needs admin (403 for the read token and for a local connection)", async () => {
    start();
    expect((await serve!.get("/api/rules")).status).toBe(200);
    const body = JSON.stringify({ expr: "cpu > 50" });
    for (const headers of [{ authorization: `Bearer ${READ_TOKEN}` }, {}] as Record<string, string>[]) {
      for (const [method, path] of [["POST", "/api/rules"], ["PATCH", "/api/rules/cpu"], ["DELETE", "/api/rules/cpu"]] as const) {
        const res = await serve!.send(method, path, { ...headers, "content-type": "application/json" }, method === "DELETE" ? undefined : body);
        expect({ method, status: res.status }).toEqual({ method, status: 403 });
        expect((await res.json()).error).toMatch(/^this needs the admin token; (the read token|a local connection) only reads/);
      }
    }
    const wrong = await serve!.send("POST", "/api/rules", { authorization: "Bearer not-a-token-of-this-server", "content-type": "application/json" }, body);
    expect(wrong.status).toBe(401);
    // Nothing changed.
    expect((await (await serve!.get("/api/rules")).json()).rules.map((r: { id: string }) => r.id)).toEqual(["cpu", "memory", "disk", "wifi", "down", "under-voltage", "under-voltage-alarm", "storage-wear"]);
  });

  test("create, change and delete a rule; its alert fires, resolves when the rule changes, and is in the device's alerts", async () => {
    start();
    const created = await asAdmin("POST", "/api/rules", { expr: "cpu>50  for 0s where labels.zone = zone-1", name: "zone 1 hot" });
    expect(created.status).toBe(201);
    const { rule } = await created.json();
    expect(rule).toMatchObject({ id: "rule-1", name: "zone 1 hot", expr: "cpu > 50 where labels.zone = zone-1", severity: "warning", source: "api", editable: true });
    await push("pi-1", 60);
    expect((await serve!.get("/api/alerts")).status).toBe(200);
    expect((await (await serve!.get("/api/alerts")).json()).alerts).toEqual([]);
    expect((await asAdmin("PATCH", "/api/devices/pi-1", { labels: { zone: "zone-1" } })).status).toBe(200);
    await push("pi-1", 61);
    const { alerts } = await (await serve!.get("/api/alerts")).json();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: "rule-1", ruleName: "zone 1 hot", deviceId: "pi-1", state: "firing", value: 61, message: "pi-1: cpu 61 > 50", severity: "warning" });
    const device = await (await serve!.get("/api/devices/pi-1")).json();
    expect(device.device.alerts.map((a: { rule: string }) => a.rule)).toEqual(["rule-1"]);
    const metrics = await (await serve!.get("/metrics")).text();
    expect(metrics).toContain("bagtower_serve_alerts_active 1\n");
    expect(metrics).toContain('bagtower_serve_alerts_firing{severity="warning"} 1\n');

    const patched = await asAdmin("PATCH", "/api/rules/rule-1", { expr: "cpu > 70 severity critical where labels.zone = zone-1" });
    expect(patched.status).toBe(200);
    expect((await patched.json()).rule).toMatchObject({ expr: "cpu > 70 severity critical where labels.zone = zone-1", severity: "critical", name: "zone 1 hot" });
    const resolved = await (await serve!.get("/api/alerts?state=resolved")).json();
    expect(resolved.alerts[0]).toMatchObject({ rule: "rule-1", state: "resolved", message: "pi-1: rule zone 1 hot changed to cpu > 70 severity critical where labels.zone = zone-1" });
    const detail = await (await serve!.get(`/api/alerts/${resolved.alerts[0].id}`)).json();
    expect(detail.history.map((h: { state: string }) => h.state)).toEqual(["firing", "resolved"]);

    expect((await asAdmin("DELETE", "/api/rules/rule-1")).status).toBe(200);
    expect((await asAdmin("DELETE", "/api/rules/rule-1")).status).toBe(404);
    expect((await asAdmin("PATCH", "/api/rules/nope", { name: "x" })).status).toBe(404);
    // A default can be deleted, and stays deleted after a restart (the defaults are seeded once).
    expect((await asAdmin("DELETE", "/api/rules/wifi")).status).toBe(200);
  });

  test("malformed expressions and bodies are a 400 with one line", async () => {
    start();
    const cases: [unknown, string][] = [
      [{ expr: "cpuu > 80" }, 'expr: unknown item "cpuu": did you mean cpu?'],
      [{ expr: "cpu > lots" }, 'expr: cpu >: expected a number, got "lots"'],
      [{ expr: "cpu > 80 for ever" }, 'expr: for: expected a duration such as 30s, 10m or 1h, got "ever"'],
      [{ expr: "" }, "expr: empty rule: expected a condition, e.g. cpu > 80 for 10m"],
      [{ expr: 80 }, "expr: expected a rule expression such as cpu > 80 for 10m, got 80"],
      [{ expr: "cpu > 1", colour: "red" }, 'colour: unknown field: a rule has expr, and optionally name and id, got "colour"'],
      [{ expr: "cpu > 1", id: "Bad Id" }, "id: expected 1–64 lower-case letters, digits, '_' or '-', starting with a letter or digit, got \"Bad Id\""],
      [{}, "expr: required, a rule expression such as cpu > 80 for 10m"],
      [{ expr: `cpu > 1 ${"x".repeat(400)}` }, "expr: expected at most 300 characters, got 408"],
    ];
    for (const [body, error] of cases) {
      const res = await asAdmin("POST", "/api/rules", body);
      expect({ body, status: res.status, error: (await res.json()).error }).toEqual({ body, status: 400, error });
    }
    const notJson = await serve!.send("POST", "/api/rules", { ...adminAuth, "content-type": "application/json" }, "{expr:");
    expect(notJson.status).toBe(400);
    expect((await asAdmin("PATCH", "/api/rules/cpu", { expr: "cpu >" })).status).toBe(400);
    expect((await asAdmin("PATCH", "/api/rules/cpu", { source: "api" })).status).toBe(400);
    // The same id twice is a conflict.
    expect((await asAdmin("POST", "/api/rules", { expr: "cpu > 1", id: "cpu" })).status).toBe(409);
  });

  test("a name near a built-in item is refused until a device reports it", async () => {
    start();
    const rule = { expr: "cpu2 > 5" };
    expect((await (await asAdmin("POST", "/api/rules", rule)).json()).error).toBe('expr: unknown item "cpu2": did you mean cpu?');
    const record = sampleRecord("pi-1", nowS(), {}, { data: [{ id: "cpu2", type: "percent", val: 9 }] });
    expect((await serve!.post("/logs", JSON.stringify(record))).status).toBe(200);
    expect((await asAdmin("POST", "/api/rules", rule)).status).toBe(201);
    // And far from every built-in one, a device's own item is taken before any device sent it.
    expect((await asAdmin("POST", "/api/rules", { expr: "pond_level_cm < 20" })).status).toBe(201);
  });

  test("an oversized body is refused before it is read whole (413)", async () => {
    start();
    const res = await asAdmin("POST", "/api/rules", { expr: "cpu > 1", name: "x".repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
  });

  test("at most 500 rules (422), and the API says so", async () => {
    start();
    const { rules, max } = await (await serve!.get("/api/rules")).json();
    expect(max).toBe(500);
    for (let i = rules.length; i < 500; i++) expect((await asAdmin("POST", "/api/rules", { expr: `cpu > ${i}` })).status).toBe(201);
    const over = await asAdmin("POST", "/api/rules", { expr: "cpu > 1" });
    expect(over.status).toBe(422);
    expect((await over.json()).error).toBe("there are 500 rules already, the most a receiver keeps: delete one first");
    expect(await (await serve!.get("/metrics")).text()).toContain('bagtower_serve_refused_total{limit="rules"} 1');
    expect((await serve!.get("/metrics")).status).toBe(200);
  }, 60_000);
});

describe("the alerts API", () => {
  test("?state= and paging; a bad state or cursor is a 400", async () => {
    start();
    for (let i = 0; i < 5; i++) await push(`pi-${i}`, 95);
    await push("pi-0", 10);
    const page = await (await serve!.get("/api/alerts?state=firing&limit=3")).json();
    expect(page.alerts.map((a: { deviceId: string }) => a.deviceId)).toEqual(["pi-4", "pi-3", "pi-2"]);
    const next = await (await serve!.get(`/api/alerts?state=firing&limit=3&cursor=${page.nextCursor}`)).json();
    expect(next).toMatchObject({ nextCursor: null });
    expect(next.alerts.map((a: { deviceId: string }) => a.deviceId)).toEqual(["pi-1"]);
    expect((await (await serve!.get("/api/alerts?state=all")).json()).alerts).toHaveLength(5);
    expect((await (await serve!.get("/api/alerts?state=resolved")).json()).alerts.map((a: { deviceId: string }) => a.deviceId)).toEqual(["pi-0"]);
    expect((await serve!.get("/api/alerts?state=loud")).status).toBe(400);
    expect((await serve!.get("/api/alerts?cursor=x")).status).toBe(400);
    expect((await serve!.get("/api/alerts?limit=0")).status).toBe(400);
    expect((await serve!.get("/api/alerts/999")).status).toBe(404);
    expect((await serve!.get("/api/alerts/abc")).status).toBe(404);
  });

  test("without the read right, alerts and rules are a 401", async () => {
    start();
    for (const path of ["/api/alerts", "/api/rules", "/api/alerts/1"]) expect((await serve!.get(path, { "x-forwarded-for": "203.0.113.9" })).status).toBe(401);
  });
});

describe("state across a restart", () => {
  test("a firing alert stays firing after a restart and nobody is told twice; it resolves under its id", async () => {
    const told: AlertTransition[] = [];
    const notify = (t: AlertTransition) => void told.push(t);
    const first = start({ notify });
    const ws = new WebSocket(`${first.url.replace("http", "ws")}/ws`);
    const events: { type: string; state?: string }[] = [];
    ws.onmessage = (m) => events.push(JSON.parse(String(m.data)));
    await new Promise((resolve) => (ws.onopen = resolve));
    await push("pi-1", 95);
    await waitFor("the alert event", () => events.some((e) => e.type === "alert" && e.state === "firing"), 2000);
    ws.close();
    expect(told.map((t) => `${t.ruleId} ${t.state}`)).toEqual(["cpu firing"]);
    const alertId = told[0]!.alertId;
    await first.stopKeeping();
    stops.splice(stops.indexOf(first.stop), 1);

    const second = start({ notify, dir: first.dir });
    await push("pi-1", 97);
    second.clock.advance(60_000);
    second.app.checkDown();
    expect(told).toHaveLength(1);
    const { alerts } = await (await second.get("/api/alerts")).json();
    expect(alerts.map((a: { id: number; state: string }) => [a.id, a.state])).toEqual([[alertId, "firing"]]);
    await push("pi-1", 20);
    expect(told.map((t) => `${t.alertId} ${t.state}`)).toEqual([`${alertId} firing`, `${alertId} resolved`]);
  });
});

describe("history pruning", () => {
  test("the alert-history job deletes alerts resolved longer ago than --alert-history", async () => {
    start({ alertHistory: { ms: 3600_000, text: "1h" }, periods: { "alert-history": 20 } });
    await push("pi-1", 95);
    await push("pi-1", 10);
    await push("pi-2", 95);
    expect((await (await serve!.get("/api/alerts?state=all")).json()).alerts).toHaveLength(2);
    serve!.clock.advance(2 * 3600_000);
    await waitFor("the resolved alert pruned", async () => (await (await serve!.get("/api/alerts?state=all")).json()).alerts.length === 1, 5000);
    const left = (await (await serve!.get("/api/alerts?state=all")).json()).alerts;
    expect(left.map((a: { deviceId: string; state: string }) => [a.deviceId, a.state])).toEqual([["pi-2", "firing"]]);
    expect(serve!.logs.some((line) => line.includes("alert history: removed 1 alerts resolved more than 1h ago"))).toBe(true);
  });
});

describe("rules from serve --rule, the config file and --alerts", () => {
  test("seeded at start: --rule and serve.rules are read-only through the API, --alerts sets the defaults' thresholds", async () => {
    start({ rules: { ...ruleSeeds(["memory > 95 for 5m", { expr: "down where labels.zone = zone-1", name: "zone 1 down", id: "zone-1-down" }], ["cpu > 10"]), thresholds: parseAlertRules("cpu=85,wifi=20") } });
    const { rules } = await (await serve!.get("/api/rules")).json();
    const byExpr = Object.fromEntries(rules.map((r: { expr: string; source: string; editable: boolean; id: string }) => [r.expr, [r.source, r.editable, r.id]]));
    expect(byExpr["cpu > 85"]).toEqual(["default", true, "cpu"]);
    expect(byExpr["wifi.signal_quality_percent < 20"]).toEqual(["default", true, "wifi"]);
    expect(byExpr["memory > 95 for 5m"]?.slice(0, 2)).toEqual(["config", false]);
    expect(byExpr["down where labels.zone = zone-1"]).toEqual(["config", false, "zone-1-down"]);
    expect(byExpr["cpu > 10"]?.slice(0, 2)).toEqual(["flag", false]);
    const flagId = byExpr["cpu > 10"]![2];
    const refused = await asAdmin("PATCH", `/api/rules/${flagId}`, { expr: "cpu > 20" });
    expect(refused.status).toBe(409);
    expect((await refused.json()).error).toBe(`rule ${flagId} comes from serve --rule and is set again at every start: change it there`);
    expect((await asAdmin("DELETE", "/api/rules/zone-1-down")).status).toBe(409);
  });

  test("a restart with other --rule flags replaces the flags' rules and keeps the API's", async () => {
    const first = start({ rules: ruleSeeds([], ["cpu > 10"]) });
    expect((await asAdmin("POST", "/api/rules", { expr: "memory > 20" })).status).toBe(201);
    expect((await asAdmin("DELETE", "/api/rules/disk")).status).toBe(200);
    await first.stopKeeping();
    stops.splice(stops.indexOf(first.stop), 1);
    start({ rules: ruleSeeds([], ["cpu > 30"]), dir: first.dir });
    const exprs = (await (await serve!.get("/api/rules")).json()).rules.map((r: { expr: string }) => r.expr);
    expect(exprs).toContain("cpu > 30");
    expect(exprs).toContain("memory > 20");
    expect(exprs).not.toContain("cpu > 10");
    expect(exprs).not.toContain("diskusage > 95");
  });

  test("config.json's serve.rules: expressions or {expr, name, id}; a wrong shape is named", () => {
    const config = resolveConfig({ serve: { rules: ["cpu > 80 for 10m", { expr: "down", name: "gone", id: "gone" }] } }, "config.json", []);
    expect(ruleSeeds(serveConfig(config.serve).rules, [])).toEqual({ config: [{ expr: "cpu > 80 for 10m" }, { expr: "down", name: "gone", id: "gone" }], flags: [] });
    expect(serveConfig(resolveConfig({}, "config.json", []).serve).rules).toEqual([]);
    expect(() => resolveConfig({ serve: { rules: [42] } }, "config.json", [])).toThrow("config.json: serve.rules.0: expected a rule expression or {expr, name, id}");
    expect(() => resolveConfig({ serve: { rules: "cpu > 1" } }, "config.json", [])).toThrow("config.json: serve.rules: expected an array of alert rules");
  });

  test("a bad rule in the config or a flag stops serve with one line", () => {
    expect(() => ruleSeeds(["cpu >> 80"], [])).toThrow('serve.rules[0] "cpu >> 80": cpu >: expected a number, got ">"');
    expect(() => ruleSeeds([], ["cpu > 80 for"])).toThrow('--rule "cpu > 80 for": for: expected a duration such as 30s, 10m or 1h, got "nothing"');
    expect(() => parseAlertRules("cpu=200")).toThrow("--alerts cpu=200: expected name=percent with a name of cpu, memory, disk or wifi");
  });
});
