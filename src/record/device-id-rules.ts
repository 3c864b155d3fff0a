import * as v from "valibot";

/** Identifiers a device may carry (SPEC §5); the receiver refuses anything else too. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const DEVICE_ID_RULE = "expected 1–128 letters, digits, '.', '_', '-' or ':'";

export const deviceIdSchema = v.pipe(v.string("expected a string"), v.regex(DEVICE_ID_PATTERN, DEVICE_ID_RULE));

/**
 * A host, target or tag name as a device id, or undefined when nothing usable is left: what the
 * receiver files a foreign record under, and what `serve --push-self` names this machine.
 */
export function toDeviceId(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const id = name.trim().replace(/[^A-Za-z0-9._:-]/g, "-").slice(0, 128);
  return DEVICE_ID_PATTERN.test(id) ? id : undefined;
}
