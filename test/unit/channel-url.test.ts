import { describe, expect, test } from "bun:test";
import { ChannelUrlError, parseChannelUrl } from "../../src/serve/alerts/channel-url.ts";
import { inQuietHours } from "../../src/serve/alerts/channel-settings.ts";
import { parseChannelSettings } from "../../src/serve/alerts/notifier.ts";

describe("parseChannelUrl", () => {
  const good: [string, object, string][] = [
    ["webhook+https://hooks.example.org/T1/secret-part?sig=abcdef", { kind: "webhook", url: "https://hooks.example.org/T1/secret-part?sig=abcdef" }, "webhook+https://hooks.example.org/***"],
    ["webhook+http://127.0.0.1:9000/", { kind: "webhook", url: "http://127.0.0.1:9000/" }, "webhook+http://127.0.0.1:9000/"],
    ["ntfy://ntfy.sh/my-alerts", { kind: "ntfy", base: "https://ntfy.sh", topic: "my-alerts", tags: [] }, "ntfy://ntfy.sh/my-alerts"],
    ["ntfy://bob:pw%40x@ntfy.local:8080/t?scheme=http&priority=2", { kind: "ntfy", base: "http://ntfy.local:8080", topic: "t", user: "bob", password: "pw@x", priority: 2 }, "ntfy://***@ntfy.local:8080/t"],
    ["ntfy://ntfy.sh/t?token=tk_abcdefgh", { kind: "ntfy", token: "tk_abcdefgh" }, "ntfy://ntfy.sh/t?token=***"],
    ["gotify://push.example.org/AbCdEf123", { kind: "gotify", base: "https://push.example.org", token: "AbCdEf123" }, "gotify://push.example.org/***"],
    ["gotify://example.org/gotify/AbCdEf123?priority=9", { kind: "gotify", base: "https://example.org/gotify", priority: 9 }, "gotify://example.org/gotify/***"],
    ["discord://tokenABC@123456789012345678", { kind: "discord", webhookId: "123456789012345678", token: "tokenABC" }, "discord://***@123456789012345678"],
    ["slack://hook:T000-B000-XXXX@webhook", { kind: "slack", path: "T000/B000/XXXX" }, "slack://hook:***@webhook"],
    ["slack://T000/B000/XXXX", { kind: "slack", path: "T000/B000/XXXX" }, "slack://hook:***@webhook"],
    ["telegram://110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw@telegram?chats=@chan,-1001", { kind: "telegram", token: "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", chats: ["@chan", "-1001"] }, "telegram://***@telegram?chats=@chan,-1001"],
    ["mqtt://broker.lan/home/alerts", { kind: "mqtt", host: "broker.lan", port: 1883, tls: false, topic: "home/alerts" }, "mqtt://broker.lan/home/alerts"],
    ["mqtts://u:p@broker.lan/a?retain=true", { kind: "mqtt", port: 8883, tls: true, user: "u", password: "p", retain: true }, "mqtts://***@broker.lan/a"],
    ["smtp://me:pw@mail.example.org:587/?from=bt@example.org&to=a@example.org,b@example.org", { kind: "smtp", host: "mail.example.org", port: 587, implicitTls: false, from: "bt@example.org", to: ["a@example.org", "b@example.org"] }, "smtp://***@mail.example.org:587/?from=bt@example.org&to=a@example.org,b@example.org"],
    ["smtps://mail.example.org/?from=bt@example.org&to=a@example.org", { kind: "smtp", port: 465, implicitTls: true }, "smtps://mail.example.org:465/?from=bt@example.org&to=a@example.org"],
  ];
  for (const [url, target, display] of good) {
    test(url, () => {
      const parsed = parseChannelUrl(url);
      expect(parsed.target).toMatchObject(target);
      expect(parsed.display).toBe(display);
      for (const secret of parsed.secrets) expect(parsed.display).not.toContain(secret);
    });
  }

  const bad: [string, RegExp][] = [
    ["", /expected a URL like ntfy/],
    ["carrier-pigeon://coop/1", /unknown kind/],
    ["ntfy://ntfy.sh/", /exactly one topic/],
    ["ntfy://ntfy.sh/a b", /topic/],
    ["ntfy://ntfy.sh/t?scheme=ftp", /scheme=/],
    ["ntfy://ntfy.sh/t?priority=9", /priority/],
    ["gotify://host", /no application token/],
    ["discord://123", /expected discord:\/\/token@webhookid/],
    ["discord://tok@hook", /expected digits/],
    ["slack://hook:T0-B0@webhook", /expected slack:/],
    ["telegram://nottoken@telegram?chats=1", /bot token/],
    ["telegram://1:abc@telegram", /no chats/],
    ["mqtt://broker.lan", /no topic/],
    ["mqtt://broker.lan/a/#", /for subscribing/],
    ["smtp://mail.example.org/?to=a@example.org", /from=/],
    ["smtp://mail.example.org/?from=a@example.org", /no recipients/],
    ["smtp://mail.example.org/?from=a@example.org&to=nobody", /not an address/],
  ];
  for (const [url, message] of bad) {
    test(`refuses ${JSON.stringify(url)}`, () => {
      let error: unknown;
      try {
        parseChannelUrl(url);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ChannelUrlError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("\n");
      expect((error as Error).message).toMatch(/^channel /);
    });
  }
});

describe("channel settings", () => {
  test("resendInterval as a duration or seconds; unknown fields and bad quiet hours are one line", () => {
    expect(parseChannelSettings({ url: "ntfy://ntfy.sh/t", resendInterval: "2h" }).resendInterval).toBe(7_200_000);
    expect(parseChannelSettings({ url: "ntfy://ntfy.sh/t", resendInterval: 600 }).resendInterval).toBe(600_000);
    expect(() => parseChannelSettings({ url: "ntfy://ntfy.sh/t", resendInterval: 5 })).toThrow(/resendInterval/);
    expect(() => parseChannelSettings({ url: "ntfy://ntfy.sh/t", colour: "red" })).toThrow(/unknown field/);
    expect(() => parseChannelSettings({ url: "ntfy://ntfy.sh/t", quietHours: { from: "25:00", to: "07:00" } })).toThrow(/quietHours.from: expected HH:MM/);
    expect(() => parseChannelSettings({ url: "ntfy://ntfy.sh/t", quietHours: { from: "22:00", to: "07:00", timeZone: "Mars/Olympus" } })).toThrow(/IANA/);
  });

  test("quiet hours, wrapping past midnight, in the channel's time zone", () => {
    const at = (iso: string) => Date.parse(iso);
    const night = { from: "22:00", to: "07:00", timeZone: "UTC" };
    expect(inQuietHours(night, at("2026-12-01T23:30:00Z"))).toBe(true);
    expect(inQuietHours(night, at("2026-12-01T06:59:00Z"))).toBe(true);
    expect(inQuietHours(night, at("2026-12-01T07:00:00Z"))).toBe(false);
    expect(inQuietHours(night, at("2026-12-01T12:00:00Z"))).toBe(false);
    // 21:30 UTC is 22:30 in Berlin in winter.
    expect(inQuietHours({ ...night, timeZone: "Europe/Berlin" }, at("2026-12-01T21:30:00Z"))).toBe(true);
    expect(inQuietHours(null, at("2026-12-01T23:30:00Z"))).toBe(false);
  });
});
