// The Channels and Checks pages in real Chromium against the compiled binary's serve: an admin
// session sends a channel's test message and sees the outcome, adds a channel (a bad URL shows the
// server's one-line refusal), and creates a check; a read-only visitor gets no buttons.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { BINARY, buildBinary } from "../helpers/binary.ts";
import { tempDir } from "../helpers/context.ts";
import { startReceiver } from "../helpers/receiver.ts";
import { drainText, waitFor } from "../helpers/wait.ts";
import { skipWithout } from "../helpers/prereq.ts";

const CHROMIUM = "/usr/bin/chromium";
const skip = skipWithout("chromium");

let server: ReturnType<typeof Bun.spawn> | undefined;
let browser: Browser | undefined;
let base = "";
let loginUrl = "";
let cleanup = () => {};
const receiver = startReceiver((r) => (r.path === "/broken" ? new Response("receiver on fire", { status: 500 }) : new Response("ok")));

async function adminPage(path: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser!.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  // The login link works once: this file opens one admin page.
  await page.goto(loginUrl);
  await page.goto(`${base}/${path}`);
  return { page, errors };
}

describe.skipIf(skip)("the Channels and Checks pages in Chromium", () => {
  beforeAll(
    async () => {
      await buildBinary();
      const tmp = tempDir("bagtower-dashboard-channels-");
      const home = join(tmp.dir, "home");
      mkdirSync(home);
      server = Bun.spawn(
        [BINARY, "serve", "--host", "127.0.0.1", "--port", "0", "--db", join(tmp.dir, "serve.db"), "--api-key", "dashboard-ingest-key-0123456789", "--home", home, "--channel", `webhook+${receiver.url}/hook`, "--channel", `webhook+${receiver.url}/broken`],
        { cwd: tmp.dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, stdin: "ignore", stdout: "ignore", stderr: "pipe" },
      );
      cleanup = tmp.cleanup;
      const stderr = drainText(server.stderr as ReadableStream<Uint8Array>);
      const match = await waitFor("serve's admin login link", () => stderr.match(/dashboard: (http:\/\/127\.0\.0\.1:(\d+)\/\?login=\S+) \(admin login/), 20_000);
      base = `http://127.0.0.1:${match[2]}`;
      loginUrl = match[1]!;
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
    },
    { timeout: 180_000 },
  );

  afterAll(async () => {
    await browser?.close();
    server?.kill();
    await server?.exited;
    receiver.stop();
    cleanup();
  });

  test("an admin sends a test from each channel and sees what came of it; adds a channel; creates a check", async () => {
    const { page, errors } = await adminPage("#/channels");
    await page.locator("tr[data-channel='1']").waitFor();
    expect(await page.locator("tr[data-channel='1'] code").innerText()).toBe(`webhook+${receiver.url}/***`);
    await page.locator("button[data-test='1']").click();
    await page.locator("[data-test-result='1']", { hasText: "sent (HTTP 200)" }).waitFor();
    expect(receiver.requests.filter((r) => r.path === "/hook").map((r) => JSON.parse(r.body).kind)).toEqual(["test"]);
    await page.locator("button[data-test='2']").click();
    await page.locator("[data-test-result='2']", { hasText: "failed: HTTP 500: receiver on fire" }).waitFor();

    await page.locator(".channel-form input[name=url]").fill("ntfy://ntfy.sh/");
    await page.locator(".channel-form button").click();
    await page.locator(".channel-form .hint.error", { hasText: "expected exactly one topic" }).waitFor();
    await page.locator(".channel-form input[name=url]").fill("ntfy://ntfy.example.org/bagtower-e2e");
    await page.locator(".channel-form button").click();
    await page.locator("tr[data-channel='3']", { hasText: "ntfy://ntfy.example.org/bagtower-e2e" }).waitFor();
    await page.locator("button[data-delete='3']").click();
    await page.locator("tr[data-channel='3']").waitFor({ state: "detached" });

    await page.locator("#nav-checks").click();
    await page.locator(".check-form input[name=name]").fill("nightly-backup");
    await page.locator(".check-form input[name=schedule]").fill("0 3 * * *");
    await page.locator(".check-form button").click();
    await page.locator(".created-check", { hasText: "bagtower ping " }).waitFor();
    await page.locator("tr[data-check]", { hasText: "nightly-backup" }).waitFor();
    expect(await page.locator("tr[data-check] code").innerText()).toBe("0 3 * * *");
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("a read-only visitor (loopback, no login) sees the channels but no buttons", async () => {
    const context = await browser!.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/#/channels`);
    await page.locator("tr[data-channel='1']").waitFor();
    expect(await page.locator("button[data-test]").count()).toBe(0);
    expect(await page.locator(".channel-form").count()).toBe(0);
    expect(await page.locator(".hint", { hasText: "Log in as admin" }).count()).toBe(1);
    await context.close();
  }, 60_000);
});
