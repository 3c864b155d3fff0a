import * as v from "valibot";
import { UsageError } from "./errors.ts";
import { issueText } from "./issue-text.ts";

/**
 * A flag's text through its schema (citty has no number arguments): the value, or a usage error
 * (exit 2) in the one message shape, `--max lots: expected a whole number ≥ 1`.
 */
export function parseFlag<S extends v.GenericSchema<string, unknown>>(schema: S, text: string, flag: string): v.InferOutput<S> {
  const result = v.safeParse(schema, text);
  if (!result.success) throw new UsageError(issueText(result.issues, `${flag} ${text}`, false));
  return result.output;
}

/** Digits only (no sign, exponent or hex), as a safe integer from `min` to `max`. */
export function wholeNumberText(min: number, max = Number.MAX_SAFE_INTEGER, expected = `expected a whole number ≥ ${min}`) {
  return v.pipe(
    v.string(),
    v.regex(/^\d+$/, expected),
    v.transform(Number),
    v.safeInteger(expected),
    v.minValue(min, expected),
    v.maxValue(max, expected),
  );
}
