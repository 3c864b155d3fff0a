// A device installed from a running `bagtower serve`, as the unprivileged test user with a fresh
// HOME and the real crontab: `curl -fsSL http://gateway:8787/install.sh | sh -s -- …` downloads
// the receiver's own executable (checked against its SHA256SUMS), pushes its first record there and
// installs the cron line; a re-run and `bagtower update` replace the binary and keep config and
// spool; a file of --downloads changed after serve gave its sum is refused; an arm64 build is handed out too.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { adHocSinkName } from "../../src/config/sinks.ts";
import { VERSION } from "../../src/version.ts";
import { BINARY, buildBinary, REPO } from "../helpers/binary.ts";
import { runAsTestUser, setUserCrontab, testUserIds, userCrontab } from "../helpers/test-user.ts";
import { drainText } from "../helpers/wait.ts";
import { serveStarted } from "../helpers/serve-binary.ts";
import { skipWithout } from "../helpers/prereq.ts";
const skipWithoutTestUser = skipWithout("test-user");

// Each install downloads and checks a 100 MB executable and runs it as another user.
setDefaultTimeout(120_000);

const KEY = "install-from-serve-key-0123456789";
const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
const sha256Of = (path: string) => sha256(readFileSync(path));
const USER_CRONTAB = "# the user's own line\n17 4 * * * /usr/bin/true\n";

/** An address of this machine that is not loopback: serve must treat its clients as remote. */
const remoteAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === "IPv4" && !i.internal)?.address;

const SYSROOT = join(REPO, ".cache", "arm64-sysroot");
const QEMU = Bun.which("qemu-aarch64-static") ?? Bun.which("qemu-aarch64");
const ARM64 = join(REPO, "dist", "bagtower-linux-arm64");
const arm64Ready = QEMU !== null && existsSync(join(SYSROOT, "lib", "ld-linux-aarch64.so.1"));

let root = "";
let downloadsDir = "";
/** A bagtower that is not the served one (built without --minify): "the old version" on a device. */
let older = "";

interface Serve {
  url: string;
  port: number;
  home: string;
  log: () => string;
  stop: () => Promise<void>;
}
const serves: Serve[] = [];

/** `serve` on every interface, its key from a file; `argv0` is the built executable, or bun running the source. */
async function startServe(argv0: string[], extra: string[] = []): Promise<Serve> {
  const home = mkdtempSync(join(root, "serve-"));
  writeFileSync(join(home, "key"), KEY);
  const proc = Bun.spawn([...argv0, "serve", "--host", "0.0.0.0", "--port", "0", "--home", home, "--api-key-file", join(home, "key"), ...extra], { cwd: REPO, stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH } });
  const stderr = drainText(proc.stderr);
  const port = await serveStarted(stderr, 20_000);
  const serve = {
    url: `http://127.0.0.1:${port}`,
    port,
    home,
    log: stderr.text,
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
  serves.push(serve);
  return serve;
}

const readToken = (serve: Serve) => readFileSync(join(serve.home, "serve-read-token"), "utf8").trim();

/** A fresh HOME owned by the test user. */
function freshHome(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  chownSync(dir, testUserIds!.uid, testUserIds!.gid);
  return dir;
}

/** The command a user pastes, run by the test user's sh with HOME `home`. */
const paste = (home: string, command: string) => runAsTestUser(["sh", "-c", command], { HOME: home });

async function devices(serve: Serve): Promise<string[]> {
  const body = (await (await fetch(`${serve.url}/api/devices`)).json()) as { devices: { id: string }[] };
  return body.devices.map((d) => d.id);
}

beforeAll(async () => {
  await buildBinary();
  root = mkdtempSync("/tmp/bagtower-from-serve-");
  chownSync(root, testUserIds?.uid ?? process.getuid!(), testUserIds?.gid ?? process.getgid!());
  downloadsDir = join(root, "downloads");
  mkdirSync(downloadsDir);
  older = join(root, "bagtower-older");
  const build = Bun.spawn([process.execPath, "build", "src/cli.ts", "--compile", "--define", 'BAGTOWER_TARGET="linux-x64"', "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", "--outfile", older], { cwd: REPO, stdout: "ignore", stderr: "pipe" });
  if ((await build.exited) !== 0) throw new Error(`build of the older binary failed: ${await new Response(build.stderr).text()}`);
  if (arm64Ready) {
    const arm = Bun.spawn([process.execPath, "scripts/build.ts", "linux-arm64"], { cwd: REPO, stdout: "ignore", stderr: "pipe" });
    if ((await arm.exited) !== 0) throw new Error(`arm64 build failed: ${await new Response(arm.stderr).text()}`);
    copyFileSync(ARM64, join(downloadsDir, "bagtower-linux-arm64"));
  }
  if (!skipWithoutTestUser) await setUserCrontab(USER_CRONTAB);
}, 300_000);
afterAll(async () => {
  for (const serve of serves) await serve.stop();
  if (!skipWithoutTestUser) await setUserCrontab("");
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(skipWithoutTestUser)("curl -fsSL http://gateway:8787/install.sh | sh -s -- …", () => {
  let serve: Serve;
  let home = "";
  const b = () => join(home, ".bagtower");

  beforeAll(async () => {
    serve = await startServe([BINARY], ["--downloads", downloadsDir]);
    home = freshHome("pi kitchen");
  });

  test("installs the receiver's own executable, pushes the first record there and installs the cron line", async () => {
    expect(serve.log()).toContain(`install a device: curl -fsSL ${serve.url}/install.sh | sh -s -- --api-key KEY --device-id ID (downloads: bagtower-linux-x64${arm64Ready ? ", bagtower-linux-arm64" : ""})`);
    const result = await paste(home, `curl -fsSL ${serve.url}/install.sh | sh -s -- --api-key ${KEY} --device-id pi-kitchen`);
    expect(result.stderr).toContain("bagtower install: installed");
    expect(result.code).toBe(0);
    expect(sha256Of(join(b(), "bin", "bagtower"))).toBe(sha256Of(BINARY));
    expect(await devices(serve)).toEqual(["pi-kitchen"]);
    const crontab = await userCrontab();
    expect(crontab).toStartWith(USER_CRONTAB);
    expect(crontab).toMatch(/'.*\/pi kitchen\/\.bagtower\/bin\/bagtower' push --cron/);
    const config = JSON.parse(readFileSync(join(b(), "config.json"), "utf8"));
    expect(config).toEqual({ deviceId: "pi-kitchen", sinks: [{ name: adHocSinkName({ server: serve.url }), format: "bagtower", url: serve.url, apiKey: KEY }] });
    // The copy it keeps for re-runs is the served script (with this receiver in it), not the ingest key.
    const kept = readFileSync(join(b(), "install.sh"), "utf8");
    expect(kept).toContain(`DEFAULT_SERVER='${serve.url}'`);
    expect(kept).not.toContain(KEY);
  });

  test("the same command again replaces an older binary in place; config and spool are kept", async () => {
    copyFileSync(older, join(b(), "bin", "bagtower"));
    chownSync(join(b(), "bin", "bagtower"), testUserIds!.uid, testUserIds!.gid);
    const marker = join(b(), "spool", adHocSinkName({ server: serve.url }), "kept-marker");
    writeFileSync(marker, "x");
    chownSync(marker, testUserIds!.uid, testUserIds!.gid);
    const config = readFileSync(join(b(), "config.json"), "utf8");
    const result = await paste(home, `curl -fsSL ${serve.url}/install.sh | sh -s -- --api-key ${KEY} --device-id pi-kitchen`);
    expect(result.code).toBe(0);
    expect(sha256Of(join(b(), "bin", "bagtower"))).toBe(sha256Of(BINARY));
    expect(readFileSync(join(b(), "config.json"), "utf8")).toBe(config);
    expect(existsSync(marker)).toBe(true);
    expect((await userCrontab()).match(/# bagtower$/gm)).toHaveLength(1);
  });

  test("bagtower update on the device: an older binary is replaced by the receiver's (config and spool kept); then it is current", async () => {
    copyFileSync(older, join(b(), "bin", "bagtower"));
    chownSync(join(b(), "bin", "bagtower"), testUserIds!.uid, testUserIds!.gid);
    const bin = join(b(), "bin", "bagtower");
    const config = readFileSync(join(b(), "config.json"), "utf8");
    const spool = readdirSync(join(b(), "spool"), { recursive: true }).sort();
    const check = await runAsTestUser([bin, "update", "--check", "--json"], { HOME: home });
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ status: "available", server: serve.url, sha256: sha256Of(BINARY) });
    expect(sha256Of(bin)).toBe(sha256Of(older));
    const update = await runAsTestUser([bin, "update"], { HOME: home });
    expect(update.stderr).toContain(`updated ${bin} to ${VERSION} from ${serve.url}`);
    expect(update.code).toBe(0);
    // Left out of the page cache, as install.sh leaves it (src/page-cache.ts says why).
    expect(Bun.spawnSync(["fincore", "--bytes", "--noheadings", "--output", "RES", bin]).stdout.toString().trim()).toBe("0");
    expect(sha256Of(bin)).toBe(sha256Of(BINARY));
    expect(statSync(bin).mode & 0o777).toBe(0o755);
    expect(readdirSync(join(b(), "bin"))).toEqual(["bagtower"]);
    expect(readFileSync(join(b(), "config.json"), "utf8")).toBe(config);
    expect(readdirSync(join(b(), "spool"), { recursive: true }).sort()).toEqual(spool);
    const again = await runAsTestUser([bin, "update"], { HOME: home });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`is what ${serve.url} hands out already`);
  });

  test("bagtower update refuses a download whose sum does not match (exit 65) and keeps its binary", async () => {
    const served = readFileSync(BINARY);
    const liar = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(request) {
        const name = new URL(request.url).pathname;
        if (name === "/download/SHA256SUMS") return new Response(`${sha256(served)}  bagtower-linux-x64\n`);
        if (name === "/download/bagtower-linux-x64") return new Response(Buffer.concat([served, Buffer.from("evil")]));
        return new Response("not found", { status: 404 });
      },
    });
    try {
      const bin = join(b(), "bin", "bagtower");
      copyFileSync(older, bin);
      chownSync(bin, testUserIds!.uid, testUserIds!.gid);
      const result = await runAsTestUser([bin, "update", "--server", `http://127.0.0.1:${liar.port}`], { HOME: home });
      expect(result.stderr).toContain("checksum mismatch for bagtower-linux-x64");
      expect(result.stderr).toContain("was not replaced");
      expect(result.code).toBe(65);
      expect(sha256Of(bin)).toBe(sha256Of(older));
      expect(readdirSync(join(b(), "bin"))).toEqual(["bagtower"]);
    } finally {
      liar.stop(true);
    }
  });

  test("bagtower update in a directory it cannot write: one line, exit 1, nothing replaced", async () => {
    const dir = join(root, "root-owned");
    mkdirSync(dir, { mode: 0o755 });
    const bin = join(dir, "bagtower");
    copyFileSync(older, bin);
    const result = await runAsTestUser([bin, "update", "--server", serve.url], { HOME: home });
    expect(result.stderr).toStartWith(`error: ${dir}: EACCES`);
    expect(result.stderr).toContain(`${bin} was not replaced (run update as the user that installed it)`);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.code).toBe(1);
    expect(sha256Of(bin)).toBe(sha256Of(older));
  });

  test.skipIf(skipWithout("arm64"))("an arm64 build from --downloads is handed out, its sum verifies, and it runs (under qemu)", async () => {
    const sums = await (await fetch(`${serve.url}/download/SHA256SUMS`)).text();
    expect(sums).toContain(`${sha256Of(BINARY)}  bagtower-linux-x64\n`);
    const line = sums.split("\n").find((l) => l.endsWith("  bagtower-linux-arm64"));
    expect(line).toBe(`${sha256Of(ARM64)}  bagtower-linux-arm64`);
    const file = join(root, "downloaded-arm64");
    const got = Bun.spawnSync(["curl", "-fsSL", "-o", file, `${serve.url}/download/bagtower-linux-arm64`]);
    expect(got.exitCode).toBe(0);
    const check = Bun.spawnSync(["sh", "-c", `cd '${root}' && sed -n 's/bagtower-linux-arm64$/downloaded-arm64/p' | sha256sum -c -`], { stdin: Buffer.from(sums), stdout: "pipe", stderr: "pipe" });
    expect(check.stdout.toString()).toBe("downloaded-arm64: OK\n");
    Bun.spawnSync(["chmod", "755", file]);
    const run = Bun.spawnSync([QEMU!, "-L", SYSROOT, file, "--version"], { stdout: "pipe", stderr: "pipe" });
    expect(run.stdout.toString().trim()).toBe(VERSION);
  });
});

describe.skipIf(skipWithoutTestUser)("a file of --downloads changed after serve gave its sum", () => {
  test("is refused by the installer: nothing is installed, no cron line, no device", async () => {
    await setUserCrontab(USER_CRONTAB);
    // serve from source has no executable of its own: the x64 build comes from --downloads.
    const dir = join(root, "tamper");
    mkdirSync(dir);
    copyFileSync(BINARY, join(dir, "bagtower-linux-x64"));
    const serve = await startServe([process.execPath, "src/cli.ts"], ["--downloads", dir]);
    expect(await (await fetch(`${serve.url}/download/SHA256SUMS`)).text()).toBe(`${sha256Of(BINARY)}  bagtower-linux-x64\n`);
    appendFileSync(join(dir, "bagtower-linux-x64"), "evil");
    const home = freshHome("tampered");
    const result = await paste(home, `curl -fsSL ${serve.url}/install.sh | sh -s -- --api-key ${KEY} --device-id pi-tampered`);
    expect(result.stderr).toContain("checksum mismatch for bagtower-linux-x64");
    expect(result.stderr).toContain("nothing was installed");
    expect(result.code).not.toBe(0);
    expect(existsSync(join(home, ".bagtower", "bin", "bagtower"))).toBe(false);
    expect(existsSync(join(home, ".bagtower", "config.json"))).toBe(false);
    expect(await userCrontab()).toBe(USER_CRONTAB);
    expect(await devices(serve)).toEqual([]);
  });
});

describe.skipIf(skipWithoutTestUser || !remoteAddress)("from another host (not loopback), without --public-read", () => {
  let serve: Serve;
  let remote = "";
  beforeAll(async () => {
    serve = await startServe([BINARY]);
    remote = `http://${remoteAddress}:${serve.port}`;
  });

  test("the installer and the downloads need the read token; a wrong one is refused", async () => {
    for (const path of ["/install.sh", "/download/SHA256SUMS", "/download/bagtower-linux-x64"]) {
      expect({ path, status: (await fetch(`${remote}${path}`, { method: "HEAD" })).status }).toEqual({ path, status: 401 });
      expect({ path, status: (await fetch(`${remote}${path}?token=not-the-read-token-0123`, { method: "HEAD" })).status }).toEqual({ path, status: 401 });
      expect({ path, status: (await fetch(`${remote}${path}`, { method: "HEAD", headers: { "x-api-key": KEY, authorization: `Bearer ${KEY}` } })).status }).toEqual({ path, status: 401 });
    }
  });

  test("a Host naming another server is refused: the script would send devices there", async () => {
    const res = await fetch(`${remote}/install.sh`, { headers: { host: "evil.example" } });
    expect(res.status).toBe(403);
  });

  test("the command with ?token= installs: the served script carries the read token for its downloads, never the ingest key", async () => {
    const home = freshHome("remote pi");
    const result = await paste(home, `curl -fsSL '${remote}/install.sh?token=${readToken(serve)}' | sh -s -- --api-key ${KEY} --device-id pi-remote`);
    expect(result.stderr).toContain("bagtower install: installed");
    expect(result.code).toBe(0);
    expect(await devices(serve)).toEqual(["pi-remote"]);
    expect(await userCrontab()).toMatch(/\/remote pi\/\.bagtower\/bin\/bagtower' push --cron/);
    expect(readFileSync(join(home, ".bagtower", "download-token"), "utf8")).toBe(`${readToken(serve)}\n`);
    expect(statSync(join(home, ".bagtower", "download-token")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(home, ".bagtower", "install.sh"), "utf8")).not.toContain(KEY);
    // A wrong token is a refusal (78) that names the flag; without one, the token the installer kept is used.
    const wrong = await runAsTestUser([join(home, ".bagtower", "bin", "bagtower"), "update", "--download-token", "not-the-read-token-0123"], { HOME: home });
    expect(wrong.stderr).toContain("give the receiver's read token: --download-token TOKEN");
    expect(wrong.code).toBe(78);
    const update = await runAsTestUser([join(home, ".bagtower", "bin", "bagtower"), "update", "--check"], { HOME: home });
    expect(update.stderr).toContain(`is what ${remote} hands out already`);
    expect(update.code).toBe(0);
  });
});
