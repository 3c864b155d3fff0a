// The alert rule language (docs/ALERTS.md), text → rule and back, pure:
//   CONDITION [for DURATION] [severity info|warning|critical] [where SELECTOR]
//   CONDITION = down | ITEM[.KEY] OP NUMBER       OP = > >= < <= == !=
//   SELECTOR  = device = ID | labels.NAME = VALUE
// The item is what comes before the first dot; the key is the rest, dots and slashes included
// (`filesystems./`, `temperature.cpu-thermal`); `*` is any key of the item.
import { closest } from "../../suggest.ts";
import type { AlertSeverity } from "./transition.ts";

export type CompareOp = ">" | ">=" | "<" | "<=" | "==" | "!=";

export type RuleCondition = { kind: "down" } | { kind: "threshold"; item: string; key: string | null; op: CompareOp; threshold: number };

export type RuleSelector = { kind: "device"; id: string } | { kind: "label"; name: string; value: string };

export interface RuleExpr {
  condition: RuleCondition;
  /** How long the condition must hold before the alert fires (0: at once). */
  forMs: number;
  /** Left out: the rule's default (critical for down, warning otherwise). */
  severity?: AlertSeverity;
  selector?: RuleSelector;
}

export const SEVERITIES: readonly AlertSeverity[] = ["info", "warning", "critical"];

/** The longest expression accepted: a rule is one line, not a document. */
export const MAX_RULE_LENGTH = 300;

/** The longest `for`: a condition held for more than a month is a report, not an alert. */
const _MAX_FOR_MS = 31 * 86_400_000;

const _ITEM = /^[A-Za-z0-9_:-]{1,64}$/;
const _LABEL = /^[A-Za-z0-9_.:-]{1,64}$/;
const _DEVICE = /^[A-Za-z0-9_.:-]{1,128}$/;
const _UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const _EXAMPLE = "e.g. cpu > 80 for 10m";

export class RuleExprError extends Error {
  /** Set when the error is an item near a known one: the caller may know it after all (a device reported it). */
  unknownItem?: string;
}

/** A word up to the next blank (quotes keep blanks in a label value: "living room"). */
function _word(rest: string): { word: string; rest: string } | undefined {
  const quoted = /^"([^"]*)"/.exec(rest);
  if (quoted) return { word: quoted[1]!, rest: rest.slice(quoted[0].length).trimStart() };
  const match = /^\S+/.exec(rest);
  return match ? { word: match[0], rest: rest.slice(match[0].length).trimStart() } : undefined;
}

function _quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function _duration(text: string | undefined): number {
  const match = text === undefined ? null : /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text);
  if (!match) throw new RuleExprError(`for: expected a duration such as 30s, 10m or 1h, got ${_quote(text ?? "nothing")}`);
  const ms = Math.round(Number(match[1]) * _UNITS[match[2] ?? "s"]!);
  if (ms > _MAX_FOR_MS) throw new RuleExprError(`for ${text}: at most 31d`);
  return ms;
}

function _selector(text: string): { selector: RuleSelector; rest: string } {
  const match = /^(device|labels\.([^\s=!]+))\s*==?\s*/.exec(text);
  if (!match) throw new RuleExprError(`where: expected device = ID or labels.NAME = VALUE, got ${_quote(text || "nothing")}`);
  const value = _word(text.slice(match[0].length));
  if (!value || value.word === "") throw new RuleExprError(`where ${match[1]}: expected a value after =`);
  if (match[2] === undefined) {
    if (!_DEVICE.test(value.word)) throw new RuleExprError(`where device: ${_quote(value.word)} is not a device id (letters, digits, '_', '.', ':' or '-')`);
    return { selector: { kind: "device", id: value.word }, rest: value.rest };
  }
  if (!_LABEL.test(match[2])) throw new RuleExprError(`where labels.${match[2]}: not a label name (letters, digits, '_', '.', ':' or '-')`);
  return { selector: { kind: "label", name: match[2], value: value.word }, rest: value.rest };
}

/**
 * The condition's item and key: `knownItems` (the built-in items and those devices reported) turn
 * a near miss into an error with a suggestion; an item far from all of them is taken as it is,
 * since devices may send items of their own that no device has sent yet.
 */
function _target(target: string, knownItems: readonly string[] | undefined): { item: string; key: string | null } {
  const dot = target.indexOf(".");
  const item = dot === -1 ? target : target.slice(0, dot);
  const key = dot === -1 ? null : target.slice(dot + 1);
  if (!_ITEM.test(item)) throw new RuleExprError(`${_quote(item)} is not an item name (letters, digits, '_', ':' or '-'), ${_EXAMPLE}`);
  if (key === "") throw new RuleExprError(`${item}.: expected a key after the dot (or * for any key), e.g. wifi.signal_quality_percent < 30`);
  if (knownItems && !knownItems.includes(item)) {
    const near = closest(item, knownItems);
    if (near) throw Object.assign(new RuleExprError(`unknown item ${_quote(item)}: did you mean ${near}?`), { unknownItem: item });
  }
  return { item, key };
}

/** Parses one rule; a RuleExprError's message is the one line the user reads. */
export function parseRuleExpr(text: string, knownItems?: readonly string[]): RuleExpr {
  if (text.length > MAX_RULE_LENGTH) throw new RuleExprError(`a rule has at most ${MAX_RULE_LENGTH} characters, this one has ${text.length}`);
  let rest = text.trim();
  if (rest === "") throw new RuleExprError(`empty rule: expected a condition, ${_EXAMPLE}`);
  let condition: RuleCondition;
  const down = /^down(?=\s|$)/i.exec(rest);
  if (down) {
    condition = { kind: "down" };
    rest = rest.slice(down[0].length).trimStart();
  } else {
    const target = /^[^\s<>=!]+/.exec(rest)?.[0];
    if (!target) throw new RuleExprError(`expected an item name first, ${_EXAMPLE}`);
    const { item, key } = _target(target, knownItems);
    rest = rest.slice(target.length).trimStart();
    const op = /^(>=|<=|==|!=|>|<|=)/.exec(rest)?.[0];
    if (!op) throw new RuleExprError(`expected an operator (> >= < <= == !=) after ${target}, got ${_quote(rest || "nothing")}`);
    if (op === "=") throw new RuleExprError(`${target} =: compare with == (or >=, <=)`);
    rest = rest.slice(op.length).trimStart();
    const number = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?%?(?=\s|$)/i.exec(rest)?.[0];
    if (!number) throw new RuleExprError(`${target} ${op}: expected a number, got ${_quote(_word(rest)?.word ?? "nothing")}`);
    const threshold = Number(number.replace(/%$/, ""));
    if (!Number.isFinite(threshold)) throw new RuleExprError(`${target} ${op}: ${number} is not a finite number`);
    condition = { kind: "threshold", item, key, op: op as CompareOp, threshold };
    rest = rest.slice(number.length).trimStart();
  }
  const rule: RuleExpr = { condition, forMs: 0 };
  const seen = new Set<string>();
  while (rest !== "") {
    const { word, rest: after } = _word(rest)!;
    const clause = word.toLowerCase();
    if (!["for", "severity", "where"].includes(clause)) {
      throw new RuleExprError(`unexpected ${_quote(word)}: after the condition come for DURATION, severity info|warning|critical and where SELECTOR`);
    }
    if (seen.has(clause)) throw new RuleExprError(`${clause}: given twice`);
    seen.add(clause);
    if (clause === "for") {
      const next = _word(after);
      rule.forMs = _duration(next?.word);
      rest = next?.rest ?? "";
    } else if (clause === "severity") {
      const next = _word(after);
      const severity = next?.word.toLowerCase() as AlertSeverity | undefined;
      if (!severity || !SEVERITIES.includes(severity)) throw new RuleExprError(`severity: expected info, warning or critical, got ${_quote(next?.word ?? "nothing")}`);
      rule.severity = severity;
      rest = next!.rest;
    } else {
      const parsed = _selector(after);
      rule.selector = parsed.selector;
      rest = parsed.rest;
    }
  }
  return rule;
}

/** A duration as the largest unit that writes it whole: 600000 → 10m. */
export function formatDurationMs(ms: number): string {
  for (const unit of ["d", "h", "m", "s"]) if (ms >= _UNITS[unit]! && ms % _UNITS[unit]! === 0) return `${ms / _UNITS[unit]!}${unit}`;
  return `${ms}ms`;
}

const _value = (text: string) => (/^[^\s"]+$/.test(text) ? text : JSON.stringify(text));

/** The condition alone, as people read it: `cpu > 80`, `filesystems./ > 95`, `down`. */
export function formatCondition(condition: RuleCondition): string {
  if (condition.kind === "down") return "down";
  return `${condition.item}${condition.key === null ? "" : `.${condition.key}`} ${condition.op} ${condition.threshold}`;
}

/** The canonical text of a rule: what parseRuleExpr reads back to the same rule. */
export function formatRuleExpr(rule: RuleExpr): string {
  const parts = [formatCondition(rule.condition)];
  if (rule.forMs > 0) parts.push(`for ${formatDurationMs(rule.forMs)}`);
  if (rule.severity) parts.push(`severity ${rule.severity}`);
  if (rule.selector?.kind === "device") parts.push(`where device = ${_value(rule.selector.id)}`);
  else if (rule.selector) parts.push(`where labels.${rule.selector.name} = ${_value(rule.selector.value)}`);
  return parts.join(" ");
}

/** The severity a rule fires with: its own, else critical for down and warning for thresholds. */
export const severityOf = (rule: RuleExpr): AlertSeverity => rule.severity ?? (rule.condition.kind === "down" ? "critical" : "warning");

/** Whether `value OP threshold` holds. */
export function compare(value: number, op: CompareOp, threshold: number): boolean {
  switch (op) {
    case ">":
      return value > threshold;
    case ">=":
      return value >= threshold;
    case "<":
      return value < threshold;
    case "<=":
      return value <= threshold;
    case "==":
      return value === threshold;
    case "!=":
      return value !== threshold;
  }
}
