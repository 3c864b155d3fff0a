import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCollectorOutput, runCustomCollectors } from "../../src/collect/custom.ts";
import { listDir } from "../../src/host.ts";
import { tempDir } from "../helpers/context.ts";

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
