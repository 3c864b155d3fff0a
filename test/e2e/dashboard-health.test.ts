// The receiver shows device health in real Chromium: records made by the compiled agent over the
// Pi fixture trees are pushed to the compiled `serve`; the fleet page flags the Pi whose supply is
// failing and the device whose eMMC is worn out, and the device page has a power timeline and a
// containers table. Screenshots go to test/artifacts/.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { makeRecordId } from "../../src/record/identity.ts";
import type { BagtowerRecord } from "../../src/record/schema.ts";
import { REPO, buildBinary, runBinary } from "../helpers/binary.ts";
import { FIXTURES, tempDir } from "../helpers/context.ts";
import { sampleRecord } from "../helpers/record.ts";
import { SERVE_KEY, startServeBinary } from "../helpers/serve-binary.ts";
import { skipWithout } from "../helpers/prereq.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(REPO, "test/artifacts");
const skip = skipWithout("chromium");

let serve: Awaited<ReturnType<typeof startServeBinary>> | undefined;
let browser: Browser | undefined;
let home = { dir: "", cleanup: () => {} };

/** What the agent prints for a fixture tree, as the device `deviceId`, dated `at`. */
async function collectRecord(tree: string, deviceId: string, at: number): Promise<BagtowerRecord> {
  const result = await runBinary(["collect", "--root", join(FIXTURES, tree), "--device-id", deviceId], { env: { BAGTOWER_HOME: home.dir } });
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  const record = JSON.parse(result.stdout) as BagtowerRecord;
  return { ...record, unixTimestamp: at, UTCTimestamp: new Date(at * 1000).toISOString(), meta: { ...record.meta, recordId: makeRecordId(record.meta.machineId, `${deviceId}-${at}`, record.meta.seq, at * 1000) } };
}

async function push(record: BagtowerRecord): Promise<void> {
  const res = await fetch(`${serve!.url}/logs`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": SERVE_KEY }, body: JSON.stringify(record) });
  expect({ status: res.status, body: await res.text() }).toMatchObject({ status: 200 });
}

async function openPage(path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  await page.goto(`${serve!.url}${path}`);
  return { page, errors };
}

describe("device health on the dashboard", () => {
  beforeAll(
    async () => {
      if (skip) return;
      mkdirSync(ARTIFACTS, { recursive: true });
      await buildBinary();
      home = tempDir("bagtower-health-agent-");
      serve = await startServeBinary();
      const now = Math.floor(Date.now() / 1000);
      // pi-barn: a good supply two minutes ago, then the under-voltage tree (flags now and since boot).
      await push(await collectRecord("pi4", "pi-barn", now - 120));
      await push(await collectRecord("pi4-undervolt", "pi-barn", now - 60));
      await push(await collectRecord("pi4-undervolt", "pi-barn", now));
      // pi-lab: a healthy Pi 5; nas: the Docker/Podman host.
      await push(await collectRecord("pi5", "pi-lab", now));
      await push(await collectRecord("docker-host", "nas", now));
      // orin-cam: an eMMC past its rated life (life_time 0x0A 0x0B, pre_eol urgent), as the agent reports it.
      await push(sampleRecord("orin-cam", now, {}, { data: [{ id: "storage_health", type: "percent", val: { "mmcblk0.wear_a": 100, "mmcblk0.wear_b": 100, "mmcblk0.pre_eol": 3 } }] }));
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
    },
    { timeout: 180_000 },
  );

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    home.cleanup();
  });

  test.skipIf(skip)(
    "the fleet page flags the failing power supply and the worn storage, and nothing on healthy devices",
    async () => {
      const { page, errors } = await openPage("/");
      try {
        await page.locator("tr[data-device=pi-barn]").waitFor();
        const flags = async (device: string) => (await page.locator(`tr[data-device=${device}] [data-col=health] .flag`).allInnerTexts()).map((t) => t.trim());
        expect(await flags("pi-barn")).toEqual(["Power failing"]);
        expect(await flags("orin-cam")).toEqual(["Storage worn 100 %"]);
        expect(await flags("pi-lab")).toEqual([]);
        expect(await flags("nas")).toEqual([]);
        expect(await page.locator("tr[data-device=pi-barn]").getAttribute("class")).toContain("is-flagged");
        expect(await page.locator(".summary .stat", { hasText: "Health flags" }).locator(".stat-value").innerText()).toBe("2");
        await page.screenshot({ path: join(ARTIFACTS, "dashboard-health-fleet.png"), fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    },
    60_000,
  );

  test.skipIf(skip)(
    "the device page has a power timeline and a containers table",
    async () => {
      const { page, errors } = await openPage("/#/device/pi-barn");
      try {
        const power = page.locator(".graph[data-item=power]");
        await power.locator("canvas").waitFor();
        const legend = (await power.locator(".u-legend .u-series:not(:first-child) th").allInnerTexts()).map((t) => t.trim());
        expect(legend).toContain("under_voltage_since_boot");
        expect(legend).toContain("under_voltage_alarm");
        await page.screenshot({ path: join(ARTIFACTS, "dashboard-health-power.png"), fullPage: true });

        await page.goto(`${serve!.url}/#/device/nas`);
        const table = page.locator(".strings[data-item=containers] table.containers");
        await table.waitFor();
        const rows = await table.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c as unknown as { innerText: string }).innerText.trim())));
        expect(rows.map((r) => r[0])).toEqual(["db", "web", "b2b2b2b2b2b2", "e5e5e5e5e5e5", "web_2"]);
        expect(rows[0]).toEqual(["db", "—", "512 MiB", "1 GiB"]);
        expect(rows[2]![3]).toBe("none");
        await page.locator(".strings[data-item=containers]").scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(ARTIFACTS, "dashboard-health-containers.png"), fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    },
    60_000,
  );
});
