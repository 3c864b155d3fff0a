import { resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "../..");
export const BINARY = resolve(REPO, "dist/bagtower-linux-x64");

let _built: Promise<string> | undefined;

/** Compiles the x64 executable from the current source, once per test process. */
export function buildBinary(): Promise<string> {
  _built ??= (async () => {
    const proc = Bun.spawn([process.execPath, "scripts/build.ts", "linux-x64"], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    if (code !== 0) throw new Error(`build failed (${code}): ${stderr}`);
    return BINARY;
  })();
  return _built;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled binary with a clean environment (plus `env`), in `cwd`. */
export async function runBinary(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<RunResult> {
  const proc = Bun.spawn([BINARY, ...args], {
    cwd: options.cwd ?? REPO,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
