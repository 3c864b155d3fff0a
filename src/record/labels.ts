import * as v from "valibot";

/** Label names a record may carry (config tags, a device's labels, foreign tags kept by ingest). */
export const LABEL_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export const MAX_LABEL_VALUE_LENGTH = 256;

/** A map of labels; `noun` is what the user calls them where they are written (config `tags`, API `labels`). */
export function labelsSchema(noun: "tag" | "label") {
  return v.record(
    v.pipe(v.string(), v.regex(LABEL_NAME_PATTERN, `expected a ${noun} name of letters, digits, '_', '.', '-'`)),
    v.pipe(v.string("expected a string value"), v.maxLength(MAX_LABEL_VALUE_LENGTH, `expected at most ${MAX_LABEL_VALUE_LENGTH} characters`)),
    `expected an object of string ${noun}s`,
  );
}
