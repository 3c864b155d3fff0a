import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { recordSchema } from "../../src/record/schema.ts";
import { VERSION } from "../../src/version.ts";
import { FIXTURES, tempDir } from "../helpers/context.ts";
import { BINARY, buildBinary, runBinary } from "../helpers/binary.ts";

let home: string;
let cleanup = () => {};

beforeAll(async () => {
  await buildBinary();
  const tmp = tempDir("bagtower-e2e-");
  home = tmp.dir;
  cleanup = tmp.cleanup;
});
afterAll(() => cleanup());

const env = () => ({ BAGTOWER_HOME: home });

describe("the compiled binary", () => {
  test("collect prints one valid JSON record on stdout, logs only on stderr", async () => {
    const result = await runBinary(["collect", "--only", "cpu,memory"], { env: env() });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    const record = v.parse(recordSchema, JSON.parse(lines[0]!));
    expect(record.data.map((i) => i.id)).toEqual(["cpu", "memory"]);
  });

  test("collect --only with an unknown id is a usage error with a did-you-mean, and prints no record", async () => {
    const result = await runBinary(["collect", "--only", "cpu,memroy"], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain('--only: no item named "memroy". Did you mean memory?');
  });

  test("collect --root naming a missing directory exits 78 with one line naming it", async () => {
    const result = await runBinary(["collect", "--root", "/nonexistent/device-root"], { env: env() });
    expect(result).toMatchObject({ code: 78, stdout: "" });
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringContaining("/nonexistent/device-root")]);
  });

  test("collect over a fixture tree, pretty", async () => {
    const result = await runBinary(["collect", "--root", join(FIXTURES, "pi4"), "--pretty", "--only", "system,wifi"], { env: env() });
    expect(result.code).toBe(0);
    const record = JSON.parse(result.stdout);
    expect(result.stdout).toContain('\n  "data": [');
    expect(record.data.map((i: { id: string }) => i.id)).toEqual(["wifi", "system"]);
    expect(record.data[1].val.model).toBe("Raspberry Pi 4 Model B Rev 1.4");
  });

  test("--set adds items and --device-id sets the id", async () => {
    const result = await runBinary(["collect", "--only", "deviceStatus", "--set", "rpm=5400", "--set", "room=kitchen", "--device-id", "pi-1"], { env: env() });
    expect(result.code).toBe(0);
    const record = JSON.parse(result.stdout);
    expect(record.deviceId).toBe("pi-1");
    expect(record.data).toEqual([
      { id: "deviceStatus", type: "string", val: "UP" },
      { id: "rpm", type: "number", val: 5400 },
      { id: "room", type: "string", val: "kitchen" },
    ]);
  });

  test("a mistyped flag is a usage error (exit 2) with a suggestion, and nothing on stdout", async () => {
    const result = await runBinary(["collect", "--onyl", "cpu"], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("unknown option --onyl");
    expect(result.stderr).toContain("Did you mean --only?");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("an unknown command is a usage error with a suggestion", async () => {
    const result = await runBinary(["colect"], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'colect'");
    expect(result.stderr).toContain("Did you mean collect?");
  });

  test("bad values are usage errors", async () => {
    for (const args of [["collect", "--format", "xml"], ["collect", "--watch", "soon"], ["collect", "--set", "no-equals"], ["collect", "extra"], ["collect", "--only"]]) {
      const result = await runBinary(args, { env: env() });
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).not.toContain("    at ");
    }
  });

  test("a bad config.json exits 78 naming the file, the field and the rule", async () => {
    const dir = join(home, "bad");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "config.json"), JSON.stringify({ spool: { maxSizeKb: "big" } }));
    const result = await runBinary(["collect"], { env: { BAGTOWER_HOME: dir } });
    expect(result.code).toBe(78);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim()).toBe(`error: ${join(dir, "config.json")}: spool.maxSizeKb: expected a number, got "big"`);
  });

  test("a bad environment value exits 78 naming the variable", async () => {
    const result = await runBinary(["collect"], { env: { ...env(), BAGTOWER_COLLECT_TIMEOUT_MS: "forever" } });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain("BAGTOWER_COLLECT_TIMEOUT_MS: collect.timeoutMs");
  });

  test("a .env or bunfig.toml in the working directory is not loaded", async () => {
    const cwd = join(home, "cwd");
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, ".env"), "BAGTOWER_DEVICE_ID=injected\n");
    writeFileSync(join(cwd, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
    writeFileSync(join(cwd, "evil.ts"), 'console.log("evil");\n');
    const result = await runBinary(["collect", "--only", "deviceStatus"], { env: env(), cwd });
    expect(result.code).toBe(0);
    // No BAGTOWER_DEVICE_ID from the .env: the record carries the id generated for this home.
    expect(JSON.parse(result.stdout).deviceId).toBe(readFileSync(join(home, "device-id"), "utf8").trim());
  });

  test("--version and --help for every command", async () => {
    expect((await runBinary(["--version"])).stdout.trim()).toBe(VERSION);
    for (const args of [["--help"], ["collect", "--help"], ["id", "-h"]]) {
      const result = await runBinary(args, { env: env() });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("USAGE");
    }
  });

  test("no command prints the usage and exits 2", async () => {
    const result = await runBinary([], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain("COMMANDS");
  });

  test("collect --watch prints ndjson until SIGINT, then exits 0", async () => {
    const proc = Bun.spawn([BINARY, "collect", "--watch", "100ms", "--only", "deviceStatus"], { env: env(), stdout: "pipe", stderr: "pipe" });
    const reader = proc.stdout.getReader();
    let text = "";
    while (text.split("\n").length < 3) text += new TextDecoder().decode((await reader.read()).value);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(0);
    const lines = text.trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(JSON.parse(line).data).toEqual([{ id: "deviceStatus", type: "string", val: "UP" }]);
  });

  test("id --json reports the identities and their sources", async () => {
    const result = await runBinary(["id", "--json"], { env: { ...env(), BAGTOWER_DEVICE_ID: "dev-7" } });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.machineId).toMatch(/^[0-9a-f]{32}$/);
    expect(report.deviceId).toBe("dev-7");
    expect(report.deviceIdSource).toBe("environment BAGTOWER_DEVICE_ID");
    expect(report.pattooAgentId).toMatch(/^[0-9a-f]{64}$/);
    expect(report.seq).toBeGreaterThan(0);
  });
});
