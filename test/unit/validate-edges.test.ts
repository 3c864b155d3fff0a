// CLI numbers and durations, the server's reply and the state files go through valibot schemas,
// and their failures read like every other validation message.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readCronState, readLastPush } from "../../src/cron/manage.ts";
import { parseReply } from "../../src/deliver/flush.ts";
import { emptySinkState, readSinkState } from "../../src/deliver/sink-state.ts";
import { parseDuration } from "../../src/duration.ts";
import { UsageError } from "../../src/errors.ts";
import { parseFlag, wholeNumberText } from "../../src/flag-value.ts";
import { STATE_FILES } from "../../src/paths.ts";
import { currentSeq, nextSeq } from "../../src/record/identity.ts";
import { parseTelemetrics } from "../../src/serve/ingest/telemetrics.ts";
import { DEFAULT_LIMITS } from "../../src/serve/limits.ts";
import { testContext, type TestContext } from "../helpers/context.ts";

let t: TestContext | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

function _state(name: string, text: string): TestContext {
  t = testContext();
  mkdirSync(t.ctx.paths.state, { recursive: true });
  writeFileSync(join(t.ctx.paths.state, name), text);
  return t;
}

describe("command-line values", () => {
  test("a whole number: digits only, in range, else a usage error naming the flag and the value", () => {
    expect(parseFlag(wholeNumberText(1), "25", "--max")).toBe(25);
    for (const text of ["0", "-1", "1e3", "2.5", "lots", "", "99999999999999999999"]) {
      let error: unknown;
      try {
        parseFlag(wholeNumberText(1), text, "--max");
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(2);
      expect((error as Error).message).toBe(`--max ${text}: expected a whole number ≥ 1`);
    }
    expect(() => parseFlag(wholeNumberText(0, 65535, "expected a port number 0–65535"), "65536", "--port")).toThrow("--port 65536: expected a port number 0–65535");
  });

  test("a duration is a schema too", () => {
    expect(parseDuration("1h", "--retention")).toBe(3_600_000);
    expect(parseDuration("250ms", "--watch")).toBe(250);
    expect(() => parseDuration("soon", "--watch")).toThrow("--watch soon: expected a duration such as 30s, 10m, 1h or 7d");
  });
});

describe("the server's reply", () => {
  test("each hint is taken on its own; anything else in the body sets nothing", () => {
    expect(parseReply('{"periodSeconds": 5, "batchMax": 200}')).toEqual({ batchMax: 200 });
    expect(parseReply('{"periodSeconds": 60.5, "batchMax": 0}')).toEqual({});
    expect(parseReply("[1, 2]")).toEqual({});
    expect(parseReply("null")).toEqual({});
  });
});

describe("state files are checked against their schema", () => {
  test("a damaged sink counter reads as its empty value and the rest is kept", () => {
    const { ctx } = _state(STATE_FILES.sink("a"), JSON.stringify({ delivered: "lots", rejected: 3, lastError: 7, rate: { records: [1, 2], bytes: "x" } }));
    expect(readSinkState(ctx, "a")).toEqual({ ...emptySinkState(), rejected: 3 });
  });

  test("a sink state that is not an object is an empty one", () => {
    const { ctx } = _state(STATE_FILES.sink("a"), "[1]");
    expect(readSinkState(ctx, "a")).toEqual(emptySinkState());
  });

  test("cron.json and last-push.json of the wrong shape read as absent", () => {
    const { ctx } = _state(STATE_FILES.cron, JSON.stringify({ periodSeconds: "600", everyMinute: false, line: "x", installedAtMs: 1 }));
    writeFileSync(join(ctx.paths.state, STATE_FILES.lastPush), JSON.stringify({ atMs: 1, exitCode: 0 }));
    expect(readCronState(ctx)).toBeUndefined();
    expect(readLastPush(ctx)).toBeUndefined();
  });

  test("a sequence number that is not a whole number ≥ 0 starts again at 1", () => {
    const { ctx } = _state(STATE_FILES.seq, "-4.5");
    expect(currentSeq(ctx)).toBe(0);
    expect(nextSeq(ctx)).toBe(1);
    expect(nextSeq(ctx)).toBe(2);
  });
});

describe("telemetrics headers", () => {
  const headers = (change: Record<string, string>) =>
    new Headers({ record_format_version: "4", classification: "a/b/c", severity: "2", machine_id: "m1", creation_timestamp: "1795400000", payload_format_version: "1", ...change });
  const parse = (change: Record<string, string>) => parseTelemetrics(headers(change), "x", { limits: DEFAULT_LIMITS, nowS: 1795400000 });

  test("a bad header is named in the one message shape, in the order they are checked", () => {
    expect(() => parse({ severity: "9" })).toThrow('header severity: expected 1 to 4, got "9"');
    expect(() => parse({ severity: "9", record_format_version: "v4" })).toThrow('header record_format_version: expected a number, got "v4"');
    expect(parse({})[0]!.deviceId).toBe("m1");
  });
});
