import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { issuePath, issueText } from "../../src/issue-text.ts";

const schema = v.object({ spool: v.object({ maxSizeKb: v.pipe(v.number("expected a number"), v.minValue(16, "expected a number ≥ 16")) }) });

function _issues(input: unknown) {
  const result = v.safeParse(schema, input);
  if (result.success) throw new Error("expected a failure");
  return result.issues;
}

describe("issueText: one shape for every validation message", () => {
  test("path, what was expected, what came", () => {
    expect(issueText(_issues({ spool: { maxSizeKb: "big" } }), "(top level)")).toBe('spool.maxSizeKb: expected a number, got "big"');
    expect(issueText(_issues({ spool: { maxSizeKb: 8 } }), "(top level)")).toBe("spool.maxSizeKb: expected a number ≥ 16, got 8");
  });

  test("an issue at the top level is named by `where`", () => {
    expect(issueText(v.safeParse(v.number("expected a number"), "x").issues!, "--max")).toBe('--max: expected a number, got "x"');
    expect(issuePath(v.safeParse(v.number(), "x").issues!, "body")).toBe("body");
  });

  test("a long offending value is cut, never quoted whole", () => {
    const text = issueText(v.safeParse(v.number("expected a number"), "a".repeat(10_000)).issues!, "body");
    expect(text.length).toBeLessThan(100);
    expect(text).toStartWith('body: expected a number, got "aaaa');
  });
});
