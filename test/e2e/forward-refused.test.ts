// serve --forward to a target that refuses serve's settings (401/403: a wrong key or path on the
// target's side): the records wait in serve's store, one error line says what to fix, and they
// all arrive, in order and once, when the target accepts again. Before, they were skipped for good.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { waitFor } from "../helpers/wait.ts";
import { buildBinary } from "../helpers/binary.ts";
import { SERVE_KEY, startServeBinary } from "../helpers/serve-binary.ts";

let refusing = true;
const received: { deviceId: string; cpu: number }[] = [];
let refusals = 0;
const target = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const body = await request.json();
    if (refusing) {
      refusals++;
      return Response.json({ error: "wrong api key" }, { status: 403 });
    }
    for (const record of Array.isArray(body) ? body : [body]) {
      received.push({ deviceId: record.deviceId, cpu: record.data.find((i: { id: string }) => i.id === "cpu").val });
    }
    return Response.json({ status: "ok" });
  },
});

let serve: Awaited<ReturnType<typeof startServeBinary>>;
beforeAll(async () => {
  await buildBinary();
  serve = await startServeBinary(["--forward", `bagtower=http://127.0.0.1:${target.port}`]);
}, 60_000);
afterAll(async () => {
  await serve?.stop();
  target.stop(true);
});

test("a forward target answering 403 holds the records; they arrive once it accepts", async () => {
  const nowS = Math.floor(Date.now() / 1000);
  for (let i = 0; i < 3; i++) {
    const record = { deviceId: "pi-fwd-refused", unixTimestamp: nowS - 30 + i, data: [{ id: "cpu", type: "percent", val: 10 + i }] };
    const response = await fetch(`${serve.url}/logs`, { method: "POST", body: JSON.stringify(record), headers: { "x-api-key": SERVE_KEY, "Content-Type": "application/json" } });
    expect(response.status).toBe(200);
  }
  await waitFor("a refused forward attempt", async () => refusals > 0 && serve.log().includes("records wait until the target's URL or key is fixed"), 15_000);
  expect(received).toEqual([]);
  refusing = false;
  await waitFor("all three records at the target", async () => received.length >= 3, 15_000);
  expect(received.map((r) => r.cpu)).toEqual([10, 11, 12]);
  // One line for the refusal, however many attempts were refused.
  expect(serve.log().match(/records wait until the target's URL or key is fixed/g)).toHaveLength(1);
}, 60_000);
