import { describe, expect, test } from "bun:test";
import { worstExitCode } from "../../src/errors.ts";
import { backoffMs, classifyStatus, isConfigRefusal, MAX_REPLY_BYTES, parseRetryAfter, readCapped, serverMessage } from "../../src/sinks/http.ts";
import { redact, redactUrl, sinkSecrets } from "../../src/redact.ts";
import { parseReply } from "../../src/deliver/flush.ts";
import { ageSlots, allowed, emptySlots, recordSend, windowSum } from "../../src/deliver/ratelimit.ts";
import { spoolFile } from "../../src/deliver/spool.ts";
import { joinUrl, mergeHeaders } from "../../src/sinks/wire.ts";

const slots = (entries: Record<number, number>) => {
  const s = emptySlots();
  for (const [minute, value] of Object.entries(entries)) s[Number(minute)] = value;
  return s;
};

describe("rate limiter: SPEC §6 reference cases (telemetrics-client's)", () => {
  test("records: minute 3, window 15, limit 30, {1:10, 7:10, 10:20, 55:10}, +1 passes (window 49…3 sums 20)", () => {
    const s = slots({ 1: 10, 7: 10, 10: 20, 55: 10 });
    expect(windowSum(s, 3, 15)).toBe(20);
    expect(allowed(s, 3, 15, 30, 1)).toBe(true);
  });
  test("records: minute 24, window 30, limit 30, {3:10, 4:10, 6:10, 27:10}, +1 is refused (31 > 30)", () => {
    expect(allowed(slots({ 3: 10, 4: 10, 6: 10, 27: 10 }), 24, 30, 30, 1)).toBe(false);
  });
  test("bytes: minute 3, window 15, limit 64000, {1:32000, 7:10000, 10:45000, 55:11000}, +20000 passes", () => {
    expect(allowed(slots({ 1: 32000, 7: 10000, 10: 45000, 55: 11000 }), 3, 15, 64000, 20000)).toBe(true);
  });
  test("−1 disables the limiter", () => expect(allowed(slots({ 0: 1e9 }), 0, 60, -1, 1)).toBe(true));
  test("a successful send grows slot m and zeroes the slots outside the window", () => {
    const after = recordSend(slots({ 1: 10, 7: 10, 10: 20, 55: 10 }), 3, 15, 1);
    expect(after[3]).toBe(1);
    expect(after[1]).toBe(10);
    expect(after[55]).toBe(10);
    expect(after[7]).toBe(0);
    expect(after[10]).toBe(0);
  });
  test("ageing: minutes that passed are cleared; an hour or more clears all", () => {
    const s = slots({ 10: 5, 11: 6, 12: 7 });
    expect(ageSlots(s, 100 * 60 + 10, 100 * 60 + 11)[11]).toBe(0);
    expect(ageSlots(s, 100 * 60 + 10, 100 * 60 + 11)[12]).toBe(7);
    expect(ageSlots(s, 0, 60)).toEqual(emptySlots());
    expect(ageSlots(s, undefined, 5)).toEqual(emptySlots());
    expect(ageSlots(s, 70, 70)).toEqual(s);
  });
});

describe("HTTP outcomes", () => {
  const any2xx = (s: number) => s >= 200 && s < 300;
  test.each([
    [200, "accepted"],
    [202, "accepted"],
    [408, "retryable"],
    [429, "retryable"],
    [500, "retryable"],
    [503, "retryable"],
    [400, "rejected"],
    [401, "rejected"],
    [404, "rejected"],
    [413, "rejected"],
  ] as const)("%d is %s", (status, kind) => expect(classifyStatus(status, any2xx)).toBe(kind));
  test("pattoo wants exactly 200: a 201 is refused", () => expect(classifyStatus(201, (s) => s === 200)).toBe("rejected"));
  test("Retry-After in seconds, as a date, or unreadable", () => {
    expect(parseRetryAfter("120", 0)).toBe(120_000);
    expect(parseRetryAfter("Wed, 21 Oct 2026 07:28:00 GMT", Date.parse("Wed, 21 Oct 2026 07:27:00 GMT"))).toBe(60_000);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });
  test("backoff: full jitter under an exponential cap", () => {
    expect(backoffMs(0, 0.999)).toBeLessThan(500);
    expect(backoffMs(3, 0.999)).toBeLessThan(4000);
    expect(backoffMs(20, 0.999)).toBeLessThan(10_000);
    expect(backoffMs(5, 0)).toBe(0);
  });
  test("server messages: JSON error fields or the start of the text", () => {
    expect(serverMessage(400, '{"error":"bad"}')).toBe("HTTP 400: bad");
    expect(serverMessage(500, "")).toBe("HTTP 500");
    expect(serverMessage(502, "<html>\n  gateway\n</html>")).toBe("HTTP 502: <html> gateway </html>");
  });
  test("a receiver's reply: period and batch size, checked", () => {
    expect(parseReply('{"periodSeconds": 300, "batchMax": 500}')).toEqual({ periodSeconds: 300, batchMax: 500 });
    expect(parseReply('{"periodSeconds": -1, "batchMax": "x"}')).toEqual({ periodSeconds: undefined, batchMax: undefined });
    expect(parseReply("OK")).toEqual({});
  });
});

describe("spool file names and URLs", () => {
  test("names sort by creation: zero-padded time, then sequence; the size is in the name", () => {
    const record = { meta: { recordId: "ab/cd+ef_gh-ij", seq: 42 } } as never;
    const file = spoolFile(record, 1795400000123);
    expect(file.name).toBe(`1795400000123-0000000042-abcdef_g-${file.text.length}.json`);
    expect(spoolFile(record, 999).name < spoolFile(record, 1000).name).toBe(true);
  });
  test("joinUrl keeps the base path and adds the query", () => {
    expect(joinUrl("https://api.example/prod/", "/logs")).toBe("https://api.example/prod/logs");
    expect(joinUrl("http://vm:8428", "/write", { db: "bagtower", precision: "s", org: undefined })).toBe("http://vm:8428/write?db=bagtower&precision=s");
  });
});

describe("refusals and exit codes", () => {
  test("401, 403, 404 and 405 mean the configuration is wrong; 400, 413 and 422 mean the record", () => {
    expect([401, 403, 404, 405].every(isConfigRefusal)).toBe(true);
    expect([400, 409, 413, 422, 429, 500].some(isConfigRefusal)).toBe(false);
  });
  test("the worst outcome wins: 78 > 65 > 75 > 0", () => {
    expect(worstExitCode([])).toBe(0);
    expect(worstExitCode([75, 0])).toBe(75);
    expect(worstExitCode([75, 65, 0])).toBe(65);
    expect(worstExitCode([65, 78, 75])).toBe(78);
  });
});

describe("redaction", () => {
  const cases: [string, string][] = [
    ["https://bob:hunter2@api.example/prod", "https://***@api.example/prod"],
    ["https://bob@api.example/prod", "https://***@api.example/prod"],
    ["http://vm:8428/write?db=a&u=me&p=pw", "http://vm:8428/write?db=a&u=me&p=***"],
    ["https://api.example/x?api_key=K&token=T&key=K2&access_token=A&db=keep", "https://api.example/x?api_key=***&token=***&key=***&access_token=***&db=keep"],
    ["https://api.example/x?API-KEY=K&my_secret=S", "https://api.example/x?API-KEY=***&my_secret=***"],
    ["https://api.example/prod/", "https://api.example/prod/"],
    ["not a url", "not a url"],
  ];
  for (const [input, output] of cases) test(`redactUrl ${input}`, () => expect(redactUrl(input)).toBe(output));
  test("redact finds URLs inside a message, and a bare //user:pass@", () => {
    expect(redact("POST http://a:b@h:1/logs?token=x: ECONNREFUSED")).toBe("POST http://***@h:1/logs?token=***: ECONNREFUSED");
    expect(redact('{"url":"https://h/?api_key=zzz"}')).toBe('{"url":"https://h/?api_key=***"}');
    expect(redact("proxy //u:p@host refused")).toBe("proxy //***@host refused");
    expect(redact("HTTP 400: bad record")).toBe("HTTP 400: bad record");
  });
  test("redact masks the sink's own secrets (6 characters or more) wherever a server echoes them", () => {
    expect(redact("HTTP 403: key abcdef123 unknown", ["abcdef123"])).toBe("HTTP 403: key *** unknown");
    expect(redact("HTTP 403: key k unknown", ["k"])).toBe("HTTP 403: key k unknown");
    expect(sinkSecrets({ apiKey: "key-abcdef", headers: { "X-Telemetry-TID": "tid-123456", "Content-Type": "application/json" } })).toEqual(["key-abcdef", "tid-123456"]);
  });
});

describe("headers", () => {
  test("mergeHeaders: a later set replaces a name whatever its case", () => {
    expect(mergeHeaders({ "X-Telemetry-TID": "a", "Content-Type": "x" }, { "X-Telemetry-TID": "key" }, { "x-telemetry-tid": "hdr" })).toEqual({ "Content-Type": "x", "x-telemetry-tid": "hdr" });
    expect(mergeHeaders({ a: "1" }, undefined)).toEqual({ a: "1" });
  });
});

describe("readCapped", () => {
  const never = new Promise<never>(() => {});
  test("stops at the cap and cancels the rest of the stream", async () => {
    let pulled = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(16 * 1024).fill(97));
      },
      cancel() {
        cancelled = true;
      },
    });
    const text = await readCapped(body, MAX_REPLY_BYTES, never);
    expect(text.length).toBe(64 * 1024);
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
  test("a short body is read whole; no body is empty", async () => {
    expect(await readCapped(new Response('{"status":"ok"}').body, MAX_REPLY_BYTES, never)).toBe('{"status":"ok"}');
    expect(await readCapped(null, MAX_REPLY_BYTES, never)).toBe("");
  });
  test("the deadline ends a body that never finishes", async () => {
    const body = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
    let expire!: (error: Error) => void;
    const expired = new Promise<never>((_, reject) => (expire = reject));
    const read = readCapped(body, MAX_REPLY_BYTES, expired);
    expire(new Error("deadline"));
    await expect(read).rejects.toThrow("deadline");
  });
});
