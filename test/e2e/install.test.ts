// install.sh end to end, offline: the built binary, its SHA256SUMS and install.sh served from a
// local HTTP server, installed as the unprivileged test user into a temporary HOME against a local
// receiver, as `curl … | sh -s -- …` would. Then again (update), with a tampered binary (refused),
// --uninstall and --purge.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { adHocSinkName } from "../../src/config/sinks.ts";
import { BINARY, buildBinary, REPO } from "../helpers/binary.ts";
import { SERVE_KEY, startServeBinary } from "../helpers/serve-binary.ts";
import { runAsTestUser, setUserCrontab, testUserIds, userCrontab } from "../helpers/test-user.ts";
import { skipWithout } from "../helpers/prereq.ts";
const skipWithoutTestUser = skipWithout("test-user");

// An install downloads, checks and runs the binary as another user: seconds on a loaded machine.
setDefaultTimeout(60_000);

let binary: Uint8Array;
let tampered = false;
/** A stand-in for the release binary, served (with its checksum) instead of the real one when set. */
let standIn: Uint8Array | undefined;
let downloads = 0;
const pushes: unknown[] = [];
const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

const files = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    downloads++;
    const name = new URL(request.url).pathname.replace(/^\/dl\//, "");
    const served = standIn ?? binary;
    if (name === "bagtower-linux-x64") return new Response(tampered ? Buffer.concat([Buffer.from(served), Buffer.from("evil")]) : served);
    if (name === "SHA256SUMS") return new Response(`${sha256(served)}  bagtower-linux-x64\n${"0".repeat(64)}  bagtower-linux-arm64\n`);
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
  await setUserCrontab(USER_CRONTAB);
});
afterAll(async () => {
  files.stop(true);
  receiver.stop(true);
  if (!skipWithoutTestUser) await setUserCrontab("");
  if (root) rmSync(root, { recursive: true, force: true });
});

const bagtowerHome = () => join(home, ".bagtower");
/** `curl URL/install.sh | sh -s -- ARGS`, as the test user, with HOME `userHome`. */
const installIn = (userHome: string, ...args: string[]) =>
  runAsTestUser(["sh", "-s", "--", ...args], { HOME: userHome, BAGTOWER_DOWNLOAD_URL: `http://127.0.0.1:${files.port}/dl` }, readFileSync(join(REPO, "install.sh"), "utf8"));
const install = (...args: string[]) => installIn(home, ...args);
const USER_CRONTAB = "# the user's own line\n17 4 * * * /usr/bin/true\n";

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

describe.skipIf(skipWithoutTestUser)("install.sh: the first push decides whether cron runs", () => {
  /** A fresh HOME for the test user: each case installs from nothing. */
  function freshHome(name: string): string {
    const dir = join(root, name);
    mkdirSync(dir);
    chownSync(dir, testUserIds!.uid, testUserIds!.gid);
    return dir;
  }
  const spooled = (userHome: string) =>
    (readdirSync(join(userHome, ".bagtower", "spool"), { recursive: true }) as string[]).filter((f) => f.endsWith(".json") && !f.endsWith("queue.json") && !/(^|\/)(rejected|corrupt)\//.test(f));

  test("a refused configuration (exit 78): it stops, says what to fix, and installs no cron line", async () => {
    const before = pushes.length;
    const result = await installIn(freshHome("refused config"), "--server", `http://127.0.0.1:${receiver.port}`, "--device-id", "not a valid id");
    expect(result.code).toBe(78);
    expect(result.stderr).toContain("--device-id: deviceId: expected 1–128 letters"); // push's own line
    expect(result.stderr).toContain("the first push was refused: the configuration is wrong (exit 78, see above); no cron line was installed");
    expect(result.stderr).toContain("run this again");
    expect(result.stderr).not.toContain("done");
    expect(pushes.length).toBe(before);
    expect(await userCrontab()).toBe(USER_CRONTAB);
  });

  test("a rejected first record (exit 65): it stops with 65 and installs no cron line", async () => {
    // A stand-in binary whose push exits 65, as push does when the server rejected records for good.
    standIn = new TextEncoder().encode(
      '#!/bin/sh\ncase "$1" in\n  --version) echo 0.0.0-stand-in ;;\n  push) echo "default: 1 rejected for good (HTTP 422: data.0.val: expected a number)" >&2; exit 65 ;;\n  *) echo "unexpected: $*" >&2; exit 1 ;;\nesac\n',
    );
    try {
      const result = await installIn(freshHome("rejected record"), "--server", `http://127.0.0.1:${receiver.port}`, "--api-key", "k");
      expect(result.code).toBe(65);
      expect(result.stderr).toContain("default: 1 rejected for good (HTTP 422");
      expect(result.stderr).toContain("the server rejected the first record (exit 65, see above for why and where it is kept); no cron line was installed");
      expect(result.stderr).not.toContain("unexpected:");
      expect(await userCrontab()).toBe(USER_CRONTAB);
    } finally {
      standIn = undefined;
    }
  });

  test("an unreachable server (exit 75): the cron line is installed, the record waits in the spool", async () => {
    const userHome = freshHome("unreachable");
    try {
      const result = await installIn(userHome, "--server", "http://127.0.0.1:1", "--device-id", "pi-offline");
      expect(result.code).toBe(0);
      expect(result.stderr).toContain("the server could not be reached: the record is safe in the spool");
      expect(result.stderr).toContain("the cron line is installed anyway: records stay spooled until the server answers");
      expect(spooled(userHome)).toHaveLength(1);
      expect(await userCrontab()).toMatch(/\/unreachable\/\.bagtower\/bin\/bagtower' push --cron/);
    } finally {
      await setUserCrontab(USER_CRONTAB);
    }
  });

  // Passes once `push` exits 78 on a 401/403/404/405 (the push-refusal branch of issue 10):
  // before that, push files the record under rejected/, exits 0, and the cron line goes in.
  test("a wrong --api-key against a real bagtower serve (401/403): exit 78, no cron line, the record kept", async () => {
    const serve = await startServeBinary();
    try {
      const userHome = freshHome("wrong key");
      const result = await installIn(userHome, "--server", serve.url, "--api-key", `not-${SERVE_KEY}`, "--device-id", "pi-wrong-key");
      expect(result.stderr).toMatch(/\b40[13]\b/); // serve answers a wrong key with 403 today
      expect(result.stderr).toContain("no cron line was installed");
      expect(result.code).toBe(78);
      expect(await userCrontab()).toBe(USER_CRONTAB);
      expect(spooled(userHome)).toHaveLength(1);
    } finally {
      await serve.stop();
      await setUserCrontab(USER_CRONTAB);
    }
  });
});

describe.skipIf(skipWithoutTestUser)("install.sh: bagtower by name afterwards", () => {
  function freshHome(name: string): string {
    const dir = join(root, name);
    mkdirSync(dir);
    chownSync(dir, testUserIds!.uid, testUserIds!.gid);
    return dir;
  }
  const PATH = "/usr/local/bin:/usr/bin:/bin";
  const installWith = (userHome: string, path: string, ...args: string[]) =>
    runAsTestUser(["sh", "-s", "--", "--no-cron", ...args], { HOME: userHome, PATH: path, BAGTOWER_DOWNLOAD_URL: `http://127.0.0.1:${files.port}/dl` }, readFileSync(join(REPO, "install.sh"), "utf8"));

  test("the installed binary is left out of the page cache, as after a reboot (a freshly written file counts ~5 MiB more RSS per run)", async () => {
    const userHome = freshHome("page cache");
    const result = await installWith(userHome, PATH);
    expect(result.code).toBe(0);
    // No --server: nothing ran the binary after it was installed.
    const resident = Bun.spawnSync(["fincore", "--bytes", "--noheadings", "--output", "RES", join(userHome, ".bagtower", "bin", "bagtower")]);
    expect(resident.exitCode).toBe(0);
    expect(Number(resident.stdout.toString().trim())).toBe(0);
  });

  test("without ~/.local/bin on PATH, it ends with the line that puts ~/.bagtower/bin on PATH, and that line works", async () => {
    const userHome = freshHome("path hint");
    const result = await installWith(userHome, PATH);
    expect(result.code).toBe(0);
    const bin = join(userHome, ".bagtower", "bin");
    expect(result.stderr).toContain(`to run it as bagtower, put ${bin} on your PATH`);
    const line = result.stderr.split("\n").find((l) => l.includes("echo 'export PATH="))!.replace(/^bagtower install: +/, "");
    expect(line).toBe(`echo 'export PATH="${bin}:$PATH"' >> ~/.profile && . ~/.profile`);
    // The suggested line, run in the user's shell, makes `bagtower` a command.
    const run = await runAsTestUser(["sh", "-c", `${line} && bagtower --version`], { HOME: userHome, PATH });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("with ~/.local/bin on PATH, it links bagtower there; --uninstall removes the link, a file of another program is left alone", async () => {
    const userHome = freshHome("local bin");
    const localBin = join(userHome, ".local", "bin");
    await runAsTestUser(["mkdir", "-p", localBin], { HOME: userHome });
    const path = `${localBin}:${PATH}`;
    const result = await installWith(userHome, path);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`linked ${localBin}/bagtower to ${join(userHome, ".bagtower", "bin", "bagtower")}`);
    expect(result.stderr).not.toContain("put ");
    const byName = await runAsTestUser(["bagtower", "--version"], { HOME: userHome, PATH: path });
    expect(byName.code).toBe(0);
    expect((await installWith(userHome, path, "--uninstall")).stderr).toContain(`removed the link ${localBin}/bagtower`);
    expect(existsSync(join(localBin, "bagtower"))).toBe(false);

    await runAsTestUser(["sh", "-c", `echo '#!/bin/sh' > '${localBin}/bagtower'`], { HOME: userHome });
    const other = await installWith(userHome, path);
    expect(other.code).toBe(0);
    expect(other.stderr).toContain(`${localBin}/bagtower is another file: left as it is`);
    expect(other.stderr).toContain("to run it as bagtower, put");
    expect(readFileSync(join(localBin, "bagtower"), "utf8")).toBe("#!/bin/sh\n");
  });
});

describe("install.sh refuses what it cannot install", () => {
  test.each([
    ["api.example/prod", "expected a URL starting with http:// or https://"],
    ["ftp://api.example/prod", "expected a URL starting with http:// or https://"],
    ["https://", "no host name after the scheme"],
    ["https://:8080/prod", "no host name after the scheme"],
    ["http://user@/prod", "no host name after the scheme"],
    ["https://api example/prod", "a URL has no spaces"],
  ])("--server %p is refused before anything is downloaded or written", async (server, message) => {
    const fake = mkdtempSync("/tmp/bagtower-server-");
    try {
      const before = downloads;
      const proc = Bun.spawn(["sh", join(REPO, "install.sh"), "--server", server, "--api-key", "k"], {
        env: { PATH: "/usr/bin:/bin", HOME: fake, BAGTOWER_DOWNLOAD_URL: `http://127.0.0.1:${files.port}/dl` },
        stdout: "ignore",
        stderr: "pipe",
      });
      const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
      expect(code).toBe(1);
      expect(stderr).toBe(`bagtower install: --server ${server}: ${message}${message.startsWith("a URL") ? "" : " (e.g. https://api.example/prod)"}; nothing was installed\n`);
      expect(downloads).toBe(before);
      expect(readdirSync(fake)).toEqual([]);
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });

  test.each(["http://127.0.0.1:8080", "HTTPS://api.example/prod?x=1", "https://user:pass@[::1]:9/prod"])("--server %p is taken as a URL", async (server) => {
    // A fake 32-bit ARM stops the installer at the platform check, the step after the URL check:
    // reaching it means the URL was accepted, and nothing is downloaded either way.
    const fake = mkdtempSync("/tmp/bagtower-server-");
    try {
      writeFileSync(join(fake, "uname"), '#!/bin/sh\ncase "$1" in -s) echo Linux ;; -m) echo armv7l ;; esac\n', { mode: 0o755 });
      const result = Bun.spawnSync(["sh", join(REPO, "install.sh"), "--server", server], { env: { PATH: `${fake}:/usr/bin:/bin`, HOME: fake }, stderr: "pipe" });
      expect(result.stderr.toString()).toContain("32-bit ARM (armv7l) is not supported");
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });

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

  test("an unknown option is a usage error (exit 2) with a hint", () => {
    const result = Bun.spawnSync(["sh", join(REPO, "install.sh"), "--sever", "x"], { env: { PATH: "/usr/bin:/bin", HOME: "/nonexistent" }, stderr: "pipe" });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.toString()).toBe("bagtower install: unknown option --sever (see --help)\n");
  });

  test("--help, piped as from curl, prints every option and exits 0 without touching anything", () => {
    const fake = mkdtempSync("/tmp/bagtower-help-");
    try {
      const before = downloads;
      const result = Bun.spawnSync(["sh", "-s", "--", "--help"], { env: { PATH: "/usr/bin:/bin", HOME: fake }, stdin: readFileSync(join(REPO, "install.sh")), stdout: "pipe", stderr: "pipe" });
      expect(result.exitCode).toBe(0);
      expect(result.stderr.toString()).toBe("");
      const help = result.stdout.toString();
      for (const option of ["--server URL", "--api-key KEY", "--device-id ID", "--format F", "--period P", "--download-token T", "--no-cron", "--from-source", "--uninstall", "--purge", "--help", "BAGTOWER_HOME", "BAGTOWER_DOWNLOAD_URL", "BAGTOWER_DOWNLOAD_TOKEN"]) expect(help).toContain(option);
      expect(downloads).toBe(before);
      expect(readdirSync(fake)).toEqual([]);
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });

  // `curl | sh` runs each command as soon as it has read it: a download cut short must run nothing.
  test.each(["sh", "bash"].filter((shell) => Bun.which(shell)))("a truncated download piped to %s runs nothing", async (shell) => {
    const script = readFileSync(join(REPO, "install.sh"));
    const text = script.toString("latin1");
    // The call is the last command; any cut before its closing brace must leave it unparsed.
    const end = text.lastIndexOf("}");
    const offsets = new Set<number>([1, end - 1, end]);
    for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) offsets.add(i + 1); // each whole line
    for (let i = 7; i < end; i += 97) offsets.add(i); // and mid-line cuts
    for (let i = text.lastIndexOf("\n", end) + 1; i < end; i++) offsets.add(i); // every byte of the last line
    const fake = mkdtempSync("/tmp/bagtower-truncated-");
    const run = (bytes: Uint8Array) =>
      Bun.spawn([shell, "-s", "--", "--server", "http://127.0.0.1:1", "--no-cron"], {
        env: { PATH: "/usr/bin:/bin", HOME: fake, BAGTOWER_DOWNLOAD_URL: `http://127.0.0.1:${files.port}/dl` },
        stdin: bytes,
        stdout: "pipe",
        stderr: "pipe",
      });
    try {
      const before = downloads;
      for (const offset of [...offsets].sort((a, b) => a - b)) {
        const proc = run(script.subarray(0, offset));
        const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
        expect({ offset, created: readdirSync(fake), downloads: downloads - before, stdout, said: stderr.includes("bagtower install:") }).toEqual({ offset, created: [], downloads: 0, stdout: "", said: false });
      }
      expect(text.slice(text.lastIndexOf("\n", end) + 1)).toStartWith("{ main \"$@\"; }");
      // The same harness sees a run: the whole file downloads and installs.
      const whole = run(script);
      const [, stderr, code] = await Promise.all([new Response(whole.stdout).text(), new Response(whole.stderr).text(), whole.exited]);
      expect({ code, stderr }).toMatchObject({ code: 0, stderr: expect.stringContaining("bagtower install: installed") });
      expect(readdirSync(fake)).toEqual([".bagtower"]);
      expect(downloads - before).toBeGreaterThan(0);
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });

  test.skipIf(skipWithout("shellcheck"))("is shellcheck-clean POSIX sh", () => {
    const result = Bun.spawnSync(["shellcheck", "-s", "sh", join(REPO, "install.sh")], { stdout: "pipe" });
    expect(result.stdout.toString()).toBe("");
    expect(result.exitCode).toBe(0);
  });
});
