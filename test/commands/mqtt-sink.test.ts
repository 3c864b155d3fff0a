// Issue 15 §2: the mqtt sink against a real Mosquitto, read back by mosquitto_sub and checked
// against Home Assistant's discovery schema (test/helpers/home-assistant-schema.ts), with the
// value templates rendered by Jinja2. In-process CLI runs over the pi4 fixture.
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { listSpool } from "../../src/deliver/spool.ts";
import { numericPoints } from "../../src/formats/flatten.ts";
import { freePort } from "../helpers/backends.ts";
import { renderTemplates, sensorConfigProblems } from "../helpers/home-assistant-schema.ts";
import { startBroker, type Broker, type Received } from "../helpers/mqtt-broker.ts";
import { skipWithout } from "../helpers/prereq.ts";
import { pushHome } from "../helpers/push.ts";
import { waitFor } from "../helpers/wait.ts";

const available = !skipWithout("mosquitto", "jinja2");
let broker: Broker | undefined;
let home: ReturnType<typeof pushHome> | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
  home?.cleanup();
  home = undefined;
});

const HTTP = { http: { timeoutMs: 5000, retries: 1, compress: true } };
const mqttHome = (url: string, extra: Record<string, unknown> = {}) => pushHome({ format: "mqtt", url, apiKey: undefined, ...extra }, HTTP);
const DEVICE = "pi.kitchen:4";
const NODE = "pi_kitchen_4";

/** Every retained message under `topic`: a fresh subscriber gets them first, then a live marker says they are all in. */
async function retainedUnder(b: Broker, topic: string): Promise<Received[]> {
  const sub = await b.subscribe("#");
  b.publish("test/marker", "done");
  await waitFor("the marker", () => sub.messages().some((m) => m.topic === "test/marker"));
  return sub.messages().filter((m) => m.retained && (topic === "#" || m.topic.startsWith(topic.replace(/#$/, ""))));
}

const states = (messages: Received[]) => messages.filter((m) => m.topic.endsWith("/state"));
const configs = (messages: Received[]) => messages.filter((m) => m.topic.endsWith("/config"));

describe.skipIf(!available)("mqtt sink with Home Assistant discovery (real mosquitto)", () => {
  test("push: retained discovery configs HA accepts, one QoS 1 state they point at, templates that give the record's values", async () => {
    broker = await startBroker();
    home = mqttHome(`mqtt://127.0.0.1:${broker.port}/bagtower`);
    const live = await broker.subscribe("#");
    expect(await home.run("push", "--device-id", DEVICE)).toBe(0);
    expect(listSpool(home.spool()).length).toBe(0);
    const state = (await waitFor("the state", () => states(live.messages())[0]))!;
    expect(state.topic).toBe(`bagtower/${NODE}/state`);
    expect(state.qos).toBe(1);

    const retained = await retainedUnder(broker, "#");
    // The state is not retained (HA's advice with expire_after); every config is.
    expect(states(retained)).toEqual([]);
    const found = configs(retained);
    expect(found.length).toBeGreaterThan(40);
    const problems = found.flatMap((m) => sensorConfigProblems(m.topic, m.payload).map((p) => `${m.topic}: ${p}`));
    expect(problems).toEqual([]);
    const parsed = found.map((m) => ({ topic: m.topic, config: JSON.parse(m.payload) }));
    expect(new Set(parsed.map((p) => p.config.unique_id)).size).toBe(parsed.length);
    for (const { topic, config } of parsed) {
      expect(topic.startsWith(`homeassistant/sensor/${NODE}/`)).toBe(true);
      expect(config.state_topic).toBe(state.topic);
      expect(config.expire_after).toBe(1200); // twice the default 600 s period
      expect(config.device).toMatchObject({ identifiers: [`bagtower_${NODE}`], name: DEVICE, model: "Raspberry Pi 4 Model B Rev 1.4" });
    }

    // Each template, rendered by Jinja2 over the state, gives the record's value.
    const rendered = renderTemplates(parsed.map((p) => p.config.value_template), state.payload);
    const byName = new Map(parsed.map((p, i) => [p.config.name as string, rendered[i]]));
    expect(byName.get("cpu_frequency")).toBe("1350");
    expect(byName.get("temperature cpu-thermal")).toBe("48.3");
    expect(byName.get("filesystems /")).toBe(String(JSON.parse(state.payload).filesystems_root));
    expect(byName.get("system model")).toBe("Raspberry Pi 4 Model B Rev 1.4");
    expect(byName.get("last_boot")).toBe("2026-03-14T14:32:01.000Z");
    expect(rendered.every((r) => r !== "" && r !== "None")).toBe(true);

    const classOf = (name: string) => parsed.find((p) => p.config.name === name)!.config;
    expect(classOf("temperature cpu-thermal")).toMatchObject({ unit_of_measurement: "°C", device_class: "temperature", state_class: "measurement" });
    expect(classOf("memory_bytes total")).toMatchObject({ unit_of_measurement: "B", device_class: "data_size" });
    expect(classOf("wifi rssi_dbm")).toMatchObject({ unit_of_measurement: "dBm", device_class: "signal_strength" });
    expect(classOf("wifi signal_quality_percent")).toMatchObject({ unit_of_measurement: "%" });
    expect(classOf("wifi signal_quality_percent").device_class).toBeUndefined();
    expect(classOf("network bytes_received")).toMatchObject({ unit_of_measurement: "B", device_class: "data_size", state_class: "total_increasing" });
    expect(classOf("network packets_received")).toMatchObject({ state_class: "total_increasing" });
    expect(classOf("last_boot")).toMatchObject({ device_class: "timestamp" });
    expect(classOf("last_boot").state_class).toBeUndefined();
  }, 30_000);

  test("the next push sends the state only; configs go again when they change (the period) or after a day", async () => {
    broker = await startBroker();
    home = mqttHome(`mqtt://127.0.0.1:${broker.port}/bagtower`);
    const live = await broker.subscribe("#");
    expect(await home.run("push", "--device-id", DEVICE)).toBe(0);
    await waitFor("the first state", () => states(live.messages()).length === 1);
    const first = configs(live.messages()).length;
    expect(first).toBeGreaterThan(40);

    expect(await home.run("push", "--device-id", DEVICE)).toBe(0);
    await waitFor("the second state", () => states(live.messages()).length === 2);
    expect(configs(live.messages()).length).toBe(first);

    // cron now runs every 5 minutes: expire_after becomes 600 and every config goes again.
    writeFileSync(join(home.home, "state", "cron.json"), JSON.stringify({ periodSeconds: 300, everyMinute: false, line: "", installedAtMs: home.clock.now() }));
    expect(await home.run("push", "--device-id", DEVICE)).toBe(0);
    await waitFor("the third state", () => states(live.messages()).length === 3);
    const changed = configs(live.messages()).slice(first);
    expect(changed.length).toBe(first);
    expect(changed.every((m) => JSON.parse(m.payload).expire_after === 600)).toBe(true);

    home.clock.advance(24 * 3600_000);
    expect(await home.run("push", "--device-id", DEVICE)).toBe(0);
    await waitFor("the fourth state", () => states(live.messages()).length === 4);
    expect(configs(live.messages()).length).toBe(3 * first);
  }, 30_000);

  test("wrong password: exit 78 with one line, records stay; fixed: the newest record is delivered once", async () => {
    broker = await startBroker({ users: { ha: "right-password" } });
    home = mqttHome(`mqtt://ha:wrong-password@127.0.0.1:${broker.port}/bagtower`);
    const live = await broker.subscribe("#");
    expect(await home.run("push", "--device-id", DEVICE)).toBe(78);
    expect(await home.run("push", "--device-id", DEVICE)).toBe(78);
    expect(listSpool(home.spool()).length).toBe(2);
    const errors = home.logs.filter((l) => l.startsWith("error: "));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain("sink default:");
    // Mosquitto answers a wrong password with CONNACK 5.
    expect(errors[0]).toContain(`mqtt://***@127.0.0.1:${broker.port}/bagtower answered CONNACK 5 (not authorized): check the user name and password`);
    expect(errors[0]).toContain("1 record(s) stay in the spool");
    expect(errors[1]).toContain("2 record(s) stay in the spool");
    expect(home.logs.join("\n")).not.toContain("wrong-password");

    writeFileSync(join(home.home, "config.json"), JSON.stringify({ ...JSON.parse(await Bun.file(join(home.home, "config.json")).text()), sinks: [{ name: "default", format: "mqtt", url: `mqtt://ha:right-password@127.0.0.1:${broker.port}/bagtower` }] }));
    home.logs.length = 0;
    expect(await home.run("push", "--device-id", DEVICE, "--json")).toBe(0);
    expect(listSpool(home.spool()).length).toBe(0);
    const result = JSON.parse(home.out.at(-1)!);
    expect(result.results[0]).toMatchObject({ sent: 3, superseded: 2, remaining: 0 });
    await waitFor("the state", () => states(live.messages()).length === 1);
    // Nothing else arrives: the marker comes after every message of the push.
    broker.publish("test/marker", "done");
    await waitFor("the marker", () => live.messages().some((m) => m.topic === "test/marker"));
    expect(states(live.messages())).toHaveLength(1);
  }, 30_000);

  test("broker down: exit 75, records stay; the broker up on that port: delivered", async () => {
    const port = await freePort();
    home = mqttHome(`mqtt://127.0.0.1:${port}/bagtower`);
    expect(await home.run("push", "--device-id", DEVICE)).toBe(75);
    expect(listSpool(home.spool()).length).toBe(1);
    expect(home.logs.some((l) => l.startsWith("warn: ") && l.includes(`mqtt 127.0.0.1:${port}: ECONNREFUSED`))).toBe(true);
    broker = await startBroker({ port });
    const live = await broker.subscribe("#");
    expect(await home.run("push", "--device-id", DEVICE)).toBe(0);
    expect(listSpool(home.spool()).length).toBe(0);
    await waitFor("the state", () => states(live.messages()).length === 1);
  }, 30_000);

  test("mqtts://: an untrusted self-signed broker is exit 78 with the caFile hint; with caFile it is delivered", async () => {
    broker = await startBroker({ tls: true });
    home = mqttHome(`mqtts://127.0.0.1:${broker.tlsPort}/bagtower`);
    const live = await broker.subscribe("#");
    expect(await home.run("push", "--device-id", DEVICE)).toBe(78);
    expect(listSpool(home.spool()).length).toBe(1);
    expect(home.logs.find((l) => l.startsWith("error: "))).toContain("caFile");

    writeFileSync(join(home.home, "config.json"), JSON.stringify({ ...JSON.parse(await Bun.file(join(home.home, "config.json")).text()), sinks: [{ name: "default", format: "mqtt", url: `mqtts://127.0.0.1:${broker.tlsPort}/bagtower`, caFile: broker.caFile }] }));
    expect(await home.run("push", "--device-id", DEVICE)).toBe(0);
    expect(listSpool(home.spool()).length).toBe(0);
    await waitFor("the state over TLS", () => states(live.messages()).length === 1);
  }, 30_000);

  test("push --server mqtt://…/prefix (format from the scheme) publishes under that prefix", async () => {
    broker = await startBroker();
    home = mqttHome(`mqtt://127.0.0.1:${broker.port}/unused`);
    const live = await broker.subscribe("#");
    expect(await home.run("push", "--device-id", DEVICE, "--server", `mqtt://127.0.0.1:${broker.port}/home/devices?discovery=ha`)).toBe(0);
    await waitFor("the state", () => states(live.messages()).length === 1);
    expect(states(live.messages())[0]!.topic).toBe(`home/devices/${NODE}/state`);
    expect(configs(live.messages()).every((m) => m.topic.startsWith(`ha/sensor/${NODE}/`))).toBe(true);
  }, 30_000);
});

describe("mqtt sink: hostile addresses", () => {
  for (const url of ["mqtt://127.0.0.1:1883/a/+/b", "mqtt://127.0.0.1:1883/a/%23", "mqtt://127.0.0.1:1883/a#", "mqtt://127.0.0.1:1883/$SYS/x", "mqtt://127.0.0.1:1883/x?discovery=%2B"]) {
    test(`--server ${url}: a usage error before anything is spooled`, async () => {
      home = pushHome({ format: "bagtower", url: "http://127.0.0.1:9/" });
      expect(await home.run("push", "--server", url)).toBe(2);
      expect(home.logs.filter((l) => l.startsWith("error: "))).toHaveLength(1);
      expect(listSpool(home.spool()).length).toBe(0);
    });
  }

  test("config.json: a wildcard prefix, an http URL for format mqtt, an mqtt URL for influx are config errors (78)", async () => {
    for (const [sink, message] of [
      [{ format: "mqtt", url: "mqtt://h/a/#" }, "wildcards"],
      [{ format: "mqtt", url: "http://h/" }, "expected mqtt://"],
      [{ format: "influx", url: "mqtt://h/x" }, "needs an http(s) URL"],
    ] as const) {
      home?.cleanup();
      home = pushHome({ ...sink, apiKey: undefined });
      expect(await home.run("push")).toBe(78);
      expect(home.logs.find((l) => l.startsWith("error: "))).toContain(message);
    }
  });

  test("serve.forward refuses an mqtt target", async () => {
    home = pushHome({ format: "bagtower", url: "http://127.0.0.1:9/" }, { serve: { forward: [{ name: "ha", format: "mqtt", url: "mqtt://h/x" }] } });
    expect(await home.run("push")).toBe(78);
    expect(home.logs.find((l) => l.startsWith("error: "))).toContain("not a forward target");
  });
});

describe("collect --format mqtt", () => {
  test("one `topic payload` line per message: the configs, then the state the templates read", async () => {
    home = pushHome({ format: "bagtower", url: "http://127.0.0.1:9/" });
    expect(await home.run("collect", "--format", "mqtt", "--device-id", DEVICE)).toBe(0);
    const lines = home.out.join("").trimEnd().split("\n");
    const messages = lines.map((line) => ({ topic: line.slice(0, line.indexOf(" ")), payload: line.slice(line.indexOf(" ") + 1) }));
    const state = messages.at(-1)!;
    expect(state.topic).toBe(`bagtower/${NODE}/state`);
    const found = messages.slice(0, -1);
    expect(found.flatMap((m) => sensorConfigProblems(m.topic, m.payload))).toEqual([]);
    expect(found.every((m) => JSON.parse(m.payload).state_topic === state.topic)).toBe(true);
    // Every number of the record has its sensor.
    const record = JSON.parse((await (async () => {
      const t = pushHome({ format: "bagtower", url: "http://127.0.0.1:9/" });
      await t.run("collect", "--device-id", DEVICE);
      t.cleanup();
      return t.out.join("");
    })()));
    expect(Object.values(JSON.parse(state.payload)).filter((v) => typeof v === "number").length).toBe(numericPoints(record).length);
  });
});
