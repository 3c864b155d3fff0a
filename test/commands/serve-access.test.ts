// Who may do what on `serve` (SPEC §9 Access), over a real HTTP server on port 0: the three rights,
// loopback only for direct connections, Host and Origin, the login link and its session cookie,
// security headers, failed authentications rate limited, refused ingest in the log, the key's length.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/main.ts";
import { mintLoginToken } from "../../src/serve/login-token.ts";
import { testContext } from "../helpers/context.ts";
import { sampleRecord } from "../helpers/record.ts";
import { ADMIN_TOKEN, adminAuth, INGEST_KEY, READ_TOKEN, startTestServe } from "../helpers/serve.ts";
import { waitFor } from "../helpers/wait.ts";

let serve: ReturnType<typeof startTestServe>;
beforeEach(async () => {
  serve = startTestServe({ requestsPerMinute: 0 });
  expect((await serve.post("/logs", JSON.stringify(sampleRecord("pi-1", nowS())))).status).toBe(200);
});
afterEach(() => serve.stop());

const nowS = () => Math.floor(serve.clock.now() / 1000);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const random = (size: number) => crypto.getRandomValues(new Uint8Array(size));
const patch = (headers: Record<string, string>, body = { periodSeconds: 300 }) => serve.send("PATCH", "/api/devices/pi-1", { "content-type": "application/json", ...headers }, JSON.stringify(body));
const periodOf = async () => (await (await serve.get("/api/devices/pi-1")).json()).device.periodSeconds;
const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

describe("three rights", () => {
  test("PATCH needs the admin token, even on loopback; the read token, the ingest key or none is refused", async () => {
    const refused: [string, Record<string, string>, number, string][] = [
      ["no token on loopback", {}, 403, "this needs the admin token; a local connection only reads"],
      ["no token through a proxy", { "x-forwarded-for": "203.0.113.9" }, 401, "this needs the admin token: Authorization: Bearer <admin token>"],
      ["the read token", bearer(READ_TOKEN), 403, "this needs the admin token; the read token only reads"],
      ["the ingest key", bearer(INGEST_KEY), 401, "neither the read token nor the admin token"],
      ["a wrong token", bearer("not-a-token-of-this-server-000"), 401, "neither the read token nor the admin token"],
      ["x-api-key with the ingest key", { "x-api-key": INGEST_KEY }, 403, "this needs the admin token"],
    ];
    for (const [name, headers, status, message] of refused) {
      const res = await patch(headers);
      expect({ name, status: res.status, error: await errorOf(res) }).toEqual({ name, status, error: expect.stringContaining(message) });
    }
    expect(await periodOf()).toBe(600);
    const ok = await patch(adminAuth);
    expect(ok.status).toBe(200);
    expect(await periodOf()).toBe(300);
  });

  test("reads: open on direct loopback; the read and admin tokens read; the ingest key does not", async () => {
    expect((await serve.get("/api/devices")).status).toBe(200);
    expect((await serve.get("/api/devices", bearer(READ_TOKEN))).status).toBe(200);
    expect((await serve.get("/api/devices", adminAuth)).status).toBe(200);
    expect((await serve.get(`/metrics?token=${READ_TOKEN}`)).status).toBe(200);
    expect((await serve.get("/api/devices", bearer(INGEST_KEY))).status).toBe(401);
  });

  test("--public-read opens reads to everyone, never PATCH", async () => {
    serve.stop();
    serve = startTestServe({ requestsPerMinute: 0 }, { publicRead: true });
    await serve.post("/logs", JSON.stringify(sampleRecord("pi-1", nowS())));
    expect((await serve.get("/api/devices", { "x-forwarded-for": "203.0.113.9" })).status).toBe(200);
    const res = await patch({ "x-forwarded-for": "203.0.113.9" });
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toContain("--public-read only reads");
  });

  test("/api/session says what this client may do", async () => {
    expect(await (await serve.get("/api/session")).json()).toEqual({ right: "read", via: "loopback" });
    expect(await (await serve.get("/api/session", adminAuth)).json()).toEqual({ right: "admin", via: "token" });
    expect(await (await serve.get("/api/session", { "x-forwarded-for": "203.0.113.9" })).json()).toEqual({ right: null, via: null });
  });
});

describe("loopback only for a direct connection", () => {
  test.each(["forwarded", "x-forwarded-for", "x-real-ip"])("a request carrying %s from 127.0.0.1 is not local: reads need the token", async (header) => {
    const value = header === "forwarded" ? "for=203.0.113.9" : "203.0.113.9";
    const res = await serve.get("/api/devices", { [header]: value });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toContain("reading needs the read token");
    expect((await serve.get("/metrics", { [header]: value })).status).toBe(401);
    expect((await serve.get("/api/devices", { [header]: value, ...bearer(READ_TOKEN) })).status).toBe(200);
  });

  test("/ws from a proxy needs the token too", async () => {
    const refused = new WebSocket(`${serve.url.replace("http", "ws")}/ws`, { headers: { "x-forwarded-for": "203.0.113.9" } } as unknown as string[]);
    expect(await new Promise((resolve) => ((refused.onopen = () => resolve("open")), (refused.onerror = () => resolve("refused"))))).toBe("refused");
    const allowed = new WebSocket(`${serve.url.replace("http", "ws")}/ws?token=${READ_TOKEN}`, { headers: { "x-forwarded-for": "203.0.113.9" } } as unknown as string[]);
    expect(await new Promise((resolve) => ((allowed.onopen = () => resolve("open")), (allowed.onerror = () => resolve("refused"))))).toBe("open");
    allowed.close();
  });
});

describe("Host and Origin", () => {
  test("a name that is not ours is refused for what a browser sends by itself (DNS rebinding)", async () => {
    const evil = { host: "rebind.evil.example:8787" };
    for (const path of ["/api/devices", "/", "/assets/main.js", "/api/session", "/metrics"]) {
      const res = await serve.get(path, evil);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(await errorOf(res)).toContain("Host rebind.evil.example:8787 is not a name of this server");
    }
    // IP literals and localhost are fine; a token counts under any name (a rebinding page cannot know it).
    for (const host of ["localhost:8787", "127.0.0.1:8787", "[::1]:8787", "LOCALHOST."]) expect({ host, status: (await serve.get("/api/devices", { host })).status }).toEqual({ host, status: 200 });
    expect((await serve.get("/api/devices", { ...evil, ...bearer(READ_TOKEN) })).status).toBe(200);
    // Devices address the server by any name: ingest and /healthz do not look at Host.
    expect((await serve.post("/logs", JSON.stringify(sampleRecord("pi-2", nowS())), evil)).status).toBe(200);
    expect((await serve.get("/healthz", evil)).status).toBe(200);
  });

  test("--public-url's name is ours", async () => {
    serve.stop();
    serve = startTestServe({ requestsPerMinute: 0 }, { publicUrl: "https://bagtower.example.org" });
    expect((await serve.get("/api/session", { host: "bagtower.example.org" })).status).toBe(200);
    expect((await serve.get("/api/session", { host: "other.example.org" })).status).toBe(403);
    // Behind a proxy that rewrites Host, the public origin is still this server's.
    expect((await serve.send("PATCH", "/api/devices/ghost", { origin: "https://bagtower.example.org", ...adminAuth }, "{}")).status).toBe(404);
  });

  test("a state-changing request from another site's page is refused; devices and scripts send no Origin", async () => {
    for (const origin of ["http://evil.example", "null", "http://127.0.0.1:1", "not a url"]) {
      const res = await patch({ ...adminAuth, origin });
      expect({ origin, status: res.status }).toEqual({ origin, status: 403 });
      expect(await errorOf(res)).toContain("is not this server");
    }
    expect(await periodOf()).toBe(600);
    expect((await patch({ ...adminAuth, origin: serve.url })).status).toBe(200);
    expect((await serve.post("/logs", JSON.stringify(sampleRecord("pi-3", nowS())), { origin: "http://evil.example" })).status).toBe(403);
    expect((await serve.post("/logs", JSON.stringify(sampleRecord("pi-3", nowS())))).status).toBe(200);
  });

  test("/ws checks Origin", async () => {
    const open = (origin: string) =>
      new Promise((resolve) => {
        const ws = new WebSocket(`${serve.url.replace("http", "ws")}/ws`, { headers: { origin } } as unknown as string[]);
        ws.onopen = () => (ws.close(), resolve("open"));
        ws.onerror = () => resolve("refused");
      });
    expect(await open("http://evil.example")).toBe("refused");
    expect(await open(serve.url)).toBe("open");
  });

  test("security headers on every answer but ingest's", async () => {
    for (const res of [await serve.get("/"), await serve.get("/assets/main.js"), await serve.get("/api/devices"), await serve.get("/nope"), await patch({})]) {
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("content-security-policy")).not.toContain("unsafe-inline");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    }
    expect((await serve.post("/logs", JSON.stringify(sampleRecord("pi-1", nowS() + 5)))).headers.get("content-security-policy")).toBeNull();
  });

  test("the dashboard's page has no inline script or style", async () => {
    const html = await (await serve.get("/")).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
  });
});

describe("the dashboard's login link", () => {
  const login = (token: string, headers: Record<string, string> = {}) => fetch(`${serve.url}/?login=${encodeURIComponent(token)}`, { redirect: "manual", headers });
  const cookieOf = (res: Response) => res.headers.get("set-cookie")!.split(";")[0]!;

  test("a login link sets an HttpOnly SameSite=Strict session cookie and redirects to the clean address; it works once", async () => {
    const token = mintLoginToken(ADMIN_TOKEN, serve.clock.now(), random);
    const res = await login(token);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const setCookie = res.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^bagtower_session=[A-Za-z0-9_-]{32}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const cookie = cookieOf(res);
    expect(await (await serve.get("/api/session", { cookie })).json()).toEqual({ right: "admin", via: "session" });
    // The session may PATCH from the dashboard's own page (the browser sends Origin).
    expect((await patch({ cookie, origin: serve.url })).status).toBe(200);
    expect(await periodOf()).toBe(300);
    const again = await login(token);
    expect(again.status).toBe(401);
    expect(await errorOf(again)).toContain("this login link was used already: run bagtower serve key");
  });

  test("an expired, forged or foreign link is refused; the cookie counts only under our Host", async () => {
    const expired = mintLoginToken(ADMIN_TOKEN, serve.clock.now(), random);
    serve.clock.advance(3601_000);
    expect(await errorOf(await login(expired))).toContain("has expired");
    expect(await errorOf(await login(mintLoginToken("another-servers-admin-token-000", serve.clock.now(), random)))).toContain("is not a login link of this server");
    expect(await errorOf(await login("garbage"))).toContain("is not a login link");
    expect((await login(ADMIN_TOKEN)).status).toBe(401);
    const cookie = cookieOf(await login(mintLoginToken(ADMIN_TOKEN, serve.clock.now(), random)));
    expect((await patch({ cookie, host: "rebind.evil.example", origin: "http://rebind.evil.example" })).status).toBe(403);
  });

  test("the read token as a login gives a read-only session: no PATCH", async () => {
    const cookie = cookieOf(await login(READ_TOKEN));
    const proxied = { cookie, "x-forwarded-for": "203.0.113.9" };
    expect(await (await serve.get("/api/session", proxied)).json()).toEqual({ right: "read", via: "session" });
    expect((await serve.get("/api/devices", proxied)).status).toBe(200);
    const res = await patch({ ...proxied, origin: serve.url });
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toContain("this login only reads");
  });

  test("a session ends 12 hours after its last use; an unknown cookie is no session", async () => {
    const cookie = cookieOf(await login(mintLoginToken(ADMIN_TOKEN, serve.clock.now(), random)));
    serve.clock.advance(11 * 3600_000);
    expect((await (await serve.get("/api/session", { cookie })).json()).right).toBe("admin");
    serve.clock.advance(12 * 3600_000 + 1000);
    expect(await (await serve.get("/api/session", { cookie, "x-real-ip": "1.2.3.4" })).json()).toEqual({ right: null, via: null });
    expect(await (await serve.get("/api/session", { cookie: "bagtower_session=made-up", "x-real-ip": "1.2.3.4" })).json()).toEqual({ right: null, via: null });
  });
});

describe("failed authentications and refused ingest", () => {
  test("20 failures a minute from one address: then 429 with Retry-After, the right key too, until the minute ends", async () => {
    for (let i = 0; i < 20; i++) expect((await serve.post("/logs", "{}", { "x-api-key": `wrong-key-${i}-000000000` })).status).toBe(403);
    const blocked = await serve.post("/logs", JSON.stringify(sampleRecord("pi-1", nowS() + 1)));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await errorOf(blocked)).toMatch(/^more than 20 failed authentications this minute from 127\.0\.0\.1; retry in \d+ s$/);
    expect((await serve.get("/api/devices", bearer(READ_TOKEN))).status).toBe(429);
    expect((await patch(adminAuth)).status).toBe(429);
    // What needs no credential still works.
    expect((await serve.get("/healthz")).status).toBe(200);
    serve.clock.advance(60_000);
    expect((await serve.post("/logs", JSON.stringify(sampleRecord("pi-1", nowS() + 2)))).status).toBe(200);
  });

  test("wrong tokens and login links count as failures too", async () => {
    for (let i = 0; i < 10; i++) expect((await serve.get("/api/devices", bearer(`guess-${i}-0000000000000`))).status).toBe(401);
    for (let i = 0; i < 10; i++) expect((await fetch(`${serve.url}/?login=guess-${i}`, { redirect: "manual" })).status).toBe(401);
    expect((await serve.get("/api/devices", bearer(READ_TOKEN))).status).toBe(429);
  });

  test("refused ingest is logged once a minute per address and reason, with the count of those in between", async () => {
    for (let i = 0; i < 5; i++) await serve.post("/logs", "{}", { "x-api-key": "wrong-key-wrong-key-0000" });
    await serve.send("POST", "/api/v1/series", {}, "{}");
    const refusals = () => serve.logs.filter((l) => l.includes("refused ingest"));
    expect(refusals()).toEqual([
      expect.stringContaining("refused ingest from 127.0.0.1: wrong key (403 on POST /logs)"),
      expect.stringContaining("refused ingest from 127.0.0.1: no key (401 on POST /api/v1/series)"),
    ]);
    serve.clock.advance(60_000);
    await serve.post("/logs", "{}", { "x-api-key": "wrong-key-wrong-key-0000" });
    expect(refusals()[2]).toContain("refused ingest from 127.0.0.1: wrong key (403 on POST /logs) (4 more like it since the last line)");
    // The ingest key is never in the log.
    expect(serve.logs.join("\n")).not.toContain("wrong-key-wrong-key-0000");
  });

  test("over the ingest rate limit is logged too", async () => {
    serve.stop();
    serve = startTestServe({ requestsPerMinute: 1 });
    await serve.post("/logs", JSON.stringify(sampleRecord("pi-1", nowS())));
    expect((await serve.post("/logs", JSON.stringify(sampleRecord("pi-1", nowS() + 1)))).status).toBe(429);
    expect(serve.logs.filter((l) => l.includes("refused ingest"))).toEqual([expect.stringContaining("refused ingest from 127.0.0.1: over the rate limit (429 on POST /logs)")]);
  });
});

describe("the ingest key at start", () => {
  const start = async (args: string[], env: Record<string, string> = {}) => {
    const t = testContext({}, env);
    const stop = new AbortController();
    try {
      const running = runCli(["serve", "--port", "0", "--db", join(t.home, "serve.db"), ...args], { overrides: t.ctx, stop: stop.signal });
      // A serve that started prints its dashboard line; stop it then. One that refused to start has exited.
      let exited = false;
      void running.then(() => (exited = true));
      await waitFor("serve to start or exit", () => exited || t.logs.some((l) => l.includes("dashboard:")));
      stop.abort();
      return { code: await running, logs: t.logs, home: t.home };
    } finally {
      t.cleanup();
    }
  };

  test.each([
    ["--api-key", ["--api-key", "short-key"], {}, "--api-key: the ingest key has 9 characters, at least 16 are needed"],
    ["BAGTOWER_SERVE_API_KEY", [], { BAGTOWER_SERVE_API_KEY: "0123456789abcde" }, "BAGTOWER_SERVE_API_KEY: the ingest key has 15 characters, at least 16 are needed"],
  ] as const)("a key shorter than 16 characters from %s: exit 78, one line", async (_, args, env, message) => {
    const { code, logs } = await start([...args], { ...env });
    expect(code).toBe(78);
    expect(logs.filter((l) => l.includes("error"))).toEqual([expect.stringContaining(message)]);
  });

  test("--api-key-file: the key from a file (not in ps); a short, missing or doubled one is refused", async () => {
    const t = testContext();
    try {
      const good = join(t.home, "ingest.key");
      writeFileSync(good, "file-ingest-key-0123456789\n");
      const short = join(t.home, "short.key");
      writeFileSync(short, "abc\n");
      const ok = await start(["--api-key-file", good]);
      expect(ok.code).toBe(0);
      expect(ok.logs.join("\n")).toContain("dashboard: http://127.0.0.1:");
      expect(ok.logs.join("\n")).not.toContain("visible to every user in ps");
      expect((await start(["--api-key-file", short])).logs.join("\n")).toContain(`--api-key-file ${short}: the ingest key has 3 characters`);
      const missing = await start(["--api-key-file", join(t.home, "nope")]);
      expect(missing.code).toBe(78);
      expect(missing.logs.join("\n")).toContain("ENOENT");
      expect((await start(["--api-key-file", good, "--api-key", "flag-ingest-key-0123456789"])).code).toBe(2);
      const flagged = await start(["--api-key", "flag-ingest-key-0123456789"]);
      expect(flagged.code).toBe(0);
      expect(flagged.logs.join("\n")).toContain("--api-key is visible to every user in ps");
    } finally {
      t.cleanup();
    }
  });

  test("a short key written into HOME/serve-key by hand: exit 78 naming the file, the file kept", async () => {
    const t = testContext();
    try {
      writeFileSync(join(t.home, "serve-key"), "my-key\n");
      expect(await runCli(["serve", "--port", "0", "--db", join(t.home, "serve.db")], { overrides: t.ctx })).toBe(78);
      expect(t.logs.filter((l) => l.includes("error"))).toEqual([expect.stringContaining(`${join(t.home, "serve-key")}: the ingest key has 6 characters, at least 16 are needed`)]);
      expect(readFileSync(join(t.home, "serve-key"), "utf8")).toBe("my-key\n");
    } finally {
      t.cleanup();
    }
  });

  test("--public-url takes an origin only", async () => {
    expect((await start(["--public-url", "ftp://x"])).code).toBe(2);
    expect((await start(["--public-url", "https://x.example/sub"])).logs.join("\n")).toContain("no path, query or credentials");
    const ok = await start(["--public-url", "https://bagtower.example.org"]);
    expect(ok.logs.join("\n")).toContain("dashboard: https://bagtower.example.org/?login=");
  });
});

describe("bagtower serve key", () => {
  test("shows the environment's ingest key, the one serve uses", async () => {
    const t = testContext({}, { BAGTOWER_SERVE_API_KEY: "env-ingest-key-0123456789" });
    try {
      expect(await runCli(["serve", "key", "--json"], { overrides: t.ctx })).toBe(0);
      const keys = JSON.parse(t.out.pop()!);
      expect(keys.ingestKey).toBe("env-ingest-key-0123456789");
      expect(keys.loginUrl).toMatch(/^\/\?login=\d+\./);
    } finally {
      t.cleanup();
    }
  });


  test("prints the three secrets and a login link the running serve accepts once", async () => {
    const t = testContext();
    const stop = new AbortController();
    const running = runCli(["serve", "--port", "0", "--db", join(t.home, "serve.db")], { overrides: t.ctx, stop: stop.signal });
    try {
      await waitFor("serve's dashboard line", () => t.logs.some((l) => l.includes("dashboard:")));
      const started = /dashboard: (http:\/\/127\.0\.0\.1:\d+)\/\?login=(\S+) \(admin login/.exec(t.logs.join("\n"));
      expect(started).not.toBeNull();
      expect(await runCli(["serve", "key", "--json"], { overrides: t.ctx })).toBe(0);
      const keys = JSON.parse(t.out.pop()!);
      expect(Object.keys(keys)).toEqual(["ingestKey", "readToken", "adminToken", "loginUrl", "files"]);
      expect(keys.loginUrl.startsWith(`${started![1]}/?login=`)).toBe(true);
      expect(statSync(keys.files.admin).mode & 0o777).toBe(0o600);
      for (const url of [`${started![1]}/?login=${started![2]}`, keys.loginUrl]) {
        expect((await fetch(url, { redirect: "manual" })).status).toBe(303);
        expect((await fetch(url, { redirect: "manual" })).status).toBe(401);
      }
      expect((await fetch(`${started![1]}/api/session`, { headers: { authorization: `Bearer ${keys.adminToken}` } }).then((r) => r.json())) as unknown).toEqual({ right: "admin", via: "token" });
      expect(await runCli(["serve", "key"], { overrides: t.ctx })).toBe(0);
      expect(t.out.pop()).toMatch(/^ingest key {3}\S{32} .*\nread token {3}\S{32} .*\nadmin token {2}\S{32} .*\nadmin login {2}http:\/\/127\.0\.0\.1:\d+\/\?login=\S+ {2}\(works once, for 60 minutes\)\n$/);
    } finally {
      stop.abort();
      await running;
      t.cleanup();
    }
  });
});
