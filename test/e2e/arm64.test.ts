// The arm64 build runs `collect` and `push` under qemu user-mode emulation with an arm64 sysroot
// from Debian's packages (scripts/arm64-sysroot.sh, run by scripts/test-deps.sh).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { recordSchema } from "../../src/record/schema.ts";
import { REPO } from "../helpers/binary.ts";
import { tempDir } from "../helpers/context.ts";
import { skipWithout } from "../helpers/prereq.ts";

const SYSROOT = join(REPO, ".cache", "arm64-sysroot");
const QEMU = Bun.which("qemu-aarch64-static") ?? Bun.which("qemu-aarch64");
const ARM64 = join(REPO, "dist", "bagtower-linux-arm64");
const ready = QEMU !== null && existsSync(join(SYSROOT, "lib", "ld-linux-aarch64.so.1"));

let home = "";
let cleanup = () => {};
const received: unknown[] = [];
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    received.push(await request.json());
    return Response.json({ status: "ok", periodSeconds: 600 });
  },
});

beforeAll(async () => {
  if (!ready) return;
  const build = Bun.spawn([process.execPath, "scripts/build.ts", "linux-arm64"], { cwd: REPO, stdout: "ignore", stderr: "pipe" });
  if ((await build.exited) !== 0) throw new Error(`arm64 build failed: ${await new Response(build.stderr).text()}`);
  ({ dir: home, cleanup } = tempDir("bagtower-arm64-"));
}, 120_000);
afterAll(() => {
  receiver.stop(true);
  cleanup();
});

async function emulated(...args: string[]) {
  const proc = Bun.spawn([QEMU!, "-L", SYSROOT, ARM64, ...args], { env: { PATH: process.env.PATH, BAGTOWER_HOME: home }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

describe.skipIf(skipWithout("arm64"))("dist/bagtower-linux-arm64 under qemu", () => {
  test("it is an aarch64 executable", async () => {
    const header = new Uint8Array(await Bun.file(ARM64).slice(0, 20).arrayBuffer());
    expect([...header.slice(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(header[18]).toBe(183); // e_machine = EM_AARCH64
  });

  test("collect prints a valid record with every item", async () => {
    const { stdout, code, stderr } = await emulated("collect");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const record = v.parse(recordSchema, JSON.parse(stdout));
    expect(record.meta.errors).toEqual([]);
    expect(record.data.map((i) => i.id)).toContain("sockets_info");
    expect(record.data.map((i) => i.id)).toContain("cpu_per_cpu");
  }, 60_000);

  test("push delivers to a local receiver", async () => {
    writeFileSync(join(home, "config.json"), JSON.stringify({ sinks: [{ name: "default", format: "bagtower", url: `http://127.0.0.1:${receiver.port}` }] }));
    const { code, stderr } = await emulated("push");
    expect(stderr).toContain("default: delivered 1; 0 in the spool");
    expect(code).toBe(0);
    expect(received).toHaveLength(1);
    v.parse(recordSchema, received[0]);
  }, 60_000);
});
