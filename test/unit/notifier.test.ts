// The notifier against real parts: a real SQLite file, a real HTTP receiver (Bun.serve), a real SMTP
// server (aiosmtpd) and a real MQTT broker (mosquitto); the clock moves by hand and the delivery job's
// turns are run by the test.
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createLogger } from "../../src/log.ts";
import { createNotifier, retryDelayMs } from "../../src/serve/alerts/notifier.ts";
import type { AlertTransition } from "../../src/serve/alerts/transition.ts";
import { manualClock, tempDir } from "../helpers/context.ts";
import { startMosquitto, startSmtpServer } from "../helpers/mail-broker.ts";
import { startReceiver } from "../helpers/receiver.ts";
import { waitFor } from "../helpers/wait.ts";
import { skipWithout } from "../helpers/prereq.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

function setup(options: Partial<Parameters<typeof createNotifier>[0]> = {}, dbPath?: string) {
  const tmp = tempDir("bagtower-notify-");
  const path = dbPath ?? join(tmp.dir, "serve.db");
  const db = new Database(path, { create: true, strict: true });
  const clock = manualClock(T0);
  const logs: string[] = [];
  const notifier = createNotifier({ db, log: createLogger(4, (line) => logs.push(line)), now: clock.now, random: () => 0.5, timeoutMs: 2000, ...options });
  cleanups.push(() => {
    db.close();
    if (!dbPath) tmp.cleanup();
  });
  const run = async () => {
    notifier.turn();
    await notifier.settled();
  };
  return { db, clock, logs, notifier, run, path };
}

let nextAlert = 1;
function down(deviceId: string, state: "firing" | "resolved" = "firing", extra: Partial<AlertTransition> = {}): AlertTransition {
  return {
    alertId: extra.alertId ?? nextAlert++,
    ruleId: "down",
    ruleName: "DOWN",
    severity: "critical",
    deviceId,
    labels: { zone: "zone-1" },
    state,
    value: null,
    at: Math.floor(T0 / 1000),
    summary: `${deviceId}: no record for 600 s`,
    ...extra,
  };
}

describe("grouping and the webhook body", () => {
  test("50 devices going DOWN within the window become one message listing them all; the body has every transition field and the group", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { notifier, clock, run } = setup();
    notifier.channels.add({ url: `webhook+${receiver.url}/hook` });
    for (let i = 0; i < 50; i++) {
      notifier.notify(down(`pi-${String(i).padStart(2, "0")}`));
      clock.advance(100);
    }
    await run();
    expect(receiver.requests).toHaveLength(0); // still inside the group window
    clock.advance(30_000);
    await run();
    await run();
    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/hook");
    expect(request.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(request.body);
    for (const field of ["alertId", "ruleId", "ruleName", "severity", "deviceId", "labels", "state", "value", "at", "summary"]) expect(body).toHaveProperty(field);
    expect(body.kind).toBe("firing");
    expect(body.count).toBe(50);
    expect(body.group).toHaveLength(50);
    expect(body.title).toBe("[FIRING] DOWN: 50 devices");
    expect(body.message).toContain("… and 25 more");
    expect(notifier.pending()).toEqual({ queued: 0, retrying: 0 });
  });

  test("a webhook template makes the body", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { notifier, clock, run } = setup();
    notifier.channels.add({ url: `webhook+${receiver.url}/t`, template: '{"text": {{title}}, "n": {{count}}}' });
    notifier.notify(down("pi-a"));
    clock.advance(30_000);
    await run();
    expect(JSON.parse(receiver.requests[0]!.body)).toEqual({ text: "[FIRING] DOWN: pi-a", n: 1 });
  });

  test("routing: a channel hears only its rules and labels", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { notifier, clock, run } = setup();
    notifier.channels.add({ url: `webhook+${receiver.url}/zone2`, labels: { zone: "zone-2" } });
    notifier.channels.add({ url: `webhook+${receiver.url}/cpu`, rules: ["cpu"] });
    notifier.channels.add({ url: `webhook+${receiver.url}/all` });
    notifier.notify(down("pi-a"));
    notifier.notify(down("pi-b", "firing", { labels: { zone: "zone-2" } }));
    clock.advance(30_000);
    await run();
    const byPath = (p: string) => receiver.requests.filter((r) => r.path === p).map((r) => JSON.parse(r.body).group.map((t: AlertTransition) => t.deviceId));
    expect(byPath("/zone2")).toEqual([["pi-b"]]);
    expect(byPath("/cpu")).toEqual([]);
    expect(byPath("/all")).toEqual([["pi-a", "pi-b"]]);
  });
});

describe("the edges", () => {
  test("flap damping: resolved and firing again within the window tells no one; a lasting resolution sends the resolved message", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { notifier, clock, run } = setup({ flapWindowMs: 120_000 });
    notifier.channels.add({ url: `webhook+${receiver.url}/h` });
    const first = down("pi-a");
    notifier.notify(first);
    clock.advance(30_000);
    await run();
    expect(receiver.requests).toHaveLength(1);
    notifier.notify({ ...first, state: "resolved" });
    clock.advance(60_000);
    await run();
    const again = down("pi-a");
    notifier.notify(again);
    clock.advance(200_000);
    await run();
    expect(receiver.requests).toHaveLength(1);
    expect(notifier.attempts({ alertId: again.alertId }).map((a) => a.outcome)).toEqual(["damped"]);
    notifier.notify({ ...again, state: "resolved" });
    clock.advance(60_000);
    await run();
    expect(receiver.requests).toHaveLength(1); // the flap window is not over yet
    clock.advance(60_000);
    await run();
    expect(receiver.requests).toHaveLength(2);
    expect(JSON.parse(receiver.requests[1]!.body)).toMatchObject({ kind: "resolved", state: "resolved", title: "[RESOLVED] DOWN: pi-a" });
  });

  test("firing and resolved inside the group window: nothing is sent", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { notifier, clock, run } = setup();
    notifier.channels.add({ url: `webhook+${receiver.url}/h` });
    const t = down("pi-a");
    notifier.notify(t);
    clock.advance(5_000);
    notifier.notify({ ...t, state: "resolved" });
    clock.advance(3_600_000);
    await run();
    expect(receiver.requests).toHaveLength(0);
  });

  test("resend while firing at the channel's interval, and not after it resolved", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { notifier, clock, run } = setup({ flapWindowMs: 0 });
    notifier.channels.add({ url: `webhook+${receiver.url}/h`, resendInterval: "1h" });
    const t = down("pi-a");
    notifier.notify(t);
    clock.advance(30_000);
    await run();
    clock.advance(3_600_000);
    await run();
    clock.advance(3_600_000);
    await run();
    expect(receiver.requests.map((r) => JSON.parse(r.body).kind)).toEqual(["firing", "resend", "resend"]);
    expect(JSON.parse(receiver.requests[1]!.body).title).toBe("[STILL FIRING] DOWN: pi-a");
    notifier.notify({ ...t, state: "resolved" });
    clock.advance(30_000);
    await run();
    clock.advance(7_200_000);
    await run();
    expect(receiver.requests.map((r) => JSON.parse(r.body).kind)).toEqual(["firing", "resend", "resend", "resolved"]);
  });

  test("quiet hours hold a message and send it when they end", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { notifier, clock, run } = setup();
    // T0 is 12:00 UTC.
    notifier.channels.add({ url: `webhook+${receiver.url}/h`, quietHours: { from: "11:00", to: "13:00" } });
    notifier.notify(down("pi-a"));
    clock.advance(30 * 60_000);
    await run();
    expect(receiver.requests).toHaveLength(0);
    clock.advance(31 * 60_000);
    await run();
    expect(receiver.requests).toHaveLength(1);
  });
});

describe("delivery that cannot hurt", () => {
  test("500 and 429 are retried with exponential backoff (Retry-After honoured); every attempt is in the history", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const answers = [new Response("boom", { status: 500 }), new Response("slow down", { status: 429, headers: { "Retry-After": "600" } })];
    receiver.answer(() => answers.shift() ?? new Response("ok"));
    const { notifier, clock, run } = setup({ retryBaseMs: 30_000 });
    const channel = notifier.channels.add({ url: `webhook+${receiver.url}/h` });
    const t = down("pi-a");
    notifier.notify(t);
    clock.advance(30_000);
    await run();
    expect(receiver.requests).toHaveLength(1);
    clock.advance(retryDelayMs(1, 30_000, 3_600_000, 0.5) - 1);
    await run();
    expect(receiver.requests).toHaveLength(1); // not yet due
    clock.advance(1);
    await run();
    expect(receiver.requests).toHaveLength(2);
    clock.advance(retryDelayMs(2, 30_000, 3_600_000, 0.5));
    await run();
    expect(receiver.requests).toHaveLength(2); // Retry-After: 600 is longer than the backoff
    clock.advance(600_000);
    await run();
    expect(receiver.requests).toHaveLength(3);
    const history = notifier.attempts({ alertId: t.alertId }).reverse();
    expect(history.map((a) => [a.channelId, a.attempt, a.outcome])).toEqual([
      [channel.id, 1, "retry"],
      [channel.id, 2, "retry"],
      [channel.id, 3, "sent"],
    ]);
    expect(history[0]!.detail).toBe("HTTP 500: boom");
  });

  test("the history is kept for its time, then pruned", async () => {
    const receiver = startReceiver();
    cleanups.push(receiver.stop);
    const { notifier, clock, run } = setup({ historyMs: 86_400_000 });
    notifier.channels.add({ url: `webhook+${receiver.url}/h` });
    notifier.notify(down("pi-old"));
    clock.advance(30_000);
    await run();
    expect(notifier.attempts()).toHaveLength(1);
    clock.advance(86_400_000 + 3_600_000);
    await run();
    expect(notifier.attempts()).toHaveLength(0);
  });

  test("a 4xx refusal is not retried; past the give-up time a message is dropped", async () => {
    const receiver = startReceiver(() => new Response("no", { status: 500 }));
    cleanups.push(receiver.stop);
    const { notifier, clock, run } = setup({ giveUpMs: 3_600_000, retryCapMs: 600_000 });
    notifier.channels.add({ url: `webhook+${receiver.url}/h` });
    notifier.notify(down("pi-a"));
    clock.advance(30_000);
    for (let i = 0; i < 20; i++) {
      await run();
      clock.advance(600_000);
    }
    const outcomes = notifier.attempts().map((a) => a.outcome);
    expect(outcomes[0]).toBe("gave-up");
    expect(outcomes.length).toBeLessThan(15);
    receiver.answer(() => new Response("bad", { status: 400 }));
    notifier.notify(down("pi-b"));
    clock.advance(30_000);
    await run();
    clock.advance(86_400_000);
    await run();
    expect(notifier.attempts()[0]).toMatchObject({ outcome: "rejected", attempt: 1, detail: "HTTP 400: bad" });
    expect(notifier.pending()).toEqual({ queued: 0, retrying: 0 });
  });

  test("a channel that hangs times out and does not hold the other channels; notify returns at once", async () => {
    const hang = startReceiver(() => new Promise<Response>(() => {}));
    const good = startReceiver();
    cleanups.push(hang.stop, good.stop);
    const { notifier, clock } = setup({ timeoutMs: 300 });
    const stuck = notifier.channels.add({ url: `webhook+${hang.url}/h` });
    notifier.channels.add({ url: `webhook+${good.url}/h` });
    notifier.notify(down("pi-a"));
    clock.advance(30_000);
    notifier.turn();
    await waitFor("the good channel's message", () => good.requests.length === 1);
    // The hung channel is still in flight; notify only writes rows.
    notifier.notify(down("pi-b"));
    await notifier.settled();
    expect(notifier.attempts({ channelId: stuck.id })[0]).toMatchObject({ outcome: "retry", detail: "no answer within 300 ms" });
  });

  test("an oversized reply is read only up to the cap", async () => {
    const big = "x".repeat(20 * 1024 * 1024);
    const receiver = startReceiver(() => new Response(big, { status: 502 }));
    cleanups.push(receiver.stop);
    const { notifier, clock, run } = setup();
    notifier.channels.add({ url: `webhook+${receiver.url}/h` });
    notifier.notify(down("pi-a"));
    clock.advance(30_000);
    await run();
    const [attempt] = notifier.attempts();
    expect(attempt!.outcome).toBe("retry");
    expect(attempt!.detail.length).toBeLessThanOrEqual(500);
  });

  test("a restart during retries sends nothing twice, and nothing after it was sent", async () => {
    const receiver = startReceiver(() => new Response("down", { status: 503 }));
    cleanups.push(receiver.stop);
    const tmp = tempDir("bagtower-notify-restart-");
    cleanups.push(tmp.cleanup);
    const path = join(tmp.dir, "serve.db");
    const first = setup({}, path);
    first.notifier.channels.add({ url: `webhook+${receiver.url}/h` });
    first.notifier.notify(down("pi-a"));
    first.notifier.notify(down("pi-b"));
    first.clock.advance(30_000);
    await first.run();
    expect(receiver.requests).toHaveLength(1);
    first.db.close();

    receiver.answer(() => new Response("ok"));
    const second = setup({}, path);
    second.clock.set(T0 + 30_000 + 3_600_000);
    await second.run();
    await second.run();
    expect(receiver.requests).toHaveLength(2);
    second.db.close();

    const third = setup({}, path);
    third.clock.set(T0 + 86_400_000);
    await third.run();
    expect(receiver.requests).toHaveLength(2);
    expect(third.notifier.attempts().map((a) => a.outcome)).toEqual(["sent", "sent", "retry", "retry"]);
  });
});

describe("the services' requests", () => {
  test("ntfy, gotify, discord, slack and telegram: the method, path, headers and JSON each service documents", async () => {
    const receiver = startReceiver((r) => (r.path.includes("sendMessage") ? Response.json({ ok: true }) : r.path.startsWith("/api/webhooks") ? new Response(null, { status: 204 }) : new Response("ok")));
    cleanups.push(receiver.stop);
    const host = receiver.url.slice("http://".length);
    const { notifier, clock, run } = setup({ endpoints: { discord: receiver.url, slack: receiver.url, telegram: receiver.url } });
    notifier.channels.add({ url: `ntfy://alice:s3cret-pw@${host}/bagtower-alerts?scheme=http&tags=pi` });
    notifier.channels.add({ url: `gotify://${host}/AppTokenXYZ123?scheme=http` });
    notifier.channels.add({ url: "discord://WebhookTokenABC@123456789012345678" });
    notifier.channels.add({ url: "slack://hook:T00000000-B00000000-XXXXXXXXXXXXXXXXXXXXXXXX@webhook" });
    notifier.channels.add({ url: "telegram://123456:ABC-DEF1234ghIkl@telegram?chats=@alerts,-10042" });
    notifier.notify(down("pi-a"));
    clock.advance(30_000);
    await run();
    const find = (prefix: string) => receiver.requests.filter((r) => r.path.startsWith(prefix));
    const ntfy = receiver.requests.find((r) => r.path === "/");
    expect(ntfy!.method).toBe("POST");
    expect(ntfy!.headers.authorization).toBe(`Basic ${Buffer.from("alice:s3cret-pw").toString("base64")}`);
    expect(JSON.parse(ntfy!.body)).toEqual({ topic: "bagtower-alerts", title: "[FIRING] DOWN: pi-a", message: "critical: pi-a: no record for 600 s", priority: 5, tags: ["rotating_light", "pi"] });

    const [gotify] = find("/message");
    expect(gotify!.headers["x-gotify-key"]).toBe("AppTokenXYZ123");
    expect(gotify!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(gotify!.body)).toEqual({ title: "[FIRING] DOWN: pi-a", message: "critical: pi-a: no record for 600 s", priority: 8 });

    const [discord] = find("/api/webhooks/");
    expect(discord!.path).toBe("/api/webhooks/123456789012345678/WebhookTokenABC");
    expect(JSON.parse(discord!.body)).toEqual({ content: "**[FIRING] DOWN: pi-a**\ncritical: pi-a: no record for 600 s", allowed_mentions: { parse: [] } });

    const [slack] = find("/services/");
    expect(slack!.path).toBe("/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX");
    expect(JSON.parse(slack!.body)).toEqual({ text: "*[FIRING] DOWN: pi-a*\ncritical: pi-a: no record for 600 s" });

    const telegram = find("/bot");
    expect(telegram.map((r) => r.path)).toEqual(["/bot123456:ABC-DEF1234ghIkl/sendMessage", "/bot123456:ABC-DEF1234ghIkl/sendMessage"]);
    expect(telegram.map((r) => JSON.parse(r.body).chat_id)).toEqual(["@alerts", "-10042"]);
    expect(JSON.parse(telegram[0]!.body).text).toBe("[FIRING] DOWN: pi-a\ncritical: pi-a: no record for 600 s");
    expect(notifier.attempts().every((a) => a.outcome === "sent")).toBe(true);
  });

  test.skipIf(skipWithout("aiosmtpd"))("smtp: a real SMTP server (aiosmtpd) receives the alert mail with its subject, body, From and To", async () => {
    const smtp = await startSmtpServer();
    cleanups.push(smtp.stop);
    const { notifier, clock, run } = setup();
    notifier.channels.add({ url: `smtp://127.0.0.1:${smtp.port}/?from=bagtower@example.org&to=ops@example.org,oncall@example.org` });
    notifier.notify(down("pi-a"));
    notifier.notify(down("pi-ü"));
    clock.advance(30_000);
    await run();
    expect(notifier.attempts()[0]).toMatchObject({ outcome: "sent" });
    const [mail] = await waitFor("the mail", () => (smtp.mails().length ? smtp.mails() : undefined));
    expect(mail!.headers.from).toBe("bagtower@example.org");
    expect(mail!.headers.to).toBe("ops@example.org, oncall@example.org");
    expect(mail!.headers["x-rcptto"]).toBe("ops@example.org, oncall@example.org");
    expect(mail!.headers.subject).toBe("[FIRING] DOWN: 2 devices");
    expect(mail!.body).toContain("critical: pi-a: no record for 600 s\ncritical: pi-ü: no record for 600 s");
  });

  for (const tls of ["starttls", "smtps"] as const) {
    test.skipIf(skipWithout("aiosmtpd"))(`smtp over TLS (${tls}): the mail arrives through a server that requires it`, async () => {
      const smtp = await startSmtpServer(tls);
      cleanups.push(smtp.stop);
      const { notifier, clock, run } = setup({ tlsCa: smtp.pem });
      notifier.channels.add({ url: `${tls === "smtps" ? "smtps" : "smtp"}://127.0.0.1:${smtp.port}/?from=bagtower@example.org&to=ops@example.org` });
      notifier.notify(down("pi-tls"));
      clock.advance(30_000);
      await run();
      expect(notifier.attempts()[0]).toMatchObject({ outcome: "sent" });
      const [mail] = await waitFor("the mail", () => (smtp.mails().length ? smtp.mails() : undefined));
      expect(mail!.headers.subject).toBe("[FIRING] DOWN: pi-tls");
    });
  }

  test.skipIf(skipWithout("aiosmtpd"))("smtp with a login: STARTTLS, then AUTH; a wrong password is refused for good and never shown", async () => {
    const smtp = await startSmtpServer("starttls", { user: "alerts@example.org", password: "s3cret-app-pw" });
    cleanups.push(smtp.stop);
    const { notifier, clock, run } = setup({ tlsCa: smtp.pem });
    notifier.channels.add({ url: `smtp://alerts%40example.org:s3cret-app-pw@127.0.0.1:${smtp.port}/?from=alerts@example.org&to=ops@example.org` });
    notifier.notify(down("pi-auth"));
    clock.advance(30_000);
    await run();
    expect(notifier.attempts()[0]).toMatchObject({ outcome: "sent" });
    const [mail] = await waitFor("the mail", () => (smtp.mails().length ? smtp.mails() : undefined));
    expect(mail!.headers.subject).toBe("[FIRING] DOWN: pi-auth");
    const wrong = notifier.channels.add({ url: `smtp://alerts%40example.org:wrong-pw-123@127.0.0.1:${smtp.port}/?from=alerts@example.org&to=ops@example.org` });
    const result = await notifier.channels.test(wrong.id);
    expect(result).toMatchObject({ ok: false, outcome: "rejected" });
    expect(result.detail).toMatch(/^smtp AUTH: 535/);
    expect(result.detail).not.toContain("wrong-pw-123");
  });

  test.skipIf(skipWithout("aiosmtpd"))("smtp over STARTTLS with an untrusted certificate is a retry naming the certificate, nothing sent in clear", async () => {
    const smtp = await startSmtpServer("starttls");
    cleanups.push(smtp.stop);
    const { notifier } = setup();
    const channel = notifier.channels.add({ url: `smtp://127.0.0.1:${smtp.port}/?from=a@example.org&to=b@example.org` });
    const result = await notifier.channels.test(channel.id);
    expect(result).toMatchObject({ ok: false, outcome: "retry" });
    expect(result.detail).toMatch(/certificate/i);
    expect(smtp.mails()).toHaveLength(0);
  });

  test.skipIf(skipWithout("aiosmtpd"))("smtp: a password is not sent to a server that offers no STARTTLS, unless it is on loopback", async () => {
    const smtp = await startSmtpServer();
    cleanups.push(smtp.stop);
    const { notifier } = setup();
    // aiosmtpd refuses AUTH without TLS itself: the refusal comes back as the test's outcome.
    const channel = notifier.channels.add({ url: `smtp://user:hunter2pw@127.0.0.1:${smtp.port}/?from=a@example.org&to=b@example.org` });
    const result = await notifier.channels.test(channel.id);
    expect(result.ok).toBe(false);
    expect(result.detail).toContain("AUTH");
    expect(result.detail).not.toContain("hunter2pw");
  });

  test.skipIf(skipWithout("mosquitto"))("mqtt: a real broker (mosquitto) delivers the JSON body to a subscriber", async () => {
    const broker = await startMosquitto();
    cleanups.push(broker.stop);
    const sub = await broker.subscribe("bagtower/alerts");
    const { notifier, clock, run } = setup();
    notifier.channels.add({ url: `mqtt://127.0.0.1:${broker.port}/bagtower/alerts` });
    notifier.notify(down("pi-a"));
    clock.advance(30_000);
    await run();
    expect(notifier.attempts()[0]).toMatchObject({ outcome: "sent", detail: "PUBACK" });
    const [line] = await waitFor("the MQTT message", () => (sub.lines().length ? sub.lines() : undefined));
    expect(JSON.parse(line!)).toMatchObject({ kind: "firing", deviceId: "pi-a", ruleId: "down", count: 1 });
  });

  test.skipIf(skipWithout("mosquitto"))("mqtt: a broker that refuses the login is a rejection, not retried", async () => {
    const broker = await startMosquitto({ anonymous: false });
    cleanups.push(broker.stop);
    const { notifier } = setup();
    const channel = notifier.channels.add({ url: `mqtt://someone:pw-wrong-1@127.0.0.1:${broker.port}/t` });
    const result = await notifier.channels.test(channel.id);
    expect(result).toMatchObject({ ok: false, outcome: "rejected" });
    expect(result.detail).toContain("not authorized");
  });
});
