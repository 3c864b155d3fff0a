// "Add a device" in real Chromium against the built `bagtower serve`: the dialog and the empty
// fleet page show the install command with this receiver's address; an admin's has the ingest key
// and the read token, and the test user pastes it (real sh, real crontab) and the device appears.
// A viewer without the admin right sees a placeholder and where to find the key.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { BINARY, REPO, buildBinary } from "../helpers/binary.ts";
import { runAsTestUser, setUserCrontab, testUserIds, userCrontab } from "../helpers/test-user.ts";
import { drainText, waitFor } from "../helpers/wait.ts";
import { skipWithout } from "../helpers/prereq.ts";

setDefaultTimeout(120_000);

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(REPO, "test/artifacts");
const KEY = "dashboard-install-key-0123456789";
/** The browser and the "device" reach serve at a non-loopback address, as from another host. */
const address = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === "IPv4" && !i.internal)?.address;
const skip = skipWithout("chromium", "test-user") || (!address && !process.env.CI);

let serve: ReturnType<typeof Bun.spawn> | undefined;
let browser: Browser | undefined;
let root = "";
let base = "";
let loginPath = "";
let readToken = "";

beforeAll(async () => {
  if (skip) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildBinary();
  root = mkdtempSync("/tmp/bagtower-dashboard-install-");
  chownSync(root, testUserIds!.uid, testUserIds!.gid);
  const home = join(root, "serve");
  serve = Bun.spawn([BINARY, "serve", "--host", "0.0.0.0", "--port", "0", "--home", home, "--api-key", KEY], { stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH } });
  const stderr = drainText(serve.stderr as ReadableStream<Uint8Array>);
  const match = await waitFor("serve's admin login link", () => stderr.match(/dashboard: http:\/\/127\.0\.0\.1:(\d+)(\/\?login=\S+) \(admin login/), 20_000);
  base = `http://${address}:${match[1]}`;
  loginPath = match[2]!;
  readToken = readFileSync(join(home, "serve-read-token"), "utf8").trim();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  await setUserCrontab("");
}, 180_000);
afterAll(async () => {
  await browser?.close();
  serve?.kill("SIGTERM");
  await serve?.exited;
  if (!skip) await setUserCrontab("");
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A fresh browser profile at `path` of serve, recording script errors. */
async function open(path: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  await page.goto(`${base}${path}`);
  return { page, errors };
}

describe.skipIf(skip)("Add a device, in Chromium", () => {
  test("the admin's command has this receiver's URL, the read token and the ingest key; pasted on a device, it installs it", async () => {
    const { page, errors } = await open(loginPath);
    try {
      // The empty fleet shows the command at once.
      const empty = page.locator(".empty [data-testid=install-command]");
      await empty.waitFor();
      expect(await empty.textContent()).toBe(`curl -fsSL '${base}/install.sh?token=${readToken}' | sh -s -- --api-key ${KEY}`);
      await page.click("[data-action=add-device]");
      const dialog = page.locator("dialog.install-dialog");
      await dialog.waitFor();
      await dialog.locator("input.install-device").fill("pi-dialog");
      const command = (await dialog.locator("[data-testid=install-command]").textContent())!;
      expect(command).toBe(`curl -fsSL '${base}/install.sh?token=${readToken}' | sh -s -- --api-key ${KEY} --device-id pi-dialog`);
      expect(await dialog.locator("[data-note]").count()).toBe(0);
      await dialog.locator("button", { hasText: "Copy" }).click();
      await waitFor("the copy button's answer", async () => (await dialog.locator("[role=status]").textContent()) || undefined);
      // Over plain http the Clipboard API is off: the command is selected and copied by execCommand.
      expect(await dialog.locator("[role=status]").textContent()).toBe("Copied");
      expect(await page.evaluate(() => String((globalThis as unknown as { getSelection(): unknown }).getSelection()))).toBe(command);
      await page.screenshot({ path: join(ARTIFACTS, "dashboard-add-device.png") });

      const home = join(root, "device home");
      mkdirSync(home);
      chownSync(home, testUserIds!.uid, testUserIds!.gid);
      const result = await runAsTestUser(["sh", "-c", command], { HOME: home });
      expect(result.stderr).toContain("bagtower install: installed");
      expect(result.code).toBe(0);
      expect(await userCrontab()).toMatch(/\/device home\/\.bagtower\/bin\/bagtower' push --cron/);

      await dialog.locator("button", { hasText: "Close" }).click();
      await page.locator('tr[data-device="pi-dialog"]').waitFor();
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  test("a read-only login sees KEY and where to find it, and the read token in the URL", async () => {
    const { page, errors } = await open(`/?login=${readToken}`);
    try {
      await page.click("[data-action=add-device]");
      const dialog = page.locator("dialog.install-dialog");
      await dialog.waitFor();
      expect(await dialog.locator("[data-testid=install-command]").textContent()).toBe(`curl -fsSL '${base}/install.sh?token=${readToken}' | sh -s -- --api-key KEY`);
      expect(await dialog.locator("[data-note=key]").textContent()).toContain("bagtower serve key");
      expect(await dialog.locator("[data-note=token]").count()).toBe(0);
      expect(await page.content()).not.toContain(KEY);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  test("opened at 127.0.0.1 (loopback, no login): the command has no secret, and notes say the key, the token and that 127.0.0.1 is no address for a device", async () => {
    const context = await browser!.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    try {
      await page.goto(base.replace(address!, "127.0.0.1"));
      await page.click("[data-action=add-device]");
      const dialog = page.locator("dialog.install-dialog");
      await dialog.waitFor();
      expect(await dialog.locator("[data-testid=install-command]").textContent()).toBe(`curl -fsSL '${base.replace(address!, "127.0.0.1")}/install.sh' | sh -s -- --api-key KEY`);
      expect(await dialog.locator("[data-note]").evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { note: string } }).dataset.note))).toEqual(["loopback", "key", "token"]);
      expect(await page.content()).not.toContain(readToken);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});
