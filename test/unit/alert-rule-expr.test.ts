import { describe, expect, test } from "bun:test";
import { compare, formatRuleExpr, parseRuleExpr, RuleExprError, severityOf, type RuleExpr } from "../../src/serve/alerts/rule-expr.ts";

const KNOWN = ["cpu", "memory", "diskusage", "wifi", "temperature", "filesystems", "storage_health", "power"];

describe("alert rule expressions", () => {
  const good: [string, RuleExpr][] = [
    ["cpu > 80", { condition: { kind: "threshold", item: "cpu", key: null, op: ">", threshold: 80 }, forMs: 0 }],
    ["cpu>80", { condition: { kind: "threshold", item: "cpu", key: null, op: ">", threshold: 80 }, forMs: 0 }],
    ["cpu > 80 for 10m", { condition: { kind: "threshold", item: "cpu", key: null, op: ">", threshold: 80 }, forMs: 600_000 }],
    ["  memory >= 90.5%  ", { condition: { kind: "threshold", item: "memory", key: null, op: ">=", threshold: 90.5 }, forMs: 0 }],
    ["temperature.cpu-thermal > 75", { condition: { kind: "threshold", item: "temperature", key: "cpu-thermal", op: ">", threshold: 75 }, forMs: 0 }],
    ["wifi.signal_quality_percent < 30", { condition: { kind: "threshold", item: "wifi", key: "signal_quality_percent", op: "<", threshold: 30 }, forMs: 0 }],
    ["filesystems./ > 95", { condition: { kind: "threshold", item: "filesystems", key: "/", op: ">", threshold: 95 }, forMs: 0 }],
    ["filesystems./boot/firmware > 90", { condition: { kind: "threshold", item: "filesystems", key: "/boot/firmware", op: ">", threshold: 90 }, forMs: 0 }],
    ["storage_health.* >= 90", { condition: { kind: "threshold", item: "storage_health", key: "*", op: ">=", threshold: 90 }, forMs: 0 }],
    ["power.under_voltage_since_boot >= 1", { condition: { kind: "threshold", item: "power", key: "under_voltage_since_boot", op: ">=", threshold: 1 }, forMs: 0 }],
    ["cpu != -1.5e2", { condition: { kind: "threshold", item: "cpu", key: null, op: "!=", threshold: -150 }, forMs: 0 }],
    ["cpu == 0 for 30s", { condition: { kind: "threshold", item: "cpu", key: null, op: "==", threshold: 0 }, forMs: 30_000 }],
    ["down", { condition: { kind: "down" }, forMs: 0 }],
    ["DOWN for 5m severity warning", { condition: { kind: "down" }, forMs: 300_000, severity: "warning" }],
    [
      "cpu > 80 for 10m severity critical where labels.zone = zone-1",
      { condition: { kind: "threshold", item: "cpu", key: null, op: ">", threshold: 80 }, forMs: 600_000, severity: "critical", selector: { kind: "label", name: "zone", value: "zone-1" } },
    ],
    ["down where device=pi-kitchen", { condition: { kind: "down" }, forMs: 0, selector: { kind: "device", id: "pi-kitchen" } }],
    ['cpu > 1 where labels.room = "living room"', { condition: { kind: "threshold", item: "cpu", key: null, op: ">", threshold: 1 }, forMs: 0, selector: { kind: "label", name: "room", value: "living room" } }],
    ["cpu > 1 where labels.zone == a severity info", { condition: { kind: "threshold", item: "cpu", key: null, op: ">", threshold: 1 }, forMs: 0, severity: "info", selector: { kind: "label", name: "zone", value: "a" } }],
    // Far from every known item: an item of the device's own (collectors.d, Influx fields).
    ["pond_level > 3", { condition: { kind: "threshold", item: "pond_level", key: null, op: ">", threshold: 3 }, forMs: 0 }],
  ];
  for (const [text, rule] of good) {
    test(`reads ${JSON.stringify(text)}`, () => {
      expect(parseRuleExpr(text, KNOWN)).toEqual(rule);
      // The canonical text reads back to the same rule.
      expect(parseRuleExpr(formatRuleExpr(rule), KNOWN)).toEqual(rule);
    });
  }

  const bad: [string, string][] = [
    ["", "empty rule: expected a condition, e.g. cpu > 80 for 10m"],
    ["> 80", "expected an item name first, e.g. cpu > 80 for 10m"],
    ["cpu", 'expected an operator (> >= < <= == !=) after cpu, got "nothing"'],
    ["cpu 80", 'expected an operator (> >= < <= == !=) after cpu, got "80"'],
    ["cpu = 80", "cpu =: compare with == (or >=, <=)"],
    ["cpu > eighty", 'cpu >: expected a number, got "eighty"'],
    ["cpu >", 'cpu >: expected a number, got "nothing"'],
    ["cpuu > 80", 'unknown item "cpuu": did you mean cpu?'],
    ["temprature.cpu > 80", 'unknown item "temprature": did you mean temperature?'],
    ["wifi. < 30", "wifi.: expected a key after the dot (or * for any key), e.g. wifi.signal_quality_percent < 30"],
    ["cp/u > 1", "\"cp/u\" is not an item name (letters, digits, '_', ':' or '-'), e.g. cpu > 80 for 10m"],
    ["cpu > 80 for", 'for: expected a duration such as 30s, 10m or 1h, got "nothing"'],
    ["cpu > 80 for ten", 'for: expected a duration such as 30s, 10m or 1h, got "ten"'],
    ["cpu > 80 for 40d", "for 40d: at most 31d"],
    ["cpu > 80 for 1m for 2m", "for: given twice"],
    ["cpu > 80 severity loud", 'severity: expected info, warning or critical, got "loud"'],
    ["cpu > 80 where zone = 1", 'where: expected device = ID or labels.NAME = VALUE, got "zone = 1"'],
    ["cpu > 80 where labels.zone =", "where labels.zone: expected a value after ="],
    ["cpu > 80 please", 'unexpected "please": after the condition come for DURATION, severity info|warning|critical and where SELECTOR'],
    ["down > 1", 'unexpected ">": after the condition come for DURATION, severity info|warning|critical and where SELECTOR'],
    [`cpu > 80 ${"x".repeat(300)}`, "a rule has at most 300 characters, this one has 309"],
  ];
  for (const [text, message] of bad) {
    test(`refuses ${JSON.stringify(text.slice(0, 40))} in one line`, () => {
      let error: unknown;
      try {
        parseRuleExpr(text, KNOWN);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RuleExprError);
      expect((error as Error).message).toBe(message);
      expect((error as Error).message).not.toContain("\n");
    });
  }

  test("canonical text", () => {
    expect(formatRuleExpr(parseRuleExpr("  cpu>80   for 600s  where labels.room=\"living room\" severity CRITICAL"))).toBe('cpu > 80 for 10m severity critical where labels.room = "living room"');
    expect(formatRuleExpr(parseRuleExpr("down for 90s"))).toBe("down for 90s");
    expect(formatRuleExpr(parseRuleExpr("cpu > 1 for 1500ms"))).toBe("cpu > 1 for 1500ms");
  });

  test("default severities: critical for down, warning for thresholds", () => {
    expect(severityOf(parseRuleExpr("down"))).toBe("critical");
    expect(severityOf(parseRuleExpr("cpu > 1"))).toBe("warning");
    expect(severityOf(parseRuleExpr("cpu > 1 severity info"))).toBe("info");
  });

  test("comparisons", () => {
    expect([compare(80, ">", 80), compare(80, ">=", 80), compare(79, "<", 80), compare(80, "<=", 80), compare(1, "==", 1), compare(1, "!=", 1)]).toEqual([false, true, true, true, true, false]);
  });
});
