// The dashboard in real Chromium against the real receiver: the compiled binary runs `serve`, the
// test pushes BAG·Tower records to it over HTTP and drives the page with playwright-core.
// Screenshots go to test/artifacts/ (gitignored) for a human to look at.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import * as v from "valibot";
import { makeRecordId } from "../../src/record/identity.ts";
import { recordSchema } from "../../src/record/schema.ts";
import { BINARY, REPO, buildBinary } from "../helpers/binary.ts";
import { tempDir } from "../helpers/context.ts";
import { sampleRecord } from "../helpers/record.ts";
import { drainText, waitFor } from "../helpers/wait.ts";
import { skipWithout } from "../helpers/prereq.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(REPO, "test/artifacts");
const API_KEY = "dashboard-ingest-key-0123456789";
const DEVICE = "pi-test";
const MACHINE_ID = "5f3c9a0e1b2d4c6f8a7b9c0d1e2f3a4b";
const BOOT_ID = "0b7e6a52-3c1d-4f7a-9b8e-2d4c6f8a0b1c";
// No Chromium here: skip, except on CI, where a missing browser must fail rather than pass silently.
const skip = skipWithout("chromium");

let server: ReturnType<typeof Bun.spawn> | undefined;
let base = "";
/** The one-time admin login link serve printed at start, and the admin token it keeps in its home. */
let loginUrl = "";
let adminToken = "";
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let cleanup = () => {};
let seq = 0;

/** A BAG·Tower record of pi-test as the agent would send it (SPEC §4.1). */
function makeRecord(unixTimestamp: number, cpu: number) {
  seq += 1;
  const record = sampleRecord(DEVICE, unixTimestamp, {}, {
    data: [
      { id: "cpu", type: "percent", val: cpu },
      { id: "cpu_per_cpu", type: "percent", val: [cpu - 5, cpu + 5] },
      { id: "sockets_info", type: "count", val: { nb_established: 3 + (seq % 3), nb_sockets_closing: 1, nb_sockets_close: 2, nb_sockets_listen: 6 } },
      // Counters that grow with time (steady rates: 12 KB/s sent, 50 KB/s received …).
      { id: "network", type: "counter", val: { bytes_sent: unixTimestamp * 12_000, bytes_received: unixTimestamp * 50_000, packets_sent: unixTimestamp * 40, packets_received: unixTimestamp * 90 } },
      { id: "system", type: "string", val: { kernel: "6.6.31+rpt-rpi-v8", os: "Debian GNU/Linux 12 (bookworm)", arch: "aarch64", model: "Raspberry Pi 4 Model B Rev 1.4" } },
    ],
    meta: { recordId: makeRecordId(MACHINE_ID, BOOT_ID, seq, unixTimestamp * 1000), machineId: MACHINE_ID, hostname: "pi-test-host", bootId: BOOT_ID, seq, agent: "bagtower/0.1.0" },
  });
  return v.parse(recordSchema, record);
}

async function push(unixTimestamp: number, cpu: number): Promise<void> {
  const res = await fetch(`${base}/logs`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": API_KEY },
    body: JSON.stringify(makeRecord(unixTimestamp, cpu)),
  });
  const body = await res.text();
  expect({ status: res.status, body }).toMatchObject({ status: 200 });
  expect(JSON.parse(body)).toMatchObject({ status: "ok", accepted: 1 });
}

const now = () => Math.floor(Date.now() / 1000);

/** A page that records script errors, so a test can assert the dashboard raised none. */
async function openPage(path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context!.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  await page.goto(`${base}${path}`);
  return { page, errors };
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
}

/** A test on a freshly opened page at `path`: the page must raise no script error, and is closed after. */
function pageTest(name: string, path: string, body: (page: Page) => Promise<void>): void {
  test.skipIf(skip)(
    name,
    async () => {
      const { page, errors } = await openPage(path);
      try {
        await body(page);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    },
    60_000,
  );
}

describe("the dashboard in Chromium, served by bagtower serve", () => {
  beforeAll(
    async () => {
      if (skip) return;
      mkdirSync(ARTIFACTS, { recursive: true });
      await buildBinary();
      const tmp = tempDir("bagtower-dashboard-");
      const home = join(tmp.dir, "home");
      mkdirSync(home);
      server = Bun.spawn([BINARY, "serve", "--host", "127.0.0.1", "--port", "0", "--db", join(tmp.dir, "serve.db"), "--api-key", API_KEY, "--home", home], {
        cwd: tmp.dir,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        stdin: "ignore",
        stdout: "ignore",
        stderr: "pipe",
      });
      cleanup = tmp.cleanup;
      // Drained to the end so serve never blocks on a full pipe.
      const stderr = drainText(server.stderr as ReadableStream<Uint8Array>);
      const match = await waitFor("serve's admin login link", () => stderr.match(/dashboard: (http:\/\/127\.0\.0\.1:(\d+)\/\?login=\S+) \(admin login/), 20_000);
      base = `http://127.0.0.1:${match[2]}`;
      loginUrl = match[1]!;
      adminToken = readFileSync(join(home, "serve-admin-token"), "utf8").trim();

      // Five records a minute apart, the last one now: cpu 10, 20, 30, 40, 50 %.
      const end = now();
      for (let i = 4; i >= 0; i--) await push(end - i * 60, 50 - i * 10);

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        // Playwright gives a non-persistent launch a fresh temporary --user-data-dir of its own (it
        // refuses the flag in args), so every run starts from an empty profile.
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      });
      context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    },
    { timeout: 180_000 },
  );

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    server?.kill();
    await server?.exited;
    cleanup();
  });

  pageTest("the fleet page lists the device as UP with its latest values and a live indicator", "/", async (page) => {
    const row = page.locator(`tr[data-device="${DEVICE}"]`);
    await row.waitFor();
    expect(await row.locator("[data-col=status]").innerText()).toBe("UP");
    expect(await row.locator("[data-col=hostname]").innerText()).toBe("pi-test-host");
    expect(await row.locator("[data-col=cpu]").innerText()).toContain("50 %");
    expect(await row.locator("[data-col=lastSeen]").innerText()).toMatch(/just now| s ago/);
    expect(await page.locator(".summary .stat.total .stat-value").innerText()).toBe("1");
    expect(await page.locator(".summary .stat.up .stat-value").innerText()).toBe("1");
    await page.locator("#live", { hasText: "live" }).waitFor();
    await screenshot(page, "fleet");
  });

  pageTest("a record pushed while the fleet page is open shows up without a reload", "/", async (page) => {
    const cpu = page.locator(`tr[data-device="${DEVICE}"] [data-col=cpu]`);
    await cpu.filter({ hasText: "50 %" }).waitFor();
    await page.locator("#live", { hasText: "live" }).waitFor();
    // A marker on the window: it survives only if the page is never reloaded.
    await page.evaluate(() => Object.assign(globalThis, { __noReload: true }));
    await push(now(), 77.7);
    await cpu.filter({ hasText: "77.7 %" }).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as { __noReload?: boolean }).__noReload)).toBe(true);
    await screenshot(page, "fleet-live");
  });

  pageTest("clicking the row opens the device page: a graph per numeric item, a table for strings", "/", async (page) => {
    await page.locator(`tr[data-device="${DEVICE}"] [data-col=hostname]`).click();
    await page.waitForURL((url) => url.hash === `#/device/${DEVICE}`);
    const graphs = page.locator(".graph");
    await page.locator(".graph[data-item=network] canvas").waitFor();
    const items = await Promise.all((await graphs.all()).map((graph) => graph.getAttribute("data-item")));
    expect(items.sort()).toEqual(["cpu", "cpu_per_cpu", "network", "sockets_info"]);
    // Every graph is drawn by uPlot (a canvas), none is left empty.
    for (const item of ["cpu", "cpu_per_cpu", "network", "sockets_info"]) await page.locator(`.graph[data-item=${item}] canvas`).waitFor();
    expect(await page.locator(".graph .no-data").count()).toBe(0);
    // One curve per array index and per object key, named after it; counters are rates.
    const legend = async (item: string) => (await page.locator(`.graph[data-item=${item}] .u-legend .u-series:not(:first-child) th`).allInnerTexts()).map((t) => t.trim());
    expect(await legend("cpu_per_cpu")).toEqual(["0", "1"]);
    expect((await legend("sockets_info")).sort()).toEqual(["nb_established", "nb_sockets_close", "nb_sockets_closing", "nb_sockets_listen"]);
    expect(await legend("cpu")).toEqual(["cpu"]);
    expect(await page.locator(".graph[data-item=network] h3").innerText()).toContain("/s");
    // Bytes and packets are read on their own axes (the packets' curves dashed), each named.
    expect(await page.locator(".graph[data-item=network]").getAttribute("data-axes")).toBe("bytes/s | packets/s");
    expect(await page.locator(".graph[data-item=network] .unit").innerText()).toBe("bytes/s · packets/s");
    // Strings are a table, not a graph.
    const strings = page.locator(".strings");
    expect(await strings.count()).toBe(1);
    expect(await strings.getAttribute("data-item")).toBe("system");
    expect(await strings.innerText()).toContain("Raspberry Pi 4 Model B Rev 1.4");
    expect(await page.locator(".device-head h1").innerText()).toBe(DEVICE);
    expect(await page.locator(".device-head .badge").innerText()).toBe("UP");
    expect(await page.locator(".ranges .btn.active").innerText()).toBe("24h");
    await screenshot(page, "device");
    // Another range refetches and redraws.
    await page.locator(".ranges .btn[data-range='1h']").click();
    await page.locator(".ranges .btn.active", { hasText: "1h" }).waitFor();
    await page.locator(".graph[data-item=cpu] canvas").waitFor();
  });

  pageTest("90 days and a year ask for about 600 points (step); rollup rows (min, max) draw a band", `/#/device/${DEVICE}`, async (page) => {
    await page.locator(".graph[data-item=cpu] canvas").waitFor();
    expect(await page.locator(".ranges .btn").allInnerTexts()).toEqual(["1h", "6h", "24h", "7d", "30d", "90d", "1y"]);
    // The answer of a rollup tier, as the store gives it for 90 days: points [t, avg, min, max],
    // in place of cpu's entry in the page's one series request (the other items as served).
    const asksForCpu = (url: string | URL) => String(url).includes("/series?") && (new URL(String(url)).searchParams.get("items") ?? "").split(",").includes("cpu");
    await page.route(asksForCpu, async (route) => {
      const to = Number(new URL(route.request().url()).searchParams.get("to"));
      const points = Array.from({ length: 50 }, (_, i) => [to - (50 - i) * 14_400, 40 + (i % 5), 30, 60 + (i % 3)]);
      const answer = (await (await route.fetch()).json()) as { series: { item: string }[] };
      const series = answer.series.map((s) => (s.item === "cpu" ? { item: "cpu", type: "percent", rate: false, keys: [""], points: { "": points }, tier: "1h", step: 14_400 } : s));
      await route.fulfill({ json: { series } });
    });
    const stepOf = async (range: string) => {
      // The answer, not just the request: the route's handler has fulfilled it (unroute never races it).
      const response = page.waitForResponse((r) => asksForCpu(r.url()));
      await page.locator(`.ranges .btn[data-range='${range}']`).click();
      const url = new URL((await response).url());
      return { step: url.searchParams.get("step"), span: Number(url.searchParams.get("to")) - Number(url.searchParams.get("from")) };
    };
    expect(await stepOf("90d")).toEqual({ step: "12960", span: 90 * 86_400 });
    const bands = page.locator(".graph[data-item=cpu] .u-legend .u-series.band");
    await bands.first().waitFor({ state: "attached" });
    expect(await bands.count()).toBe(2);
    expect(await bands.first().isVisible()).toBe(false);
    expect(await page.locator(".graph[data-item=cpu] .u-legend .u-series:not(:first-child):not(.band) th").allInnerTexts()).toEqual(["cpu"]);
    expect(await page.locator(".graph[data-item=cpu] .no-data").count()).toBe(0);
    await screenshot(page, "device-90d-band");
    expect(await stepOf("1y")).toEqual({ step: "52560", span: 365 * 86_400 });
    await page.unroute(asksForCpu);
    expect(await stepOf("1h")).toEqual({ step: "60", span: 3600 });
    await page.locator(".graph[data-item=cpu] canvas").waitFor();
  });

  pageTest("a record pushed while the device page is open updates it live", `/#/device/${DEVICE}`, async (page) => {
    await page.locator(".graph[data-item=cpu] canvas").waitFor();
    await page.locator("#live", { hasText: "live" }).waitFor();
    await page.evaluate(() => Object.assign(globalThis, { __noReload: true }));
    await push(now(), 88.8);
    await page.locator(".graph[data-item=cpu] .latest", { hasText: "88.8 %" }).waitFor({ timeout: 15_000 });
    // The cpu legend, away from the cursor, shows the newest point of the series.
    await page.locator(".graph[data-item=cpu] .u-legend", { hasText: "88.8 %" }).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as { __noReload?: boolean }).__noReload)).toBe(true);
  });

  pageTest("a pushed record is appended to the open device page's graphs: no series is asked for again", `/#/device/${DEVICE}`, async (page) => {
    for (const item of ["cpu", "cpu_per_cpu", "network", "sockets_info"]) await page.locator(`.graph[data-item=${item}] canvas`).waitFor();
    await page.locator("#live", { hasText: "live" }).waitFor();
    const series: string[] = [];
    page.on("request", (request) => {
      if (/\/api\/devices\/[^/]+\/series\?/.test(request.url())) series.push(...new URL(request.url()).searchParams.get("items")!.split(","));
    });
    const legend = (item: string, text: string) => page.locator(`.graph[data-item=${item}] .u-legend`, { hasText: text }).waitFor({ timeout: 15_000 });
    // Seconds ahead of the records before, so each one is the newest.
    const t = now() + 2;

    // The first record: a counter's rate needs the reading before it, which the page has not seen
    // (the series holds rates): network alone asks again; every other graph takes the values as they are.
    const networkAgain = page.waitForResponse((response) => response.url().includes("/series?items=network&"));
    await push(t, 66.6);
    await legend("cpu", "66.6 %");
    await legend("cpu_per_cpu", "61.6 %");
    await legend("cpu_per_cpu", "71.6 %");
    await networkAgain;
    expect(series).toEqual(["network"]);

    // The next one: nothing is asked for; the counter's rate comes from the record before.
    await push(t + 1, 55.5);
    await legend("cpu", "55.5 %");
    await page.locator(".graph[data-item=cpu] .latest", { hasText: "55.5 %" }).waitFor();
    await legend("network", "11.7 KiB/s");
    expect(series).toEqual(["network"]);
    await screenshot(page, "device-appended");
  });

  pageTest("without an admin login the Edit control is disabled and says why; the page works under its CSP", `/#/device/${DEVICE}`, async (page) => {
    await page.locator(".graph[data-item=cpu] canvas").waitFor();
    const edit = page.locator("#edit-period");
    await edit.waitFor();
    expect(await edit.isDisabled()).toBe(true);
    expect(await page.locator("#period-locked").innerText()).toBe(
      "Changing the period needs an admin login: open the login link that bagtower serve prints at start (bagtower serve key on the server prints a fresh one).",
    );
    expect(await page.evaluate(() => fetch("/api/session").then((r) => r.json()))).toEqual({ right: "read", via: "loopback" });
    // The headers the browser got with the page, and the fleet's meters drawn without style attributes.
    const response = await page.reload();
    expect(response!.headers()["content-security-policy"]).toContain("script-src 'self'");
    expect(response!.headers()["x-frame-options"]).toBe("DENY");
    await page.locator("#period-locked").waitFor();
    await screenshot(page, "device-locked");
    await page.goto(`${base}/`);
    await page.locator(`tr[data-device="${DEVICE}"] [data-col=cpu] .meter span`).waitFor();
    expect(await page.locator(`tr[data-device="${DEVICE}"] [data-col=cpu] .meter span`).evaluate((el) => (el as unknown as { style: { width: string } }).style.width)).toMatch(/^\d+(\.\d+)?%$/);
  });

  test.skipIf(skip)("the binary serves the page's modules, every one it imports, as text/javascript, asked for again on each load", async () => {
    const html = await (await fetch(`${base}/`)).text();
    const entries = [...html.matchAll(/<script type="module" src="([^"]+)"><\/script>/g)].map((m) => m[1]!);
    expect(entries).toEqual(["/assets/main.js"]);
    const served = new Set<string>();
    const queue = [...entries];
    while (queue.length) {
      const path = queue.shift()!;
      if (served.has(path)) continue;
      served.add(path);
      const res = await fetch(`${base}${path}`);
      // Asked for again on each load: modules of two versions do not import each other.
      expect({ path, status: res.status, type: res.headers.get("content-type"), cache: res.headers.get("cache-control") }).toEqual({ path, status: 200, type: "text/javascript; charset=utf-8", cache: "no-cache" });
      for (const m of (await res.text()).matchAll(/^import .* from "(\.\/[^"]+)";$/gm)) queue.push(new URL(m[1]!, `${base}${path}`).pathname);
    }
    expect([...served].sort()).toContain("/assets/series.js");
    expect(served.size).toBeGreaterThanOrEqual(10);
  });

  test.skipIf(skip)(
    "a page of another origin cannot open /ws (Origin), the dashboard's own can",
    async () => {
      // localhost is the same server under another origin: what a foreign site's page would be.
      const { page } = await openPage("/");
      try {
        await page.goto(base.replace("127.0.0.1", "localhost"));
        const state = (url: string) =>
          page.evaluate(
            (u) =>
              new Promise<string>((resolve) => {
                const ws = new WebSocket(u);
                ws.onopen = () => (ws.close(), resolve("open"));
                ws.onerror = () => resolve("refused");
              }),
            url,
          );
        expect(await state(`${base.replace("http", "ws")}/ws`)).toBe("refused");
        expect(await state(`${base.replace("http", "ws").replace("127.0.0.1", "localhost")}/ws`)).toBe("open");
      } finally {
        await page.close();
      }
    },
    60_000,
  );

  pageTest("the login link sets an HttpOnly SameSite=Strict cookie, leaves the address bar and unlocks Edit", "/", async (page) => {
    await page.goto(`${loginUrl}#/device/${DEVICE}`);
    // Redirected to the clean address: no token in the address bar (or the history); the fragment stays.
    expect(page.url()).toBe(`${base}/#/device/${DEVICE}`);
    const cookies = await context!.cookies(base);
    expect(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite, path: c.path }))).toEqual([{ name: "bagtower_session", httpOnly: true, sameSite: "Strict", path: "/" }]);
    // The page cannot read it.
    expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).toBe("");
    await page.locator(".graph[data-item=cpu] canvas").waitFor();
    expect(await page.locator("#edit-period").isDisabled()).toBe(false);
    expect(await page.locator("#period-locked").count()).toBe(0);
    expect(await page.evaluate(() => fetch("/api/session").then((r) => r.json()))).toEqual({ right: "admin", via: "session" });
    // The link worked once.
    expect((await fetch(loginUrl, { redirect: "manual" })).status).toBe(401);
  });

  pageTest("Edit period saves through PATCH /api/devices/<id> and shows the new period", `/#/device/${DEVICE}`, async (page) => {
    const periodOf = async () => ((await (await fetch(`${base}/api/devices/${DEVICE}`)).json()) as { device: { periodSeconds: number } }).device.periodSeconds;
    const edit = async (text: string) => {
      await page.locator("#edit-period").click();
      await page.locator("#period-input").fill(text);
      await page.locator("#save-period").click();
    };

    // A value with a unit.
    await edit("10m");
    await page.locator("#period-value", { hasText: "600 s" }).waitFor();
    expect(await periodOf()).toBe(600);

    // Below the minimum: an error on the page, nothing saved.
    await edit("5");
    await page.locator("#period-hint.error").waitFor();
    expect(await periodOf()).toBe(600);
    await page.keyboard.press("Escape");

    // A live update (device.updated: new labels) redraws the header around the Edit button, not the
    // button itself: a click across the redraw still lands, and the keyboard's focus stays on it.
    await page.locator("#edit-period").focus();
    const button = await page.locator("#edit-period").elementHandle();
    const relabelled = await fetch(`${base}/api/devices/${DEVICE}`, { method: "PATCH", headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` }, body: JSON.stringify({ labels: { room: "hall" } }) });
    expect(relabelled.status).toBe(200);
    await page.locator(".device-title .chip", { hasText: "room=hall" }).waitFor();
    expect(await button!.evaluate((el) => el.isConnected && el === el.ownerDocument.activeElement)).toBe(true);

    // Plain seconds, typed while a live update (device.updated: new labels) refreshes the header:
    // the open form keeps what was typed.
    await page.locator("#edit-period").click();
    await page.locator("#period-input").fill("300");
    const patched = await fetch(`${base}/api/devices/${DEVICE}`, { method: "PATCH", headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` }, body: JSON.stringify({ labels: { room: "lab" } }) });
    expect(patched.status).toBe(200);
    await page.locator(".device-title .chip", { hasText: "room=lab" }).waitFor();
    expect(await page.locator("#period-input").inputValue()).toBe("300");
    expect(await page.locator("#period-input").evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.locator("#save-period").click();
    await page.locator("#period-value", { hasText: "300 s" }).waitFor();
    expect(await page.locator("#period-value").innerText()).toContain("5m");
    expect(await periodOf()).toBe(300);
    await screenshot(page, "device-period");

    // It stays after a reload: the server has it.
    await page.reload();
    await page.locator("#period-value", { hasText: "300 s" }).waitFor();
  });
});
