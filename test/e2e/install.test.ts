// install.sh end to end, offline: the built binary, its SHA256SUMS and install.sh served from a
// local HTTP server, installed as the unprivileged test user into a temporary HOME against a local
// receiver, as `curl … | sh -s -- …` would. Then again (update), with a tampered binary (refused),
// --uninstall and --purge.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { adHocSinkName } from "../../src/config/sinks.ts";
import { BINARY, buildBinary, REPO } from "../helpers/binary.ts";
import { runAsTestUser, setUserCrontab, skipWithoutTestUser, testUserIds, userCrontab } from "../helpers/test-user.ts";

let binary: Uint8Array;
let tampered = false;
const pushes: unknown[] = [];
const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

const files = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    const name = new URL(request.url).pathname.replace(/^\/dl\//, "");
    if (name === "bagtower-linux-x64") return new Response(tampered ? Buffer.concat([Buffer.from(binary), Buffer.from("evil")]) : binary);
    if (name === "SHA256SUMS") return new Response(`${sha256(binary)}  bagtower-linux-x64\n${"0".repeat(64)}  bagtower-linux-arm64\n`);
    if (name === "install.sh") return new Response(Bun.file(join(REPO, "install.sh")));
    return new Response("not found", { status: 404 });
  },
});
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    pushes.push(await request.json());
    return Response.json({ status: "ok", accepted: 1, periodSeconds: 600 });
  },
});

let root = "";
let home = "";
beforeAll(async () => {
  await buildBinary();
  binary = new Uint8Array(await Bun.file(BINARY).arrayBuffer());
  if (skipWithoutTestUser) return;
  root = mkdtempSync("/tmp/bagtower-install-");
  home = join(root, "user home");
  mkdirSync(home);
  for (const path of [root, home]) chownSync(path, testUserIds!.uid, testUserIds!.gid);
  await setUserCrontab("# the user's own line\n17 4 * * * /usr/bin/true\n");
});
afterAll(async () => {
  files.stop(true);
  receiver.stop(true);
  if (!skipWithoutTestUser) await setUserCrontab("");
  if (root) rmSync(root, { recursive: true, force: true });
});

const bagtowerHome = () => join(home, ".bagtower");
/** `curl URL/install.sh | sh -s -- ARGS`, as the test user. */
const install = (...args: string[]) =>
  runAsTestUser(["sh", "-s", "--", ...args], { HOME: home, BAGTOWER_DOWNLOAD_URL: `http://127.0.0.1:${files.port}/dl` }, readFileSync(join(REPO, "install.sh"), "utf8"));

describe.skipIf(skipWithoutTestUser)("install.sh", () => {
  test("a fresh install: binary, layout and modes, config saved, first push, cron line", async () => {
    const result = await install("--server", `http://127.0.0.1:${receiver.port}`, "--api-key", "k-1", "--device-id", "pi-kitchen");
    expect(result.stderr).toContain("installed");
    expect(result.code).toBe(0);
    const b = bagtowerHome();
    expect(statSync(b).mode & 0o777).toBe(0o700);
    expect(statSync(join(b, "bin", "bagtower")).mode & 0o777).toBe(0o755);
    expect(sha256(readFileSync(join(b, "bin", "bagtower")))).toBe(sha256(binary));
    expect(statSync(join(b, "config.json")).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(b, "config.json"), "utf8"))).toEqual({
      deviceId: "pi-kitchen",
      sinks: [{ name: adHocSinkName({ server: `http://127.0.0.1:${receiver.port}` }), format: "bagtower", url: `http://127.0.0.1:${receiver.port}`, apiKey: "k-1" }],
    });
    expect(readFileSync(join(b, "install.sh"), "utf8")).toBe(readFileSync(join(REPO, "install.sh"), "utf8"));
    expect(pushes).toHaveLength(1);
    expect((pushes[0] as { deviceId: string }).deviceId).toBe("pi-kitchen");
    const crontab = await userCrontab();
    expect(crontab.startsWith("# the user's own line\n17 4 * * * /usr/bin/true\n")).toBe(true);
    expect(crontab).toMatch(/-59\/10 \* \* \* \* '.*\/user home\/\.bagtower\/bin\/bagtower' push --cron/);
  });

  test("run again: the binary is updated, config and spool are kept", async () => {
    const b = bagtowerHome();
    const kept = join(b, "spool", adHocSinkName({ server: `http://127.0.0.1:${receiver.port}` }), "kept-marker");
    writeFileSync(kept, "x");
    chownSync(kept, testUserIds!.uid, testUserIds!.gid);
    const config = readFileSync(join(b, "config.json"), "utf8");
    const result = await install();
    expect(result.code).toBe(0);
    expect(readFileSync(join(b, "config.json"), "utf8")).toBe(config);
    expect(existsSync(kept)).toBe(true);
    expect(pushes).toHaveLength(2); // the re-run pushes with the saved config
    expect((await userCrontab()).match(/# bagtower$/gm)).toHaveLength(1);
  });

  test("a tampered binary is refused and nothing changes", async () => {
    const b = bagtowerHome();
    const before = sha256(readFileSync(join(b, "bin", "bagtower")));
    tampered = true;
    try {
      const result = await install();
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("checksum mismatch for bagtower-linux-x64");
      expect(result.stderr).toContain("nothing was installed");
    } finally {
      tampered = false;
    }
    expect(sha256(readFileSync(join(b, "bin", "bagtower")))).toBe(before);
    expect(readFileSync(join(b, "install.sh"), "utf8")).toBe(readFileSync(join(REPO, "install.sh"), "utf8"));
  });

  test("--uninstall removes the cron line and the binary, keeps the data; --purge removes everything", async () => {
    const b = bagtowerHome();
    expect((await install("--uninstall")).code).toBe(0);
    expect(existsSync(join(b, "bin", "bagtower"))).toBe(false);
    expect(existsSync(join(b, "config.json"))).toBe(true);
    expect(await userCrontab()).toBe("# the user's own line\n17 4 * * * /usr/bin/true\n");
    expect((await install("--purge")).code).toBe(0);
    expect(existsSync(b)).toBe(false);
  });
});

describe("install.sh refuses what it cannot install", () => {
  test("32-bit ARM gets a clear message", async () => {
    const fake = mkdtempSync("/tmp/bagtower-uname-");
    try {
      writeFileSync(join(fake, "uname"), '#!/bin/sh\ncase "$1" in -s) echo Linux ;; -m) echo armv7l ;; esac\n', { mode: 0o755 });
      const result = Bun.spawnSync(["sh", join(REPO, "install.sh")], { env: { PATH: `${fake}:/usr/bin:/bin`, HOME: fake }, stderr: "pipe" });
      expect(result.exitCode).toBe(1);
      expect(result.stderr.toString()).toContain("32-bit ARM (armv7l) is not supported: Bun has no 32-bit runtime");
      expect(existsSync(join(fake, ".bagtower"))).toBe(false);
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });

  test("an unknown option", () => {
    const result = Bun.spawnSync(["sh", join(REPO, "install.sh"), "--sever", "x"], { env: { PATH: "/usr/bin:/bin", HOME: "/nonexistent" }, stderr: "pipe" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.toString()).toContain("unknown option --sever");
  });

  test.skipIf(!Bun.which("shellcheck") && !process.env.CI)("is shellcheck-clean POSIX sh", () => {
    const result = Bun.spawnSync(["shellcheck", "-s", "sh", join(REPO, "install.sh")], { stdout: "pipe" });
    expect(result.stdout.toString()).toBe("");
    expect(result.exitCode).toBe(0);
  });
});
