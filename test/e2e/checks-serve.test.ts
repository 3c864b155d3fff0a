// Heartbeat checks through the real receiver in-process: the admin API, Uptime Kuma's push and
// healthchecks.io's ping URLs, a missed ping firing an alert through a channel (and the next ping
// resolving it), and wrong tokens being 404s under the failed-authentication limit.
import { afterEach, describe, expect, test } from "bun:test";
import { startReceiver } from "../helpers/receiver.ts";
import { adminAuth, READ_TOKEN, startTestServe } from "../helpers/serve.ts";
import { waitFor } from "../helpers/wait.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function serve(extra: Parameters<typeof startTestServe>[1] = {}) {
  const receiver = startReceiver();
  const s = startTestServe({}, { periods: { checks: 20, notify: 20 }, channels: [`webhook+${receiver.url}/alerts`], notifier: { groupWindowMs: 0, flapWindowMs: 0 }, ...extra });
  cleanups.push(s.stop, receiver.stop);
  const create = (body: unknown, headers: Record<string, string> = adminAuth) => s.send("POST", "/api/checks", { ...headers, "Content-Type": "application/json" }, JSON.stringify(body));
  const messages = () => receiver.requests.map((r) => JSON.parse(r.body));
  return { ...s, receiver, create, messages };
}

describe("the checks API", () => {
  test("admin creates a check and gets its token and URLs; read rights get 403; bad input is a one-line 400", async () => {
    const s = serve();
    expect((await s.create({ name: "backup", periodSeconds: 3600 }, { authorization: `Bearer ${READ_TOKEN}` })).status).toBe(403);
    for (const [body, message] of [
      [{ name: "x" }, /one of periodSeconds or cron/],
      [{ name: "x", periodSeconds: 60, cron: "* * * * *" }, /one of periodSeconds or cron/],
      [{ name: "x", cron: "61 * * * *" }, /^cron: cron "61 \* \* \* \*": minute 61/],
      [{ name: "x", cron: "0 0 30 2 *" }, /never runs/],
      [{ name: "", periodSeconds: 60 }, /^name: /],
      [{ name: "x", periodSeconds: 1 }, /^periodSeconds: expected at least 10 seconds/],
      [{ name: "x", periodSeconds: 60, colour: 1 }, /unknown field/],
    ] as const) {
      const refused = await s.create(body);
      expect(refused.status).toBe(400);
      const { error } = await refused.json();
      expect(error).toMatch(message);
      expect(error).not.toContain("\n");
    }
    const created = await s.create({ name: "backup", cron: "0 3 * * *", graceSeconds: 600 });
    expect(created.status).toBe(201);
    const check = await created.json();
    expect(check).toMatchObject({ name: "backup", cron: "0 3 * * *", periodSeconds: null, graceSeconds: 600, status: "new" });
    expect(check.token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(check.pushUrl).toBe(`${s.url}/api/push/${check.token}`);
    expect(check.pingUrl).toBe(`${s.url}/ping/${check.token}`);
    const list = await (await s.get("/api/checks", { authorization: `Bearer ${READ_TOKEN}` })).text();
    expect(list).not.toContain(check.token);
    expect((await s.send("DELETE", `/api/checks/${check.id}`, adminAuth)).status).toBe(200);
    expect((await s.send("DELETE", `/api/checks/${check.id}`, adminAuth)).status).toBe(404);
  });
});

describe("pings", () => {
  test("a missed ping fires through the channel; the next good ping resolves it", async () => {
    const s = serve();
    const check = await (await s.create({ name: "nightly-backup", periodSeconds: 3600, graceSeconds: 300 })).json();
    expect(await (await s.get(`/api/push/${check.token}?status=up&msg=OK&ping=12`)).json()).toEqual({ ok: true });
    s.clock.advance(3_600_000 + 300_000);
    s.checks.evaluate();
    expect(s.receiver.requests).toHaveLength(0); // exactly at period + grace: not yet
    s.clock.advance(1000);
    await waitFor("the missed-ping alert", () => s.receiver.requests.length === 1);
    expect(s.messages()[0]).toMatchObject({ kind: "firing", ruleId: "check", deviceId: "nightly-backup", summary: expect.stringContaining("nightly-backup: no ping (last ping 3901 s ago; every 3600 s + 300 s grace)") });
    expect(s.messages()[0].alertId).toBeLessThan(0);
    expect((await s.get(`/ping/${check.token}`)).status).toBe(200);
    await waitFor("the resolved message", () => s.receiver.requests.length === 2);
    expect(s.messages()[1]).toMatchObject({ kind: "resolved", deviceId: "nightly-backup", alertId: s.messages()[0].alertId });
    expect((await (await s.get(`/api/checks/${check.id}`, adminAuth)).json()).check.status).toBe("up");
  });

  test("healthchecks' /fail and exit codes, and Uptime Kuma's status=down, fire at once; /start only records", async () => {
    const s = serve();
    const check = await (await s.create({ name: "rsync", periodSeconds: 86_400 })).json();
    const ping = (path: string, init?: RequestInit) => fetch(`${s.url}/ping/${check.token}${path}`, init);
    expect(await (await ping("/start")).text()).toBe("OK");
    expect((await (await s.get(`/api/checks/${check.id}`, adminAuth)).json()).check).toMatchObject({ status: "new", lastStartAt: expect.any(Number) });
    expect((await ping("/2", { method: "POST", body: "rsync: connection refused" })).status).toBe(200);
    await waitFor("the failure alert", () => s.receiver.requests.length === 1);
    expect(s.messages()[0].summary).toBe("rsync: exit code 2: rsync: connection refused");
    expect((await ping("/0")).status).toBe(200);
    await waitFor("resolved", () => s.receiver.requests.length === 2);
    expect((await s.get(`/api/push/${check.token}?status=down&msg=disk%20full`)).status).toBe(200);
    await waitFor("Uptime Kuma's down", () => s.receiver.requests.length === 3);
    expect(s.messages()[2].summary).toBe("rsync: reported a failure: disk full");
    expect((await ping("/fail")).status).toBe(200);
    expect((await ping("/999")).status).toBe(404);
    expect((await s.get(`/api/push/${check.token}?status=sideways`)).status).toBe(400);
    const history = (await (await s.get(`/api/checks/${check.id}`, adminAuth)).json()).pings;
    expect(history.map((p: { kind: string }) => p.kind)).toEqual(["fail", "fail", "success", "fail", "start"]);
    expect(s.receiver.requests).toHaveLength(3); // /fail while already down tells no one again
  });

  test("a wrong token is a 404, and guessing meets the failed-authentication limit", async () => {
    const s = serve({ authFailuresPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await s.get(`/ping/not-a-token-${i}`)).status).toBe(404);
    expect((await s.get("/api/push/not-a-token")).status).toBe(429);
    expect((await s.get("/ping/nope/start")).status).toBe(429);
  });
});
