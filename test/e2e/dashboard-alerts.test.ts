// The Alerts page and the rule editor in real Chromium against the compiled binary's `serve`: an
// admin adds a rule in the editor (a typo first, refused with the server's one-line reason), a
// record pushed over it fires the alert, and the Alerts page shows it firing without a reload.
// Screenshots go to test/artifacts/ (gitignored).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { BINARY, REPO, buildBinary } from "../helpers/binary.ts";
import { tempDir } from "../helpers/context.ts";
import { sampleRecord } from "../helpers/record.ts";
import { drainText, waitFor } from "../helpers/wait.ts";
import { skipWithout } from "../helpers/prereq.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(REPO, "test/artifacts");
const API_KEY = "alerts-dashboard-ingest-key-0123";
const skip = skipWithout("chromium");

let server: ReturnType<typeof Bun.spawn> | undefined;
let base = "";
let loginUrl = "";
let readToken = "";
let browser: Browser | undefined;
let cleanup = () => {};

async function push(deviceId: string, cpu: number): Promise<void> {
  const res = await fetch(`${base}/logs`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": API_KEY }, body: JSON.stringify(sampleRecord(deviceId, Math.floor(Date.now() / 1000), { cpu })) });
  expect(res.status).toBe(200);
}

async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/the server responded with a status of 400/.test(msg.text())) errors.push(msg.text());
  });
  await page.goto(url);
  return { page, errors };
}

describe("the Alerts page and the rule editor in Chromium", () => {
  beforeAll(
    async () => {
      if (skip) return;
      mkdirSync(ARTIFACTS, { recursive: true });
      await buildBinary();
      const tmp = tempDir("bagtower-alerts-ui-");
      const home = join(tmp.dir, "home");
      mkdirSync(home);
      cleanup = tmp.cleanup;
      server = Bun.spawn(
        [BINARY, "serve", "--host", "127.0.0.1", "--port", "0", "--db", join(tmp.dir, "serve.db"), "--api-key", API_KEY, "--home", home, "--rule", "memory > 95 for 5m", "--rule", "down where labels.zone = zone-1"],
        { cwd: tmp.dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, stdin: "ignore", stdout: "ignore", stderr: "pipe" },
      );
      const stderr = drainText(server.stderr as ReadableStream<Uint8Array>);
      const match = await waitFor("serve's admin login link", () => stderr.match(/dashboard: (http:\/\/127\.0\.0\.1:(\d+)\/\?login=\S+) \(admin login/), 20_000);
      base = `http://127.0.0.1:${match[2]}`;
      loginUrl = match[1]!;
      readToken = readFileSync(join(home, "serve-read-token"), "utf8").trim();
      await push("pi-cool", 20);
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    },
    { timeout: 180_000 },
  );

  afterAll(async () => {
    await browser?.close();
    server?.kill();
    await server?.exited;
    cleanup();
  });

  test.skipIf(skip)(
    "an admin adds a rule in the editor; a record over it fires; the Alerts page shows it firing, then the device page",
    async () => {
      const { page, errors } = await openPage(`${loginUrl}#/alerts`);
      try {
        await page.locator("#rule-add").waitFor();
        // The rules of --rule are listed, marked as set at start.
        const flagRow = page.locator(".rules-table tr", { hasText: "memory > 95 for 5m" });
        await flagRow.waitFor();
        expect(await flagRow.innerText()).toContain("serve --rule");
        expect(await flagRow.locator("button").count()).toBe(0);
        await page.locator("#alerts-open", { hasText: "Nothing is firing." }).waitFor();

        // A typo: the API's one-line reason under the field, and the text kept to fix.
        await page.locator("#rule-expr").fill("cpuu > 50 severity critical");
        await page.locator("#rule-name").fill("hot cpu");
        await page.locator("#rule-add-button").click();
        await page.locator("#rule-add-hint.error", { hasText: 'expr: unknown item "cpuu": did you mean cpu?' }).waitFor();
        expect(await page.locator("#rule-expr").inputValue()).toBe("cpuu > 50 severity critical");
        await page.screenshot({ path: join(ARTIFACTS, "dashboard-rule-error.png"), fullPage: true });

        await page.locator("#rule-expr").fill("cpu > 50 severity critical");
        await page.locator("#rule-add-button").click();
        const added = page.locator(".rules-table tr", { hasText: "cpu > 50 severity critical" });
        await added.waitFor();
        expect(await added.locator(".rule-name").innerText()).toBe("hot cpu");
        expect(await page.locator("#rule-expr").inputValue()).toBe("");

        // A record over it, while the page is open: the alert shows up firing, live.
        await push("pi-hot", 88.5);
        const row = page.locator("#alerts-open tr.alert-row", { hasText: "hot cpu" });
        await row.waitFor({ timeout: 15_000 });
        expect(await row.getAttribute("data-state")).toBe("firing");
        expect(await row.getAttribute("data-device")).toBe("pi-hot");
        expect(await row.locator("[data-severity]").innerText()).toBe("critical");
        expect(await row.locator(".alert-message").innerText()).toBe("pi-hot: cpu 88.5 > 50");
        // The default cpu rule (> 80) fires too; firing rows come before the history.
        expect(await page.locator("#alerts-open tr.alert-row").count()).toBe(2);
        await page.screenshot({ path: join(ARTIFACTS, "dashboard-alerts.png"), fullPage: true });

        // It cools down: it moves to the history.
        await push("pi-hot", 12);
        await page.locator("#alerts-history tr.alert-row[data-state=resolved]", { hasText: "hot cpu" }).waitFor({ timeout: 15_000 });
        await page.locator("#alerts-open", { hasText: "Nothing is firing." }).waitFor();

        // Edit, then delete, in the editor.
        await added.locator("button", { hasText: "Edit" }).click();
        const edit = page.locator(".rules-table tr.editing .rule-expr");
        await edit.fill("cpu > 60 for 1m severity critical");
        await page.locator(".rules-table tr.editing button[type=submit]").click();
        const edited = page.locator(".rules-table tr", { hasText: "cpu > 60 for 1m severity critical" });
        await edited.waitFor();
        await edited.locator("button", { hasText: "Delete" }).click();
        await edited.locator("button", { hasText: "Delete for good" }).click();
        await edited.waitFor({ state: "detached" });

        // The device's page lists its alerts.
        await page.goto(`${base}/#/device/pi-hot`);
        const history = page.locator(".device-alert-history tr.alert-row");
        await history.first().waitFor();
        expect(await history.count()).toBe(2);
        await page.screenshot({ path: join(ARTIFACTS, "dashboard-device-alerts.png"), fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await page.context().close();
      }
    },
    90_000,
  );

  test.skipIf(skip)(
    "a read-only login sees the alerts and the rules but no editor",
    async () => {
      const { page, errors } = await openPage(`${base}/?login=${readToken}#/alerts`);
      try {
        await page.locator(".rules-table").waitFor();
        await page.locator("#rules-locked").waitFor();
        expect(await page.locator("#rule-add").count()).toBe(0);
        expect(await page.locator(".rules-table button").count()).toBe(0);
        expect(await page.locator("#nav-alerts.active").count()).toBe(1);
        expect(errors).toEqual([]);
      } finally {
        await page.context().close();
      }
    },
    60_000,
  );
});
