/** Deeper values are not compared: the caller serialises them instead. */
const _MAX_DEPTH = 4;

/**
 * True only when `a` and `b` serialise to the same JSON (false may also mean "not sure": the
 * caller then compares their JSON). The store uses it to tell an unchanged text value without
 * serialising it: keys are compared in order, as JSON.stringify writes them.
 */
export function sameJson(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return typeof a !== "object" || a === null;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || depth >= _MAX_DEPTH) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys: string[] = [];
  for (const key in y) keys.push(key);
  let i = 0;
  for (const key in x) {
    if (keys[i++] !== key || !sameJson(x[key], y[key], depth + 1)) return false;
  }
  return i === keys.length;
}
