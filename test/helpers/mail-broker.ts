// A real SMTP server (Debian's python3-aiosmtpd, writing a Maildir) and a real MQTT broker (Debian's
// mosquitto) on free loopback ports, for the notification channels' tests. Installs nothing: scripts/test-deps.sh
// installs the packages.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./backends.ts";
import { DEBIAN_PYTHON3 } from "./prereq.ts";
import { tempDir } from "./context.ts";
import { drainText, waitFor } from "./wait.ts";

const _MOSQUITTO = existsSync("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";

export function smtpAvailable(): boolean {
  return Bun.spawnSync([DEBIAN_PYTHON3, "-c", "import aiosmtpd"]).exitCode === 0;
}

export function mosquittoAvailable(): boolean {
  return existsSync(_MOSQUITTO) && Bun.which("mosquitto_sub") !== null;
}

/** Whether the port takes TCP connections yet. */
async function _listening(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

export interface Mail {
  headers: Record<string, string>;
  body: string;
}

/** A raw RFC 5322 mail → lower-cased headers (unfolded) and the body, decoded when base64. */
export function parseMail(raw: string): Mail {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const headers: Record<string, string> = {};
  for (const line of head!.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = rest.join("\n\n");
  if (headers["content-transfer-encoding"] === "base64") body = Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  const subject = headers.subject?.replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_, b64: string) => Buffer.from(b64, "base64").toString("utf8"));
  if (subject !== undefined) headers.subject = subject;
  return { headers, body: body.replace(/\r\n/g, "\n") };
}

/** A self-signed certificate for 127.0.0.1 (openssl), for the TLS servers. */
export function selfSignedCert(dir: string): { cert: string; key: string; pem: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const made = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stderr: "pipe" });
  if (made.exitCode !== 0) throw new Error(`openssl: ${made.stderr.toString()}`);
  return { cert, key, pem: readFileSync(cert, "utf8") };
}

/**
 * aiosmtpd on a free port: plain, `starttls` (it offers STARTTLS and requires it before MAIL), or
 * `smtps` (TLS from the first byte); `pem` is the certificate to trust.
 */
export async function startSmtpServer(tls: "none" | "starttls" | "smtps" = "none", login?: { user: string; password: string }) {
  const tmp = tempDir("bagtower-smtp-");
  const maildir = join(tmp.dir, "maildir");
  const port = await freePort();
  const cert = tls === "none" && !login ? undefined : selfSignedCert(tmp.dir);
  const tlsArgs = !cert ? [] : tls === "starttls" ? ["--tlscert", cert.cert, "--tlskey", cert.key] : ["--smtpscert", cert.cert, "--smtpskey", cert.key];
  // With a login: STARTTLS and AUTH required, through a small script (aiosmtpd's command line has no authenticator).
  const cmd = login
    ? [DEBIAN_PYTHON3, join(import.meta.dir, "smtp-auth-server.py"), String(port), maildir, cert!.cert, cert!.key, login.user, login.password]
    : [DEBIAN_PYTHON3, "-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, ...tlsArgs, "-c", "aiosmtpd.handlers.Mailbox", maildir];
  const proc = Bun.spawn(cmd, { stdout: "ignore", stderr: "pipe" });
  const stderr = drainText(proc.stderr);
  await waitFor(`aiosmtpd on ${port} (${stderr.text()})`, () => _listening(port), 15_000, 50);
  const mails = (): Mail[] => {
    const dir = join(maildir, "new");
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .sort()
      .map((name) => parseMail(readFileSync(join(dir, name), "utf8")));
  };
  return {
    port,
    pem: cert?.pem,
    mails,
    async stop() {
      proc.kill();
      await proc.exited;
      tmp.cleanup();
    },
  };
}

export async function startMosquitto(options: { anonymous?: boolean } = {}) {
  const tmp = tempDir("bagtower-mqtt-");
  const port = await freePort();
  const conf = join(tmp.dir, "mosquitto.conf");
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous ${options.anonymous ?? true}\npersistence false\nlog_type all\nlog_dest stderr\n`);
  const proc = Bun.spawn([_MOSQUITTO, "-c", conf], { stdout: "ignore", stderr: "pipe" });
  const stderr = drainText(proc.stderr);
  await waitFor(`mosquitto on ${port}`, () => stderr.match(/running/), 15_000, 20);
  const subscribers: { kill(): void; exited: Promise<number> }[] = [];
  return {
    port,
    /** A mosquitto_sub on `topic` (one message a line); resolves once it is subscribed. */
    async subscribe(topic: string) {
      const sub = Bun.spawn(["mosquitto_sub", "-h", "127.0.0.1", "-p", String(port), "-t", topic, "-q", "1", "-i", `test-sub-${port}`], { stdout: "pipe", stderr: "ignore" });
      subscribers.push(sub);
      const out = drainText(sub.stdout);
      // With log_type all, mosquitto logs "<client id> <qos> <topic>" once the subscription holds.
      await waitFor("mosquitto_sub subscribed", () => stderr.match(new RegExp(`test-sub-${port} 1 ${topic.replace(/[^\w/-]/g, "\\$&")}`)), 10_000, 20);
      return { lines: () => out.text().split("\n").filter(Boolean) };
    },
    async stop() {
      for (const sub of subscribers) sub.kill();
      proc.kill();
      await proc.exited;
      tmp.cleanup();
    },
  };
}
