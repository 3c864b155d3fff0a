// Issue 15 §2 through the compiled binary: `push --server mqtt://…` reaches a real Mosquitto (the
// TLS and socket code of a `bun build --compile` executable), and a wrong password is exit 78 with
// the record kept.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, runBinary } from "../helpers/binary.ts";
import { FIXTURES, tempDir } from "../helpers/context.ts";
import { startBroker, type Broker } from "../helpers/mqtt-broker.ts";
import { skipWithout } from "../helpers/prereq.ts";
import { waitFor } from "../helpers/wait.ts";

describe.skipIf(skipWithout("mosquitto"))("mqtt sink, compiled binary", () => {
  let broker: Broker;
  const home = tempDir("bagtower-mqtt-e2e-");
  beforeAll(async () => {
    await buildBinary();
    broker = await startBroker({ users: { ha: "s3cret-pass" }, tls: true });
    writeFileSync(join(home.dir, "config.json"), JSON.stringify({ collect: { rootfs: join(FIXTURES, "pi4") } }));
  }, 180_000);
  afterAll(async () => {
    await broker.stop();
    home.cleanup();
  });
  const spooled = () => readdirSync(join(home.dir, "spool")).flatMap((d) => readdirSync(join(home.dir, "spool", d)).filter((f) => f.endsWith(".json") && f !== "queue.json"));

  test("wrong password: 78, kept; right password over mqtts:// with the CA: 0, the state arrives", async () => {
    const url = (password: string) => `mqtts://ha:${password}@127.0.0.1:${broker.tlsPort}/bagtower`;
    writeFileSync(join(home.dir, "config.json"), JSON.stringify({ collect: { rootfs: join(FIXTURES, "pi4") }, sinks: [{ name: "ha", format: "mqtt", url: url("wrong"), caFile: broker.caFile }] }));
    const refused = await runBinary(["push", "--home", home.dir, "--device-id", "pi-e2e"]);
    expect(refused.code).toBe(78);
    expect(refused.stderr).toContain("CONNACK 5 (not authorized)");
    expect(refused.stderr).not.toContain("wrong");
    expect(spooled()).toHaveLength(1);

    const live = await broker.subscribe("bagtower/#");
    writeFileSync(join(home.dir, "config.json"), JSON.stringify({ collect: { rootfs: join(FIXTURES, "pi4") }, sinks: [{ name: "ha", format: "mqtt", url: url("s3cret-pass"), caFile: broker.caFile }] }));
    const delivered = await runBinary(["push", "--home", home.dir, "--device-id", "pi-e2e"]);
    expect(delivered.code).toBe(0);
    expect(spooled()).toHaveLength(0);
    const state = await waitFor("the state", () => live.messages().find((m) => m.topic === "bagtower/pi-e2e/state"));
    expect(JSON.parse(state.payload).system_model).toBe("Raspberry Pi 4 Model B Rev 1.4");
  }, 60_000);

  test("--server with a wildcard prefix: exit 2, one line", async () => {
    const result = await runBinary(["push", "--home", home.dir, "--server", `mqtt://127.0.0.1:${broker.port}/a/#`]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("wildcards");
  });
});
