// A real Mosquitto (Debian's package) on loopback for the mqtt sink's tests: optionally with a
// password file and a TLS listener (a self-signed certificate for 127.0.0.1), on a port the test
// may choose (to start it where a push already found nothing). Subscribers are mosquitto_sub.
import { chmodSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./backends.ts";
import { tempDir } from "./context.ts";
import { mosquittoAvailable, selfSignedCert } from "./mail-broker.ts";
import { drainText, waitFor } from "./wait.ts";

export { mosquittoAvailable };

export interface Received {
  retained: boolean;
  qos: number;
  topic: string;
  payload: string;
}

export interface BrokerOptions {
  port?: number;
  /** user → password; without it anonymous clients are allowed. */
  users?: Record<string, string>;
  /** Also listen with TLS (self-signed for 127.0.0.1) on `tlsPort`. */
  tls?: boolean;
}

export async function startBroker(options: BrokerOptions = {}) {
  const tmp = tempDir("bagtower-mqtt-sink-");
  const port = options.port ?? (await freePort());
  const lines = [`listener ${port} 127.0.0.1`, "persistence false", "log_type all", "log_dest stderr"];
  let tlsPort: number | undefined;
  let pem: string | undefined;
  let caFile: string | undefined;
  if (options.tls) {
    const cert = selfSignedCert(tmp.dir);
    tlsPort = await freePort();
    pem = cert.pem;
    caFile = cert.cert;
    lines.push(`listener ${tlsPort} 127.0.0.1`, `certfile ${cert.cert}`, `keyfile ${cert.key}`);
  }
  const auth = options.users && Object.keys(options.users).length > 0 ? Object.entries(options.users)[0]! : undefined;
  if (options.users) {
    const file = join(tmp.dir, "passwd");
    writeFileSync(file, "");
    for (const [user, password] of Object.entries(options.users)) {
      const made = Bun.spawnSync(["mosquitto_passwd", "-b", file, user, password], { stderr: "pipe" });
      if (made.exitCode !== 0) throw new Error(`mosquitto_passwd: ${made.stderr.toString()}`);
    }
    lines.push(`password_file ${file}`, "allow_anonymous false");
  } else {
    lines.push("allow_anonymous true");
  }
  const conf = join(tmp.dir, "mosquitto.conf");
  writeFileSync(conf, `${lines.join("\n")}\n`);
  // Started as root, mosquitto drops to its own user, which must read the certificate and password file.
  chmodSync(tmp.dir, 0o755);
  for (const name of readdirSync(tmp.dir)) chmodSync(join(tmp.dir, name), 0o644);
  const mosquitto = Bun.which("mosquitto") ?? "/usr/sbin/mosquitto";
  const proc = Bun.spawn([mosquitto, "-c", conf], { stdout: "ignore", stderr: "pipe" });
  const log = drainText(proc.stderr);
  await waitFor(`mosquitto on ${port}`, () => log.match(/running/), 15_000, 20);
  const children: { kill(): void; exited: Promise<number> }[] = [];
  let subscribers = 0;
  const credentials = auth ? ["-u", auth[0], "-P", auth[1]] : [];

  return {
    port,
    tlsPort,
    pem,
    caFile,
    log: () => log.text(),
    /**
     * A mosquitto_sub on `topic`, one message a line as `retain qos topic payload`; resolves once
     * the broker logged the subscription. Retained messages arrive first, flagged 1.
     */
    async subscribe(topic: string) {
      const id = `test-sub-${port}-${++subscribers}`;
      const sub = Bun.spawn(["mosquitto_sub", "-h", "127.0.0.1", "-p", String(port), ...credentials, "-t", topic, "-q", "1", "-i", id, "-F", "%r %q %t %p"], { stdout: "pipe", stderr: "pipe" });
      children.push(sub);
      const out = drainText(sub.stdout);
      await waitFor(`${id} subscribed`, () => log.match(new RegExp(`${id} 1 ${topic.replace(/[^\w/-]/g, "\\$&")}`)), 10_000, 20);
      return {
        messages: (): Received[] =>
          out
            .text()
            .split("\n")
            .filter(Boolean)
            .map((line) => {
              const [retain, qos, topic, ...rest] = line.split(" ");
              return { retained: retain === "1", qos: Number(qos), topic: topic!, payload: rest.join(" ") };
            }),
      };
    },
    /** Publishes a live (not retained) message, for a subscriber to know everything before it has arrived. */
    publish(topic: string, payload: string) {
      const made = Bun.spawnSync(["mosquitto_pub", "-h", "127.0.0.1", "-p", String(port), ...credentials, "-t", topic, "-m", payload, "-q", "1"], { stderr: "pipe" });
      if (made.exitCode !== 0) throw new Error(`mosquitto_pub: ${made.stderr.toString()}`);
    },
    async stop() {
      for (const child of children) child.kill();
      proc.kill();
      await proc.exited;
      tmp.cleanup();
    },
  };
}

export type Broker = Awaited<ReturnType<typeof startBroker>>;
