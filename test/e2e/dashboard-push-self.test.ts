// `serve --push-self 10s` in real Chromium: the device page's header shows the period this machine
// really pushes at (not the 10 minutes a new device gets), and the network graph draws bytes/s and
// packets/s on two axes, each named. Screenshots go to test/artifacts/ (gitignored).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { REPO, buildBinary } from "../helpers/binary.ts";
import { startServeBinary } from "../helpers/serve-binary.ts";
import { waitFor } from "../helpers/wait.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(REPO, "test/artifacts");
// No Chromium here: skip, except on CI, where a missing browser must fail rather than pass silently.
const skip = !existsSync(CHROMIUM) && !process.env.CI;

let serve: Awaited<ReturnType<typeof startServeBinary>> | undefined;
let browser: Browser | undefined;
let deviceId = "";

describe.skipIf(skip)("serve --push-self 10s on the dashboard", () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await buildBinary();
    serve = await startServeBinary(["--push-self", "10s"]);
    // The first push makes the device (with the default 600 s); serve then sets it to 10 s.
    const device = await waitFor(
      "the self-pushed device with its 10 s period",
      async () => ((await (await fetch(`${serve!.url}/api/devices`)).json()) as { devices: { id: string; periodSeconds: number }[] }).devices.find((d) => d.periodSeconds === 10),
      20_000,
    );
    deviceId = device.id;
    // A second record, so the network counter has a rate to draw.
    await waitFor(
      "a second self-pushed record",
      async () => ((await (await fetch(`${serve!.url}/api/devices/${encodeURIComponent(deviceId)}/series?item=network&from=0&to=${Math.ceil(Date.now() / 1000) + 60}`)).json()) as { points?: Record<string, unknown[]> }).points?.bytes_received?.length,
      30_000,
      200,
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"] });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  test("the header shows 10 s; the network graph has a bytes/s and a packets/s axis", async () => {
    const page = await (await browser!.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(`${serve!.url}/#/device/${encodeURIComponent(deviceId)}`);
    await page.locator("#period-value", { hasText: "(10 s)" }).waitFor();
    expect(await page.locator("#period-value").innerText()).toBe("10s (10 s)");
    const network = page.locator(".graph[data-item=network]");
    await network.locator("canvas").waitFor();
    expect(await network.locator(".unit").innerText()).toBe("bytes/s · packets/s");
    // uPlot draws the axes' labels on the canvas (see the screenshot); the card names its axes.
    expect(await network.getAttribute("data-axes")).toBe("bytes/s | packets/s");
    await network.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-push-self.png"), fullPage: true });
    await network.screenshot({ path: join(ARTIFACTS, "dashboard-push-self-network.png") });
    expect(errors).toEqual([]);
  }, 60_000);
});
