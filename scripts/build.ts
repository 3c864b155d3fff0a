#!/usr/bin/env bun
// Compiles the single-file executables into dist/: the targets named, or without one this machine's
// own (`npm run build`; `npm run build:all` names the release set). This machine's runtime is the
// `bun` package this checkout runs on; other runtimes come from their npm packages
// (@oven/bun-linux-aarch64 …), which npm refuses to install on a foreign CPU, so they are fetched
// with `npm pack` into .cache/ once.
import { $ } from "bun";
import { existsSync, mkdirSync, readdirSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
/** Tier-up threshold scale the executable starts with; measured in docs/PERFORMANCE.md. */
const JIT_POLICY = 10;
const bunVersion = Bun.version;

interface Target {
  name: string;
  bunTarget: string;
  runtimePackage: string;
}

const TARGETS: Record<string, Target> = {
  "linux-x64": { name: "linux-x64", bunTarget: "bun-linux-x64", runtimePackage: "@oven/bun-linux-x64" },
  "linux-arm64": { name: "linux-arm64", bunTarget: "bun-linux-arm64", runtimePackage: "@oven/bun-linux-aarch64" },
  "linux-x64-musl": { name: "linux-x64-musl", bunTarget: "bun-linux-x64-musl", runtimePackage: "@oven/bun-linux-x64-musl" },
  "linux-arm64-musl": { name: "linux-arm64-musl", bunTarget: "bun-linux-arm64-musl", runtimePackage: "@oven/bun-linux-aarch64-musl" },
};

/** The target this machine runs: its CPU, and musl when the musl loader is what runs programs here. */
function hostTarget(): string {
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  const musl = readdirSync("/lib").some((name) => name.startsWith("ld-musl-"));
  return `linux-${arch}${musl ? "-musl" : ""}`;
}

/** The runtime binary a target is built on: this process's own for this machine, a fetched package otherwise. */
async function runtimeFor(target: Target): Promise<string> {
  if (target.name === hostTarget()) return realpathSync(process.execPath);
  const dir = join(root, ".cache", "runtimes", `${target.name}-${bunVersion}`);
  const binary = join(dir, "package", "bin", "bun");
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  console.error(`fetching ${target.runtimePackage}@${bunVersion} from the npm registry`);
  const tarball = (await $`npm pack ${target.runtimePackage}@${bunVersion} --silent --pack-destination ${dir}`.cwd(dir).text()).trim().split("\n").at(-1)!;
  await $`tar -xzf ${join(dir, tarball)} -C ${dir}`;
  await $`chmod +x ${binary}`;
  return binary;
}

async function build(target: Target): Promise<void> {
  const outfile = join(root, "dist", `bagtower-${target.name}`);
  const runtime = await runtimeFor(target);
  // No .env or bunfig.toml autoload: a cron job's working directory must not inject configuration.
  // --splitting keeps each lazily imported command in its own chunk inside the executable, loaded
  // when used: without it every command's bytecode is loaded at start (`collect` paid ~3 ms for serve).
  // BAGTOWER_TARGET tells the executable its own release name (src/build-target.ts: serve hands itself out).
  // --compile-jit-policy: the JIT waits 10× longer before compiling (src/jit.ts); serve and
  // collect --watch set it back to normal.
  await $`${process.execPath} build ${join(root, "src/cli.ts")} --compile --minify --bytecode --splitting --compile-jit-policy=${JIT_POLICY} --format=esm --no-compile-autoload-dotenv --no-compile-autoload-bunfig --define BAGTOWER_TARGET=${JSON.stringify(target.name)} --target=${target.bunTarget} --compile-executable-path=${runtime} --outfile ${outfile}`.quiet();
  const size = Bun.file(outfile).size;
  console.error(`built ${outfile} (${(size / 1024 / 1024).toFixed(1)} MiB)`);
}

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : [hostTarget()];
for (const name of names) {
  const target = TARGETS[name];
  if (!target) {
    console.error(`unknown target ${name}; known: ${Object.keys(TARGETS).join(", ")}`);
    process.exit(2);
  }
  await build(target);
}
