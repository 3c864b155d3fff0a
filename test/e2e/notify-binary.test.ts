// The compiled binary: `bagtower ping` against a receiver's heartbeat check (token alone, with the
// server from the agent's config; a whole URL; --fail and --exit; a wrong token), and `serve --channel`
// with the own SMTP and MQTT clients reaching a real aiosmtpd and mosquitto from inside the binary.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, runBinary } from "../helpers/binary.ts";
import { tempDir } from "../helpers/context.ts";
import { startMosquitto, startSmtpServer } from "../helpers/mail-broker.ts";
import { startReceiver } from "../helpers/receiver.ts";
import { startServeBinary } from "../helpers/serve-binary.ts";
import { adminAuth, startTestServe } from "../helpers/serve.ts";
import { waitFor } from "../helpers/wait.ts";
import { skipWithout } from "../helpers/prereq.ts";

beforeAll(() => buildBinary(), 120_000);

describe("bagtower ping", () => {
  const receiver = startReceiver();
  const serve = startTestServe({}, { periods: { notify: 20 }, channels: [`webhook+${receiver.url}/a`], notifier: { groupWindowMs: 0, flapWindowMs: 0 } });
  const home = tempDir("bagtower-ping-home-");
  afterAll(async () => {
    await serve.stop();
    receiver.stop();
    home.cleanup();
  });
  mkdirSync(home.dir, { recursive: true });
  writeFileSync(join(home.dir, "config.json"), JSON.stringify({ sinks: [{ name: "home", format: "bagtower", url: `${serve.url}/logs`, apiKey: "x".repeat(20) }] }));
  const ping = (...args: string[]) => runBinary(["ping", "--home", home.dir, ...args]);
  const check = async () => (await serve.send("POST", "/api/checks", { ...adminAuth, "Content-Type": "application/json" }, JSON.stringify({ name: "job", periodSeconds: 3600 }))).json();

  test("a token alone goes to the agent's server; --fail fires the check's alert, --exit 0 resolves it", async () => {
    const c = await check();
    const ok = await ping(c.token);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(`pinged ${serve.url}/ping/***`);
    expect(ok.stderr).not.toContain(c.token);
    expect(ok.stdout).toBe("");
    expect((await ping(c.token, "--fail", "--message", "disk full")).code).toBe(0);
    await waitFor("the failure alert", () => receiver.requests.length === 1);
    expect(JSON.parse(receiver.requests[0]!.body).summary).toBe("job: reported a failure: disk full");
    expect((await ping(c.pingUrl, "--exit", "0")).code).toBe(0);
    await waitFor("resolved", () => receiver.requests.length === 2);
    expect((await ping(c.pushUrl, "--exit", "3")).code).toBe(0);
    await waitFor("Uptime Kuma's down", () => receiver.requests.length === 3);
    expect(JSON.parse(receiver.requests[2]!.body).summary).toBe("job: reported a failure: exit code 3");
    expect((await ping(c.token, "--start")).code).toBe(0);
  });

  test("a wrong token exits 78; bad flags exit 2 with one line; --help names the flags", async () => {
    const wrong = await ping("not-a-real-token-123");
    expect(wrong.code).toBe(78);
    expect(wrong.stderr).toContain("no check has this token");
    const both = await ping("abcdefgh12", "--start", "--fail");
    expect(both.code).toBe(2);
    expect(both.stderr.trim().split("\n")).toHaveLength(1);
    expect((await ping("abcdefgh12", "--exit", "300")).code).toBe(2);
    // A token issued before tokens stopped starting with '-' still pings, after '--'.
    const dashed = await ping("-bcdefgh12");
    expect(dashed.code).toBe(2);
    expect(dashed.stderr).toContain("goes after '--': 'bagtower ping -- -bcdefgh12'");
    expect((await ping("--", "-bcdefgh12")).stderr).toContain("no check has this token");
    const help = await runBinary(["ping", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout + help.stderr).toMatch(/--start[\s\S]*--fail[\s\S]*--exit/);
  });

  test("with no server configured, a bare token is a config error", async () => {
    const empty = tempDir("bagtower-ping-empty-");
    const result = await runBinary(["ping", "--home", empty.dir, "abcdefgh12"]);
    empty.cleanup();
    expect(result.code).toBe(78);
    expect(result.stderr).toContain("no server to ping");
  });
});

describe.skipIf(skipWithout("aiosmtpd", "mosquitto"))("serve --channel in the compiled binary", () => {
  test("the channel test reaches a real SMTP server and a real MQTT broker", async () => {
    const smtp = await startSmtpServer();
    const broker = await startMosquitto();
    const sub = await broker.subscribe("alerts");
    const serve = await startServeBinary(["--channel", `smtp://127.0.0.1:${smtp.port}/?from=bt@example.org&to=ops@example.org`, "--channel", `mqtt://127.0.0.1:${broker.port}/alerts`]);
    try {
      const auth = { authorization: `Bearer ${serve.adminToken}` };
      const { channels } = (await (await fetch(`${serve.url}/api/channels`, { headers: auth })).json()) as { channels: { id: number; kind: string }[] };
      expect(channels.map((c: { kind: string }) => c.kind)).toEqual(["smtp", "mqtt"]);
      for (const channel of channels) {
        const result = await (await fetch(`${serve.url}/api/channels/${channel.id}/test`, { method: "POST", headers: auth })).json();
        expect(result).toMatchObject({ ok: true, outcome: "sent" });
      }
      const [mail] = await waitFor("the test mail", () => (smtp.mails().length ? smtp.mails() : undefined));
      expect(mail!.headers.subject).toBe("bagtower: test notification");
      const [line] = await waitFor("the MQTT message", () => (sub.lines().length ? sub.lines() : undefined));
      expect(JSON.parse(line!)).toMatchObject({ kind: "test" });
      expect(serve.log()).toContain("alerts go to channel 1: smtp://127.0.0.1:");
    } finally {
      await serve.stop();
      await smtp.stop();
      await broker.stop();
    }
  }, 30_000);
});
