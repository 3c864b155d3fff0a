// serve's /install.sh, /download/ and /api/install in-process (from source: no executable of its
// own), over release files in a --downloads directory: sums, streaming, rights, hostile paths and Hosts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/context.ts";
import { ADMIN_TOKEN, INGEST_KEY, READ_TOKEN, startTestServe } from "../helpers/serve.ts";
import { skipWithout } from "../helpers/prereq.ts";

const sha256 = (bytes: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
const proxied = { "x-forwarded-for": "203.0.113.9" };

const dir = tempDir("bagtower-downloads-");
const arm64 = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) & 255);
let serve: ReturnType<typeof startTestServe>;
let plain: ReturnType<typeof startTestServe>;

beforeAll(() => {
  writeFileSync(join(dir.dir, "bagtower-linux-arm64"), arm64);
  writeFileSync(join(dir.dir, "bagtower-linux-x64-musl"), "musl build\n");
  writeFileSync(join(dir.dir, "README.txt"), "not a release file\n");
  writeFileSync(join(dir.dir, "SHA256SUMS"), `${"0".repeat(64)}  bagtower-linux-arm64\n`);
  mkdirSync(join(dir.dir, "bagtower-linux-x64"));
  serve = startTestServe({}, { downloadsDir: dir.dir });
  plain = startTestServe();
});
afterAll(async () => {
  await serve.stop();
  await plain.stop();
  dir.cleanup();
});

describe("/download/", () => {
  test("SHA256SUMS lists the release files of --downloads with their sums, computed by serve (the directory's own SHA256SUMS is not used)", async () => {
    const res = await serve.get("/download/SHA256SUMS");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`${sha256(arm64)}  bagtower-linux-arm64\n${sha256("musl build\n")}  bagtower-linux-x64-musl\n`);
  });

  test("a release file is streamed whole with its Content-Length; HEAD has the length and no body; a Range gets its bytes", async () => {
    const res = await serve.get("/download/bagtower-linux-arm64");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(arm64.length));
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(arm64));
    const head = await serve.send("HEAD", "/download/bagtower-linux-arm64");
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(arm64.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const range = await serve.get("/download/bagtower-linux-arm64", { range: "bytes=10-19" });
    expect(range.status).toBe(206);
    expect([...new Uint8Array(await range.arrayBuffer())]).toEqual([...arm64.slice(10, 20)]);
  });

  test.each([
    ["/download/..%2F..%2Fetc%2Fpasswd", "not a download"],
    ["/download/%2e%2e%2fserve.db", "not a download"],
    ["/download/README.txt", "not a download"],
    ["/download/bagtower-linux-x64", "bagtower-linux-x64: not here"],
    ["/download/bagtower-linux-x64%00", "not a download"],
  ])("%s is a 404, never a file outside the list", async (path, message) => {
    const res = await serve.get(path);
    expect(res.status).toBe(404);
    expect((await res.json()).error).toContain(message);
  });

  test("running from source with no --downloads: a 404 that says why", async () => {
    const res = await plain.get("/download/SHA256SUMS");
    expect(res.status).toBe(404);
    expect((await res.json()).error).toBe("no downloads: this serve runs from source (under bun), not as the bagtower executable; start the built executable, or give serve --downloads DIR (e.g. the dist/ of npm run build:all)");
  });

  test("downloads are reads: a client that is not direct loopback needs the read token (the ingest key is not one)", async () => {
    for (const path of ["/download/SHA256SUMS", "/download/bagtower-linux-arm64", "/install.sh", "/api/install"]) {
      expect({ path, status: (await serve.get(path, proxied)).status }).toEqual({ path, status: 401 });
      expect({ path, status: (await serve.get(path, { ...proxied, authorization: `Bearer ${INGEST_KEY}` })).status }).toEqual({ path, status: 401 });
      expect({ path, status: (await serve.get(`${path}?token=wrong-token-0123456789`, proxied)).status }).toEqual({ path, status: 401 });
      expect({ path, status: (await serve.get(`${path}?token=${READ_TOKEN}`, proxied)).status }).toEqual({ path, status: 200 });
    }
  });

  test("with --public-read anyone downloads", async () => {
    const open = startTestServe({}, { downloadsDir: dir.dir, publicRead: true });
    try {
      expect((await open.get("/download/SHA256SUMS", proxied)).status).toBe(200);
      expect((await open.get("/install.sh", proxied)).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});

describe("/install.sh", () => {
  const line = (script: string, name: string) => script.split("\n").find((l) => l.startsWith(`${name}=`));

  test("is install.sh with this receiver's address as server and download URL, and never the ingest key", async () => {
    const script = await (await serve.get("/install.sh")).text();
    expect(script).toStartWith("#!/bin/sh\n# bagtower installer");
    expect(line(script, "DEFAULT_SERVER")).toBe(`DEFAULT_SERVER='${serve.url}'`);
    expect(line(script, "DEFAULT_DOWNLOAD_URL")).toBe(`DEFAULT_DOWNLOAD_URL='${serve.url}/download'`);
    expect(line(script, "DEFAULT_DOWNLOAD_TOKEN")).toBe('DEFAULT_DOWNLOAD_TOKEN=""');
    expect(script).not.toContain(INGEST_KEY);
    expect(script.trimEnd()).toEndWith('{ main "$@"; }');
  });

  test("a request with a token gets the read token set in (the admin token too gets only the read token); /download/install.sh is the same script", async () => {
    for (const token of [READ_TOKEN, ADMIN_TOKEN]) {
      const script = await (await serve.get(`/install.sh?token=${token}`, proxied)).text();
      expect(line(script, "DEFAULT_DOWNLOAD_TOKEN")).toBe(`DEFAULT_DOWNLOAD_TOKEN='${READ_TOKEN}'`);
      expect(script).not.toContain(ADMIN_TOKEN);
      expect(script).not.toContain(INGEST_KEY);
    }
    const kept = await (await serve.get("/download/install.sh", { ...proxied, authorization: `Bearer ${READ_TOKEN}` })).text();
    expect(line(kept, "DEFAULT_DOWNLOAD_TOKEN")).toBe(`DEFAULT_DOWNLOAD_TOKEN='${READ_TOKEN}'`);
  });

  test.each(["evil.example", "evil.example:8787"])("Host %p without a token (loopback, a session, --public-read): refused, the script never names another server", async (host) => {
    const res = await serve.get("/install.sh", { host });
    expect(res.status).toBe(403);
    expect((await res.json()).error).toContain(`Host ${host} is not a name of this server`);
    const open = startTestServe({}, { publicRead: true });
    try {
      expect((await open.get("/install.sh", { ...proxied, host })).status).toBe(403);
    } finally {
      await open.stop();
    }
  });

  test("with a token, the name the client typed is the address (as every token counts under any Host)", async () => {
    const script = await (await serve.get(`/install.sh?token=${READ_TOKEN}`, { ...proxied, host: "gateway.lan:8787" })).text();
    expect(line(script, "DEFAULT_SERVER")).toBe("DEFAULT_SERVER='http://gateway.lan:8787'");
  });

  test.each(["a'b.example", "gw.lan:1$(id)", "user@gw.lan", "gw.lan/x", "gw.lan;id", "[::1]evil", "gw lan"])("Host %p, even with a token, is a 400 and no script", async (host) => {
    const res = await serve.get(`/install.sh?token=${READ_TOKEN}`, { ...proxied, host });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await res.text()).not.toContain("#!/bin/sh");
  });

  test.skipIf(skipWithout("shellcheck"))("the served script, token set in, is shellcheck-clean POSIX sh", async () => {
    const file = join(dir.dir, "served-install.sh");
    writeFileSync(file, await (await serve.get(`/install.sh?token=${READ_TOKEN}`)).text());
    const result = Bun.spawnSync(["shellcheck", "-s", "sh", file], { stdout: "pipe" });
    expect(result.stdout.toString()).toBe("");
    expect(result.exitCode).toBe(0);
  });

  test("an IP literal Host is taken as the address (IPv6 with brackets)", async () => {
    const script = await (await serve.get("/install.sh", { host: "[::1]:8787" })).text();
    expect(line(script, "DEFAULT_SERVER")).toBe("DEFAULT_SERVER='http://[::1]:8787'");
  });

  test("with --public-url, the script names it whatever Host the request came with", async () => {
    const pub = startTestServe({}, { downloadsDir: dir.dir, publicUrl: "https://bagtower.example.org" });
    try {
      for (const host of [undefined, "192.0.2.7:8787", "evil.example"]) {
        const script = await (await pub.get(`/install.sh?token=${READ_TOKEN}`, host ? { host } : {})).text();
        expect({ host, line: line(script, "DEFAULT_SERVER") }).toEqual({ host, line: "DEFAULT_SERVER='https://bagtower.example.org'" });
      }
    } finally {
      await pub.stop();
    }
  });
});

test("a file that cannot be read is a 503 naming it, and so is SHA256SUMS (no sum to vouch for)", async () => {
  const bad = tempDir("bagtower-downloads-bad-");
  // A regular file to stat(2) whose read fails (EIO): what a failing disk does.
  symlinkSync("/proc/self/mem", join(bad.dir, "bagtower-linux-arm64"));
  const broken = startTestServe({}, { downloadsDir: bad.dir });
  try {
    for (const path of ["/download/bagtower-linux-arm64", "/download/SHA256SUMS"]) {
      const res = await broken.get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 503 });
      expect((await res.json()).error).toStartWith("bagtower-linux-arm64: could not be read (");
    }
    expect(broken.logs.some((l) => l.includes("bagtower-linux-arm64") && l.includes("it is not served"))).toBe(true);
  } finally {
    await broken.stop();
    bad.cleanup();
  }
});

test("serve --downloads naming no directory stops at start with one line", () => {
  expect(() => startTestServe({}, { downloadsDir: join(dir.dir, "missing") })).toThrow(/^--downloads .*missing: ENOENT/);
});

describe("/api/install", () => {
  test("the admin gets the ingest key and an installer URL with the read token", async () => {
    const info = await (await serve.get("/api/install", { authorization: `Bearer ${ADMIN_TOKEN}` })).json();
    expect(info).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      serverUrl: serve.url,
      installUrl: `${serve.url}/install.sh?token=${READ_TOKEN}`,
      ingestKey: INGEST_KEY,
      tokenNeeded: true,
      tokenIncluded: true,
      downloads: ["bagtower-linux-arm64", "bagtower-linux-x64-musl"],
    });
  });

  test("a reader gets no ingest key; a loopback viewer without a token gets neither secret", async () => {
    const reader = await (await serve.get("/api/install", { authorization: `Bearer ${READ_TOKEN}` })).json();
    expect({ key: reader.ingestKey, url: reader.installUrl }).toEqual({ key: null, url: `${serve.url}/install.sh?token=${READ_TOKEN}` });
    const local = await (await serve.get("/api/install")).json();
    expect({ key: local.ingestKey, url: local.installUrl, included: local.tokenIncluded }).toEqual({ key: null, url: `${serve.url}/install.sh`, included: false });
  });
});
