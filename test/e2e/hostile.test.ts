// Every ingest API fed a generated corpus of malformed and hostile inputs (≥ 1,000 cases): only
// 4xx answers, the server alive, stored data unchanged (SPEC §12).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { sampleRecord } from "../helpers/record.ts";
import { INGEST_KEY, startTestServe } from "../helpers/serve.ts";
import { mulberry32 } from "../helpers/prng.ts";

const FULL = process.env.BAGTOWER_TORTURE === "full";
let serve: ReturnType<typeof startTestServe>;
beforeAll(async () => {
  // No limit on failed authentications either: the corpus's keyless cases must not hide the others behind 429.
  serve = startTestServe({ requestsPerMinute: 0 }, { authFailuresPerMinute: 0 });
  // The corpus's timestamps (up to 1795400100) must not be ahead of the receiver's clock.
  serve.clock.set(Date.UTC(2026, 10, 23, 12, 0, 0));
  expect((await serve.post("/logs", JSON.stringify(sampleRecord("keeper", 1795400000)))).status).toBe(200);
});
afterAll(() => serve.stop());


const NASTY_VALUES: unknown[] = [null, true, -1, 4102444800, 1e308, -0, "", "x".repeat(5000), "\u0000", "\ud800", [], {}, [[[]]], { a: { b: { c: {} } } }, "NaN", 1.5, 2 ** 63, "<script>", "../../etc/passwd", "'; DROP TABLE records; --"];

function mutate(base: unknown, random: () => number): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const clone = structuredClone(base) as Record<string, unknown>;
  const paths: (string | number)[][] = [];
  const walk = (node: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) walk(v, [...path, Array.isArray(node) ? Number(k) : k]);
  };
  walk(clone, []);
  const path = pick(paths.slice(1));
  let parent: any = clone;
  for (const key of path.slice(0, -1)) parent = parent[key];
  const last = path.at(-1)!;
  const action = random();
  if (action < 0.6) parent[last] = pick(NASTY_VALUES);
  else if (action < 0.8) delete parent[last];
  else parent[`${String(last)}_extra`] = pick(NASTY_VALUES);
  return clone;
}

interface Case {
  name: string;
  path: string;
  body: string | Uint8Array;
  headers: Record<string, string>;
}

function corpus(size: number): Case[] {
  const random = mulberry32(20261122);
  const cases: Case[] = [];
  const record = sampleRecord("fuzz", 1795400100);
  const pattoo = { pattoo_agent_timestamp: 1, pattoo_agent_id: "a", pattoo_agent_polling_interval: 1, pattoo_datapoints: { key_value_pairs: { "0": ["pattoo_key", "k"], "1": ["pattoo_data_type", 99], "2": ["pattoo_value", 1] }, datapoint_pairs: [[0, 1, 2]] } };
  const series = { series: [{ metric: "m", points: [[1, 2]], type: "gauge", host: "h", tags: ["a:b"] }] };
  const apis: { name: string; path: string; headers: Record<string, string>; base: unknown; text?: (r: () => number) => string }[] = [
    { name: "bagtower", path: "/logs", headers: { "x-api-key": INGEST_KEY }, base: record },
    { name: "pattoo", path: "/pattoo/api/v1/agent/receive/a", headers: { "x-api-key": INGEST_KEY }, base: pattoo },
    { name: "datadog", path: "/api/v1/series", headers: { "DD-API-KEY": INGEST_KEY }, base: series },
    {
      name: "influx",
      path: "/write?precision=s",
      headers: { Authorization: `Token ${INGEST_KEY}` },
      base: null,
      text: (r) => {
        const chars = [",", "=", " ", "\\", '"', "i", "u", "\n", "x", "1", "-", "é", "\u0000", "t"];
        let line = "m,host=h v=1 1";
        for (let i = 0; i < 3; i++) {
          const at = Math.floor(r() * line.length);
          line = line.slice(0, at) + chars[Math.floor(r() * chars.length)] + line.slice(at + (r() < 0.5 ? 1 : 0));
        }
        return line.includes("\n") || line === "m,host=h v=1 1" ? `${line}\nbad line` : line;
      },
    },
    { name: "telemetrics", path: "/v2/collector", headers: { "x-api-key": INGEST_KEY, record_format_version: "4", classification: "a/b/c", severity: "9", machine_id: "m", creation_timestamp: "1", payload_format_version: "1" }, base: null, text: (r) => "x".repeat(Math.floor(r() * 100)) },
  ];
  for (let i = 0; cases.length < size; i++) {
    const api = apis[i % apis.length]!;
    const kind = Math.floor(random() * 6);
    let body: string | Uint8Array;
    let headers = { ...api.headers };
    if (api.text) body = api.text(random);
    else if (kind === 0) body = JSON.stringify(api.base).slice(0, Math.floor(random() * JSON.stringify(api.base).length)); // truncated
    else if (kind === 1) body = new Uint8Array(Array.from({ length: 64 }, () => Math.floor(random() * 256))); // binary garbage
    else if (kind === 2) {
      body = new Uint8Array(gzipSync("not json at all " + "{".repeat(100)));
      headers["Content-Encoding"] = "gzip";
    } else if (kind === 3) body = `${"[".repeat(10_000 + Math.floor(random() * 10_000))}`; // deep nesting
    else body = JSON.stringify(mutate(api.base, random));
    if (random() < 0.05) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/key|authorization/i.test(k))); // no key
    cases.push({ name: `${api.name}#${i}`, path: api.path, body, headers });
  }
  return cases;
}

test(`${FULL ? 10_000 : 1_000} hostile inputs: only 4xx, the server alive, stored data unchanged`, async () => {
  const before = await (await serve.get("/api/devices")).json();
  const beforeRecords = (await (await serve.get("/healthz")).json()).records;
  const cases = corpus(FULL ? 10_000 : 1_000);
  const statuses: Record<number, number> = {};
  const unexpected: string[] = [];
  for (const c of cases) {
    const res = await fetch(`${serve.url}${c.path}`, { method: "POST", body: c.body, headers: c.headers });
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    await res.arrayBuffer();
    // A mutation can leave a valid record (e.g. an extra optional field removed): 2xx is then right,
    // but it must never be 5xx.
    if (res.status >= 500) unexpected.push(`${c.name}: ${res.status} ${typeof c.body === "string" ? c.body.slice(0, 200) : "(binary)"}`);
  }
  console.log(`torture | hostile inputs | cases=${cases.length} ${Object.entries(statuses).map(([s, n]) => `${s}=${n}`).join(" ")}`);
  expect(unexpected).toEqual([]);
  expect((await serve.get("/healthz")).status).toBe(200);
  // Whatever was accepted as valid belongs to the fuzz devices; the keeper is untouched.
  const after = await (await serve.get("/api/devices")).json();
  const keeper = (d: { devices: { id: string }[] }) => d.devices.find((x) => x.id === "keeper");
  expect(keeper(before)).toBeDefined();
  expect(keeper(after)).toEqual(keeper(before));
  const accepted = Object.entries(statuses).filter(([s]) => Number(s) < 300).reduce((n, [, k]) => n + k, 0);
  expect((await (await serve.get("/healthz")).json()).records).toBeLessThanOrEqual(beforeRecords + accepted);
  expect(serve.logs.filter((l) => l.startsWith("error:"))).toEqual([]);
}, 120_000);
