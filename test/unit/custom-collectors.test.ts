import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { MAX_COLLECTOR_OUTPUT, parseCollectorOutput, runCustomCollectors, unsafeReason } from "../../src/collect/custom.ts";
import { BUILTIN_IDS } from "../../src/record/builtin-ids.ts";
import { runCollect } from "../../src/collect/run.ts";
import { resolveConfig } from "../../src/config/load.ts";
import { listDir } from "../../src/host.ts";
import { MAX_ITEMS_PER_RECORD } from "../../src/record/limits.ts";
import { parseBagtowerBody } from "../../src/serve/ingest/bagtower.ts";
import { DEFAULT_LIMITS } from "../../src/serve/limits.ts";
import { FIXTURES, fixtureStatfs, tempDir, testContext, type TestContext } from "../helpers/context.ts";
import { waitFor } from "../helpers/wait.ts";

const REPO = resolve(import.meta.dir, "../..");

describe("parseCollectorOutput", () => {
  test("one item", () => expect(parseCollectorOutput('{"id":"rpm","type":"number","val":5400}')).toEqual([{ id: "rpm", type: "number", val: 5400 }]));
  test("an array of items", () =>
    expect(parseCollectorOutput('[{"id":"a","type":"celsius","val":{"x":1}},{"id":"b","type":"string","val":"ok"}]')).toEqual([
      { id: "a", type: "celsius", val: { x: 1 } },
      { id: "b", type: "string", val: "ok" },
    ]));
  test("a plain object → number items", () => expect(parseCollectorOutput('{"rpm": 5400, "fan2": 1.5}\n')).toEqual([{ id: "rpm", type: "number", val: 5400 }, { id: "fan2", type: "number", val: 1.5 }]));
  test("empty output", () => expect(() => parseCollectorOutput("")).toThrow("not JSON"));
  test("garbage", () => expect(() => parseCollectorOutput("fan: fast")).toThrow('not JSON: "fan: fast"'));
  test("where the JSON breaks: line and column", () =>
    expect(() => parseCollectorOutput('{"id": "rpm",\n "type": "number", "val": 5,}')).toThrow(`(line 2, column 29: expected a "quoted" field name, found '}' after a comma (JSON allows no trailing comma))`));
  test("truncated JSON", () => expect(() => parseCollectorOutput('{"id":"rpm","type":')).toThrow("not JSON"));
  test("wrong shapes", () => {
    expect(() => parseCollectorOutput('{"id":"rpm","type":"number","val":"fast"}')).toThrow("not an item");
    expect(() => parseCollectorOutput('{"id":"rpm","type":"furlongs","val":1}')).toThrow("not an item");
    expect(() => parseCollectorOutput('{"rpm":"fast"}')).toThrow("not an item");
    expect(() => parseCollectorOutput("42")).toThrow("not an item");
  });
  test("extra fields on an item are refused", () => expect(() => parseCollectorOutput('{"id":"a","type":"number","val":1,"unit":"rpm"}')).toThrow("not an item"));
});

describe("runCustomCollectors", () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  function dir(files: Record<string, { body: string; mode?: number }>) {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const d = join(tmp.dir, "collectors.d");
    mkdirSync(d);
    for (const [name, { body, mode = 0o755 }] of Object.entries(files)) {
      writeFileSync(join(d, name), body);
      chmodSync(join(d, name), mode);
    }
    return d;
  }

  test("good, garbage, hanging, failing and non-executable collectors, run in parallel", async () => {
    const d = dir({
      "10-rpm": { body: '#!/bin/sh\necho \'{"id":"rpm","type":"number","val":5400}\'\n' },
      "20-fans": { body: '#!/bin/sh\necho \'{"fan1": 1200, "fan2": 900}\'\n' },
      "30-garbage": { body: "#!/bin/sh\necho 'hello world'\n" },
      "40-hang": { body: "#!/bin/sh\nsleep 30\n" },
      "50-hang-grandchild": { body: "#!/bin/sh\n(sleep 30; echo late) &\necho '{\"x\": 1}'\nwait\n" },
      "60-fail": { body: "#!/bin/sh\necho 'sensor missing' >&2\nexit 3\n" },
      "70-readme.txt": { body: "not a program", mode: 0o644 },
      ".hidden": { body: "#!/bin/sh\nexit 1\n" },
    });
    const result = await runCustomCollectors(d, listDir(d), 500, { PATH: process.env.PATH });
    expect(result.items).toEqual([
      { id: "rpm", type: "number", val: 5400 },
      { id: "fan1", type: "number", val: 1200 },
      { id: "fan2", type: "number", val: 900 },
    ]);
    const errors = Object.fromEntries(result.errors.map((e) => [e.id, e.message]));
    expect(Object.keys(errors).sort()).toEqual(["collectors.d/30-garbage", "collectors.d/40-hang", "collectors.d/50-hang-grandchild", "collectors.d/60-fail", "collectors.d/70-readme.txt"]);
    expect(errors["collectors.d/30-garbage"]).toContain("not JSON");
    expect(errors["collectors.d/40-hang"]).toBe("no result within 500 ms, killed");
    expect(errors["collectors.d/50-hang-grandchild"]).toBe("no result within 500 ms, killed");
    expect(errors["collectors.d/60-fail"]).toBe("exited with code 3: sensor missing");
    expect(errors["collectors.d/70-readme.txt"]).toContain("not executable");
  });

  test("collectors run in parallel: two that wait for each other both finish", async () => {
    // Each creates its flag file, then waits for the other's: run one after the other, the first would time out.
    const waiter = (mine: string, theirs: string) => ({
      body: `#!/bin/sh\ntouch ${mine}\nwhile [ ! -e ${theirs} ]; do sleep 0.01; done\necho '{"${mine}": 1}'\n`,
    });
    const d = dir({ a: waiter("flag_a", "flag_b"), b: waiter("flag_b", "flag_a") });
    const result = await runCustomCollectors(d, listDir(d), 5000, { PATH: process.env.PATH });
    expect(result).toEqual({ items: [{ id: "flag_a", type: "number", val: 1 }, { id: "flag_b", type: "number", val: 1 }], errors: [] });
  });

  test("a missing directory is no collector and no error", async () => {
    expect(await runCustomCollectors("/nonexistent/collectors.d", listDir("/nonexistent/collectors.d"), 500, {})).toEqual({ items: [], errors: [] });
  });
});

/** Whether a pid is gone: no /proc entry, or a zombie no one has reaped yet (it runs nothing). */
function _gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").startsWith("Z");
  } catch {
    return true;
  }
}


describe("collectors.d cannot hurt the agent", () => {
  let cleanup = () => {};
  const leftovers: number[] = [];
  afterEach(() => {
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone, as it should be
      }
    }
    cleanup();
  });

  function collectorsDir(files: Record<string, string>, mode = 0o755): string {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const d = join(tmp.dir, "collectors.d");
    mkdirSync(d);
    for (const [name, body] of Object.entries(files)) {
      writeFileSync(join(d, name), body);
      chmodSync(join(d, name), mode);
    }
    return d;
  }

  test("100 MB of output: the program is killed at the cap, collect finishes with bounded memory", async () => {
    const d = collectorsDir({ flood: "#!/bin/sh\nhead -c 104857600 /dev/zero | tr '\\0' 'a'\n", "ok": '#!/bin/sh\necho \'{"fine": 1}\'\n' });
    // A separate process, so its peak RSS (VmHWM) is the collect's alone, from the start of the process.
    const script = `import { runCollect } from ${JSON.stringify(join(REPO, "src/collect/run.ts"))};
import { resolveConfig } from ${JSON.stringify(join(REPO, "src/config/load.ts"))};
import { createContext } from ${JSON.stringify(join(REPO, "src/context.ts"))};
const hwm = () => Number(/VmHWM:\\s+(\\d+)/.exec(require("node:fs").readFileSync("/proc/self/status", "utf8"))[1]);
const before = hwm();
const ctx = createContext({ home: ${JSON.stringify(join(d, ".."))} }, { env: { PATH: process.env.PATH } });
const config = resolveConfig({ deviceId: "flood-test", items: { only: ["deviceStatus", "fine"] } }, "test", []);
const record = await runCollect(ctx, config);
process.stdout.write(JSON.stringify({ before, after: hwm(), data: record.data, errors: record.meta.errors }));`;
    const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const result = JSON.parse(out) as { before: number; after: number; data: { id: string }[]; errors: { id: string; message: string }[] };
    expect(result.data.map((i) => i.id)).toEqual(["deviceStatus", "fine"]);
    expect(result.errors).toEqual([{ id: "collectors.d/flood", message: `printed more than ${MAX_COLLECTOR_OUTPUT} bytes, killed` }]);
    console.error(`collect with a 100 MB collector: VmHWM ${result.before} kB at start, ${result.after} kB at the end`);
    // Unbounded reading took 338 MB; the cap holds collect to a few MB over its start.
    expect(result.after).toBeLessThan(150 * 1024);
    expect(result.after - result.before).toBeLessThan(50 * 1024);
  });

  test("a timeout kills the whole process group: no `sleep` child is left behind", async () => {
    const tmp = tempDir();
    const pids = join(tmp.dir, "pids");
    const d = collectorsDir({ hang: `#!/bin/sh\nsleep 300 &\necho $! >> ${pids}\n(sleep 300; echo late) &\necho $! >> ${pids}\necho $$ >> ${pids}\nwait\n` });
    const inner = cleanup;
    cleanup = () => (inner(), tmp.cleanup());
    const result = await runCustomCollectors(d, listDir(d), 500, { PATH: process.env.PATH });
    expect(result).toEqual({ items: [], errors: [{ id: "collectors.d/hang", message: "no result within 500 ms, killed" }] });
    const started = readFileSync(pids, "utf8").trim().split("\n").map(Number);
    expect(started).toHaveLength(3);
    leftovers.push(...started);
    await waitFor(`processes ${started.join(", ")} gone`, () => started.every(_gone));
  });

  test("a program that exits leaves nothing running, and its output counts even if a child kept stdout open", async () => {
    const tmp = tempDir();
    const pids = join(tmp.dir, "pids");
    const d = collectorsDir({ daemon: `#!/bin/sh\nsleep 300 &\necho $! >> ${pids}\necho '{"x": 1}'\n` });
    const inner = cleanup;
    cleanup = () => (inner(), tmp.cleanup());
    const result = await runCustomCollectors(d, listDir(d), 5000, { PATH: process.env.PATH });
    expect(result).toEqual({ items: [{ id: "x", type: "number", val: 1 }], errors: [] });
    const started = readFileSync(pids, "utf8").trim().split("\n").map(Number);
    leftovers.push(...started);
    await waitFor(`process ${started[0]} gone`, () => started.every(_gone));
  });

  describe("more items than a record may hold", () => {
    let t: TestContext;
    afterEach(() => t.cleanup());

    test("the built-ins and --set items are delivered, the extra collectors.d items dropped with one error", async () => {
      t = testContext({ statfs: fixtureStatfs(join(FIXTURES, "pi4")) });
      const d = t.ctx.paths.collectors;
      mkdirSync(d, { mode: 0o700 });
      const many = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`many_${i}`, i]));
      writeFileSync(join(d, "many"), `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(many)}\nEOF\n`, { mode: 0o755 });
      const config = resolveConfig({ deviceId: "busy", collect: { rootfs: join(FIXTURES, "pi4") } }, "test", []);
      const record = await runCollect(t.ctx, config, [{ id: "forced", type: "number", val: 7 }]);
      const ids = record.data.map((i) => i.id);
      const builtins = ids.filter((id) => BUILTIN_IDS.includes(id));
      expect(builtins.length).toBeGreaterThan(10);
      expect(ids).toContain("forced");
      expect(ids).toHaveLength(MAX_ITEMS_PER_RECORD);
      const kept = MAX_ITEMS_PER_RECORD - builtins.length - 1;
      expect(ids.filter((id) => id.startsWith("many_"))).toEqual(Array.from({ length: kept }, (_, i) => `many_${i}`));
      expect(record.meta.errors).toEqual([{ id: "collectors.d", message: `${1500 - kept} items dropped: a record holds at most ${MAX_ITEMS_PER_RECORD} items (the receiver refuses more)` }]);
      // The receiver takes it: before, the whole record was refused (413) on every run.
      expect(parseBagtowerBody(record, { limits: DEFAULT_LIMITS, nowS: record.unixTimestamp })).toHaveLength(1);
      expect(DEFAULT_LIMITS.itemsPerRecord).toBe(MAX_ITEMS_PER_RECORD);
    });
  });

  describe("a collectors.d anyone could change is not run", () => {
    const marker = (d: string) => join(d, "..", "ran");
    const program = (d: string) => `#!/bin/sh\ntouch ${marker(d)}\necho '{"x": 1}'\n`;

    test("a world-writable directory: nothing in it runs, one error", async () => {
      const d = collectorsDir({});
      writeFileSync(join(d, "x"), program(d), { mode: 0o755 });
      chmodSync(d, 0o777);
      const result = await runCustomCollectors(d, listDir(d), 2000, { PATH: process.env.PATH });
      expect(result).toEqual({ items: [], errors: [{ id: "collectors.d", message: `${d} is writable by every user (mode 0777; chmod o-w it): none of its programs ran` }] });
      expect(existsSync(marker(d))).toBe(false);
    });

    test("a world-writable program is refused, the others run", async () => {
      const d = collectorsDir({ good: '#!/bin/sh\necho \'{"good": 1}\'\n' });
      writeFileSync(join(d, "open"), program(d), { mode: 0o755 });
      chmodSync(join(d, "open"), 0o757);
      const result = await runCustomCollectors(d, listDir(d), 2000, { PATH: process.env.PATH });
      expect(result).toEqual({
        items: [{ id: "good", type: "number", val: 1 }],
        errors: [{ id: "collectors.d/open", message: "not run: writable by every user (mode 0757; chmod o-w it)" }],
      });
      expect(existsSync(marker(d))).toBe(false);
    });

    test("a program owned by another user is refused", async () => {
      const d = collectorsDir({});
      writeFileSync(join(d, "foreign"), program(d), { mode: 0o755 });
      const me = process.getuid!();
      // As root, hand the file to another uid; as a user, run as if we were another one.
      if (me === 0) chownSync(join(d, "foreign"), 4242, 4242);
      const as = me === 0 ? 0 : me + 1;
      const owner = me === 0 ? 4242 : me;
      const result = await runCustomCollectors(d, listDir(d), 2000, { PATH: process.env.PATH }, as);
      expect(result).toEqual({ items: [], errors: [{ id: "collectors.d/foreign", message: `not run: owned by uid ${owner}, neither this user (uid ${as}) nor root (chown it)` }] });
      expect(existsSync(marker(d))).toBe(false);
    });

    test.each([
      ["own 0755", { mode: 0o100755, uid: 1000 }, undefined],
      ["root's 0755", { mode: 0o100755, uid: 0 }, undefined],
      ["own group-writable 0775", { mode: 0o100775, uid: 1000 }, undefined],
      ["sticky world-writable dir 1777", { mode: 0o041777, uid: 0 }, "writable by every user (mode 1777; chmod o-w it)"],
      ["own 0757", { mode: 0o100757, uid: 1000 }, "writable by every user (mode 0757; chmod o-w it)"],
      ["another user's 0755", { mode: 0o100755, uid: 1001 }, "owned by uid 1001, neither this user (uid 1000) nor root (chown it)"],
    ])("unsafeReason: %s, as uid 1000", (_, stats, expected) => expect(unsafeReason(stats, 1000)).toBe(expected));
  });
});
