// Notifications through the real receiver in-process (port 0, real SQLite, a hand-moved clock, the
// background jobs at short periods): the channels API and its rights, DOWN reaching a channel grouped,
// ingest unhurt by a hung channel, and a restart during a firing alert sending nothing twice.
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { DEFAULT_PERIOD_S } from "../../src/record/period.ts";
import { tempDir } from "../helpers/context.ts";
import { startReceiver } from "../helpers/receiver.ts";
import { ADMIN_TOKEN, adminAuth, READ_TOKEN, startTestServe } from "../helpers/serve.ts";
import { sampleRecord } from "../helpers/record.ts";
import { waitFor } from "../helpers/wait.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const FAST = { "down-check": 20, notify: 20 };
// Past twice the default period: the down check marks the device DOWN.
const SILENT_MS = (2 * DEFAULT_PERIOD_S + 1) * 1000;

function serve(options: Parameters<typeof startTestServe>[1] = {}) {
  const s = startTestServe({}, { periods: FAST, ...options });
  cleanups.push(s.stop);
  const json = { ...adminAuth, "Content-Type": "application/json" };
  return {
    ...s,
    admin: (method: string, path: string, body?: unknown) => s.send(method, path, json, body === undefined ? undefined : JSON.stringify(body)),
    push: (deviceId: string, labels: Record<string, string> = {}) => s.post("/logs", JSON.stringify(sampleRecord(deviceId, Math.floor(s.clock.now() / 1000), {}, { meta: { labels } as never }))),
  };
}

describe("the channels API", () => {
  test("admin adds, reads (secrets as ***), changes, tests and deletes; read rights are refused with 403; bad URLs are a one-line 400", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const s = serve({ channels: [`ntfy://bob:flag-secret-pw@127.0.0.1:${receiver.port}/flag-topic?scheme=http`] });

    const readOnly = await s.send("POST", "/api/channels", { authorization: `Bearer ${READ_TOKEN}`, "Content-Type": "application/json" }, JSON.stringify({ url: "ntfy://ntfy.sh/x" }));
    expect(readOnly.status).toBe(403);
    // A loopback client without a token only reads.
    const loopback = await s.send("POST", "/api/channels", { "Content-Type": "application/json" }, JSON.stringify({ url: "ntfy://ntfy.sh/x" }));
    expect(loopback.status).toBe(403);

    for (const [body, message] of [
      [{ url: "ntfy://" }, /^url: channel ntfy:\/\/…: /],
      [{ url: "smtp://h/?from=x" }, /from=/],
      [{ url: "ntfy://ntfy.sh/t", resendInterval: "soon" }, /resendInterval/],
      [{ nope: 1 }, /url|unknown field/],
    ] as const) {
      const refused = await s.admin("POST", "/api/channels", body);
      expect(refused.status).toBe(400);
      const error = (await refused.json()).error as string;
      expect(error).toMatch(message);
      expect(error).not.toContain("\n");
    }

    const created = await s.admin("POST", "/api/channels", { url: `webhook+http://127.0.0.1:${receiver.port}/hook/very-secret-path`, name: "ops", labels: { zone: "zone-1" } });
    expect(created.status).toBe(201);
    const channel = await created.json();
    expect(channel).toMatchObject({ kind: "webhook", url: `webhook+http://127.0.0.1:${receiver.port}/***`, name: "ops", labels: { zone: "zone-1" }, source: "api" });

    const list = await s.get("/api/channels", { authorization: `Bearer ${READ_TOKEN}` });
    const text = await list.text();
    expect(text).not.toContain("flag-secret-pw");
    expect(text).not.toContain("very-secret-path");
    expect(JSON.parse(text).channels.map((c: { source: string }) => c.source)).toEqual(["flag", "api"]);

    const patched = await s.admin("PATCH", `/api/channels/${channel.id}`, { quietHours: { from: "22:00", to: "07:00", timeZone: "Europe/Berlin" }, resendInterval: "2h" });
    expect(await patched.json()).toMatchObject({ quietHours: { from: "22:00", to: "07:00", timeZone: "Europe/Berlin" }, resendIntervalSeconds: 7200, name: "ops" });

    const tested = await s.admin("POST", `/api/channels/${channel.id}/test`);
    expect(await tested.json()).toEqual({ ok: true, outcome: "sent", detail: "HTTP 200" });
    expect(receiver.requests.at(-1)!.path).toBe("/hook/very-secret-path");
    expect(JSON.parse(receiver.requests.at(-1)!.body)).toMatchObject({ kind: "test", title: "bagtower: test notification" });

    receiver.answer(() => new Response("nope", { status: 401 }));
    const failed = await s.admin("POST", `/api/channels/${channel.id}/test`);
    expect(await failed.json()).toEqual({ ok: false, outcome: "rejected", detail: "HTTP 401: nope" });

    const flagChannel = JSON.parse(text).channels[0];
    expect((await s.admin("DELETE", `/api/channels/${flagChannel.id}`)).status).toBe(409);
    const flagPatch = await s.admin("PATCH", `/api/channels/${flagChannel.id}`, { name: "x" });
    expect(flagPatch.status).toBe(409);
    expect((await flagPatch.json()).error).toBe(`channel ${flagChannel.id} comes from serve --channel; change it there`);
    expect((await s.admin("DELETE", `/api/channels/${channel.id}`)).status).toBe(200);
    expect((await s.admin("DELETE", `/api/channels/${channel.id}`)).status).toBe(404);
    expect((await s.admin("POST", "/api/channels/abc/test")).status).toBe(404);
    expect(s.logs.join("\n")).not.toContain("flag-secret-pw");
  });

  test("serve refuses a malformed --channel with one line", () => {
    expect(() => startTestServe({}, { channels: ["ntfy://ntfy.sh/"] })).toThrow(/^--channel: url: channel ntfy:\/\/…: expected exactly one topic/);
    expect(() => startTestServe({}, { channelConfig: [{ url: "gotify://h" }] })).toThrow(/^serve.channels\[0\]: url: channel gotify/);
  });
});

describe("DOWN reaches a channel", () => {
  test("devices going DOWN together are one message; the next record resolves them; ingest answers while a channel hangs", async () => {
    const receiver = startReceiver();
    const hang = startReceiver(() => new Promise<Response>(() => {}));
    cleanups.push(receiver.stop, hang.stop);
    const s = serve({ channels: [`webhook+${receiver.url}/down`, `webhook+${hang.url}/hang`], notifier: { timeoutMs: 60_000, flapWindowMs: 0, stopGraceMs: 50 } });
    for (const id of ["pi-1", "pi-2", "pi-3"]) expect((await s.push(id)).status).toBe(200);
    s.clock.advance(SILENT_MS);
    await waitFor("the devices DOWN", () => s.store.devices().every((d) => d.status === "DOWN"));
    s.clock.advance(30_000);
    const [message] = await waitFor("the DOWN message", () => (receiver.requests.length ? receiver.requests : undefined));
    const body = JSON.parse(message!.body);
    expect(body).toMatchObject({ kind: "firing", ruleId: "down", state: "firing", count: 3 });
    expect(body.group.map((t: { deviceId: string }) => t.deviceId).sort()).toEqual(["pi-1", "pi-2", "pi-3"]);
    // The hung channel holds its request open; ingest is not behind it.
    await waitFor("the hung channel's request", () => hang.requests.length === 1);
    for (const id of ["pi-1", "pi-2", "pi-3"]) expect((await s.push(id)).status).toBe(200);
    s.clock.advance(30_000);
    await waitFor("the resolved message", () => receiver.requests.length === 2);
    expect(JSON.parse(receiver.requests[1]!.body)).toMatchObject({ kind: "resolved", count: 3, title: "[RESOLVED] down: 3 devices" });
    const history = await (await s.get("/api/notifications", { authorization: `Bearer ${ADMIN_TOKEN}` })).json();
    expect(history.notifications.filter((n: { outcome: string }) => n.outcome === "sent")).toHaveLength(6);
  });

  test("1,000 devices going DOWN in one down check are one message naming 25 and counting the rest", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const s = serve({ channels: [`webhook+${receiver.url}/down`], periods: { "down-check": 3_600_000, notify: 20 } });
    const at = Math.floor(s.clock.now() / 1000);
    for (let start = 0; start < 1000; start += 250) {
      const batch = Array.from({ length: 250 }, (_, i) => sampleRecord(`dev-${String(start + i).padStart(4, "0")}`, at));
      expect((await s.post("/logs", JSON.stringify(batch))).status).toBe(200);
    }
    s.clock.advance(SILENT_MS);
    s.app.checkDown();
    expect(s.notifier.pending().queued).toBe(1000);
    s.clock.advance(30_000);
    await waitFor("the DOWN message", () => receiver.requests.length === 1);
    const body = JSON.parse(receiver.requests[0]!.body);
    expect(body.count).toBe(1000);
    expect(body.title).toBe("[FIRING] down: 1000 devices");
    expect(body.message.split("\n")).toHaveLength(26);
    expect(body.message).toEndWith("… and 975 more");
  });

  test("a restart during a firing alert sends nothing twice", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const tmp = tempDir("bagtower-notify-restart-");
    cleanups.push(tmp.cleanup);
    const dbPath = join(tmp.dir, "serve.db");
    const first = startTestServe({}, { periods: FAST, channels: [`webhook+${receiver.url}/down`], dbPath });
    await first.post("/logs", JSON.stringify(sampleRecord("pi-r", Math.floor(first.clock.now() / 1000))));
    first.clock.advance(SILENT_MS);
    await waitFor("DOWN", () => first.store.devices()[0]?.status === "DOWN");
    first.clock.advance(30_000);
    // Recorded as sent (the receiver has it a moment before the answer is read and the outcome committed).
    await waitFor("the DOWN message recorded as sent", () => first.notifier.attempts().some((a) => a.outcome === "sent"));
    expect(receiver.requests).toHaveLength(1);
    await first.stop();

    const second = startTestServe({}, { periods: FAST, channels: [`webhook+${receiver.url}/down`], dbPath });
    cleanups.push(second.stop);
    second.clock.set(first.clock.now() + 3_600_000);
    // Turns of both jobs pass (the notify job's history shows the channel still known, nothing due).
    await second.notifier.settled();
    for (let i = 0; i < 5; i++) {
      second.notifier.turn();
      await second.notifier.settled();
      second.app.checkDown();
    }
    expect(receiver.requests).toHaveLength(1);
    expect(second.notifier.pending()).toEqual({ queued: 0, retrying: 0 });
  });
});
