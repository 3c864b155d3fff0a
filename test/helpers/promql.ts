// The metric names a PromQL expression selects, for checks that a dashboard names real series.

/** `bagtower_*` metric names in an expression: not inside strings or label matchers, not followed by `(` (a function), not in by()/on() lists. */
export function promqlMetricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const withoutMatchers = withoutStrings.replace(/\{[^}]*\}/g, "{}").replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  return [...withoutMatchers.matchAll(/\b(bagtower_[a-z0-9_]+)\b(?!\s*\()/g)].map((m) => m[1]!);
}
