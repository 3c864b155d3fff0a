#!/usr/bin/env bun
// The binary's size against the bare Bun runtime it is built on, and `collect` of the arm64 build
// under qemu user-mode emulation against a bare arm64 hello-world under the same emulation.
// Usage: bun bench/binary.ts [runs]
import { $ } from "bun";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, machine, REPO, summarize, table, timeCommand, writeSection } from "./lib.ts";

const RUNS = Number(process.argv[2] ?? 10);
const cache = join(REPO, ".cache/bench");
mkdirSync(cache, { recursive: true });
await $`${process.execPath} ${join(REPO, "scripts/build.ts")} linux-x64 linux-arm64`.quiet();
const runtime = Bun.file(realpathSync(process.execPath)).size;
const x64 = Bun.file(join(REPO, "dist/bagtower-linux-x64")).size;
const arm64 = Bun.file(join(REPO, "dist/bagtower-linux-arm64")).size;
const armRuntime = Bun.file(join(REPO, ".cache/runtimes", `linux-arm64-${Bun.version}`, "package/bin/bun")).size;
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

const rows = [
  ["linux-x64", mib(x64), mib(runtime), `+${mib(x64 - runtime)}`, `${fmt(x64 / runtime, 3)}×`],
  ["linux-arm64", mib(arm64), mib(armRuntime), `+${mib(arm64 - armRuntime)}`, `${fmt(arm64 / armRuntime, 3)}×`],
];

let emulation = "qemu-aarch64-static or the arm64 sysroot is missing (scripts/arm64-sysroot.sh): not measured";
const qemu = Bun.which("qemu-aarch64-static");
const sysroot = join(REPO, ".cache/arm64-sysroot");
if (qemu && existsSync(join(sysroot, "lib/ld-linux-aarch64.so.1"))) {
  const hello = join(cache, "hello-arm64");
  await $`${process.execPath} build ${join(REPO, "bench/hello.ts")} --compile --minify --bytecode --format=esm --target=bun-linux-arm64 --compile-executable-path=${join(REPO, ".cache/runtimes", `linux-arm64-${Bun.version}`, "package/bin/bun")} --outfile ${hello}`.quiet();
  const home = mkdtempSync(join(tmpdir(), "bagtower-bench-arm-"));
  const env = { PATH: process.env.PATH, BAGTOWER_HOME: home };
  await timeCommand([qemu, "-L", sysroot, join(REPO, "dist/bagtower-linux-arm64"), "collect"], env);
  const ours: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await Bun.sleep(1100); // the stored CPU sample must be ≥ 1 s old, as a cron run finds it
    ours.push((await timeCommand([qemu, "-L", sysroot, join(REPO, "dist/bagtower-linux-arm64"), "collect"], env)).ms);
    floor.push((await timeCommand([qemu, "-L", sysroot, hello], env)).ms);
  }
  rmSync(home, { recursive: true, force: true });
  const o = summarize(ours);
  const f = summarize(floor);
  emulation = table(
    ["under qemu-aarch64 (x86-64 host)", "median ms", "p10–p90 ms", "vs arm64 hello floor"],
    [
      ["bagtower-linux-arm64 collect", fmt(o.median), `${fmt(o.p10)}–${fmt(o.p90)}`, `${fmt(o.median / f.median, 2)}×`],
      ["bare Bun hello (arm64)", fmt(f.median), `${fmt(f.p10)}–${fmt(f.p90)}`, "1.00×"],
    ],
  );
}

const body = `Run ${new Date().toISOString()} on ${machine()}. Command: \`bun bench/binary.ts ${RUNS}\`.

${table(["binary", "size", "bare Bun runtime", "added by bagtower", "ratio"], rows)}

${emulation}

Emulated times say that the arm64 build works and how it compares with the runtime's own start-up
under the same emulation; they are not arm64 hardware figures.`;
console.log(body);
writeSection("binary size and arm64", body);
