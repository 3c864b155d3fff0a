// The alert rules in the database (alert_rules): the defaults, seeded once; the config file's and
// serve --rule's, replaced at every start; and those made through the API, kept until deleted.
import type { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { BUILTIN_IDS } from "../../record/builtin-ids.ts";
import { formatCondition, formatRuleExpr, parseRuleExpr, type RuleExpr } from "./rule-expr.ts";

export type RuleSource = "default" | "config" | "flag" | "api";

export interface StoredRule {
  id: string;
  name: string;
  /** The canonical text (formatRuleExpr). */
  expr: string;
  source: RuleSource;
  createdAt: number;
  updatedAt: number;
}

/** A rule as the config file or the API gives it: its expression, and a name and id if wanted. */
export interface RuleInput {
  expr: string;
  name?: string;
  id?: string;
}

/** The thresholds of the default rules that `serve --alerts cpu=85,…` sets. */
export type DefaultThresholds = Partial<Record<"cpu" | "memory" | "disk" | "wifi", number>>;

export interface RuleSeeds {
  config?: RuleInput[];
  flags?: RuleInput[];
  thresholds?: DefaultThresholds;
}

/** The rules a new database starts with: SPEC §9's thresholds and DOWN, and issue 14's power and storage items. */
export const DEFAULT_RULES: readonly Required<RuleInput>[] = [
  { id: "cpu", name: "cpu", expr: "cpu > 80" },
  { id: "memory", name: "memory", expr: "memory > 90" },
  { id: "disk", name: "disk", expr: "diskusage > 95" },
  { id: "wifi", name: "wifi", expr: "wifi.signal_quality_percent < 30" },
  { id: "down", name: "down", expr: "down" },
  { id: "under-voltage", name: "under-voltage since boot", expr: "power.under_voltage_since_boot >= 1" },
  // The kernel's rpi_volt hwmon poll clears the firmware's since-boot bits: its latched alarm still shows it.
  { id: "under-voltage-alarm", name: "under-voltage alarm", expr: "power.under_voltage_alarm >= 1" },
  { id: "storage-wear", name: "storage wear", expr: "storage_health.* >= 90" },
];

/** At most this many rules: every record is checked against each. */
export const MAX_RULES = 500;

export const RULE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The items a rule's item name is checked against for a did-you-mean: the built-in ones and issue 14's. */
export const KNOWN_ITEMS: readonly string[] = [...BUILTIN_IDS, "power", "storage_health"];

/**
 * Whether some device reported this item: a name near a built-in one (`cpu2`, `memory_swap`) is
 * fine when a device sends it. Asked only for such a near miss, since it reads the items table.
 */
export function reportedItem(db: Database, item: string): boolean {
  return db.query("SELECT 1 FROM items WHERE item = ? LIMIT 1").get(item) !== null;
}

const _row = (r: Record<string, unknown>): StoredRule => ({
  id: r.id as string,
  name: r.name as string,
  expr: r.expr as string,
  source: r.source as RuleSource,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
});

export function listRules(db: Database): StoredRule[] {
  return (db.query("SELECT * FROM alert_rules ORDER BY position, id").all() as Record<string, unknown>[]).map(_row);
}

export function getRule(db: Database, id: string): StoredRule | undefined {
  const row = db.query("SELECT * FROM alert_rules WHERE id = ?").get(id) as Record<string, unknown> | null;
  return row ? _row(row) : undefined;
}

export const countRules = (db: Database): number => (db.query("SELECT count(*) AS n FROM alert_rules").get() as { n: number }).n;

/** A name for a rule given none: its condition (`cpu > 80`). */
export const defaultName = (rule: RuleExpr): string => formatCondition(rule.condition);

export function insertRule(db: Database, rule: { id: string; name: string; expr: string; source: RuleSource }, nowS: number): void {
  const position = (db.query("SELECT coalesce(max(position), 0) + 1 AS p FROM alert_rules").get() as { p: number }).p;
  db.query("INSERT INTO alert_rules (id, name, expr, source, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)").run(rule.id, rule.name, rule.expr, rule.source, position, nowS, nowS);
}

export function updateRule(db: Database, id: string, change: { name?: string; expr?: string }, nowS: number): void {
  const old = getRule(db, id)!;
  db.query("UPDATE alert_rules SET name = ?, expr = ?, updated_at = ? WHERE id = ?").run(change.name ?? old.name, change.expr ?? old.expr, nowS, id);
}

export function deleteRule(db: Database, id: string): boolean {
  return db.query("DELETE FROM alert_rules WHERE id = ?").run(id).changes > 0;
}

/** An id for an API rule given none: rule-1, rule-2, … (never one in use). */
export function nextRuleId(db: Database): string {
  const ids = new Set((db.query("SELECT id FROM alert_rules WHERE id LIKE 'rule-%'").all() as { id: string }[]).map((r) => r.id));
  let n = ids.size + 1;
  while (ids.has(`rule-${n}`)) n++;
  return `rule-${n}`;
}

/**
 * A seeded rule's id, from what it says: the same expression keeps its id (and its open alerts)
 * across restarts and reorderings; a changed one is a new rule.
 */
function _seedId(source: "config" | "flag", input: RuleInput, expr: string): string {
  return input.id ?? `${source}-${createHash("sha256").update(expr).digest("hex").slice(0, 8)}`;
}

function _withThreshold(expr: string, threshold: number): string {
  const rule = parseRuleExpr(expr);
  if (rule.condition.kind !== "threshold") return expr;
  return formatRuleExpr({ ...rule, condition: { ...rule.condition, threshold } });
}

/**
 * At start: the defaults on a new database (once: a default deleted through the API stays
 * deleted), --alerts' thresholds on the defaults still there, and the config's and the flags'
 * rules in place of the last start's. Inputs are parsed already (serve refuses bad ones first).
 */
export function seedRules(db: Database, seeds: RuleSeeds, nowS: number): void {
  db.transaction(() => {
    const seeded = db.query("SELECT value FROM alert_meta WHERE key = 'defaults-seeded'").get();
    if (!seeded) {
      for (const rule of DEFAULT_RULES) if (!getRule(db, rule.id)) insertRule(db, { ...rule, expr: formatRuleExpr(parseRuleExpr(rule.expr)), source: "default" }, nowS);
      db.query("INSERT INTO alert_meta (key, value) VALUES ('defaults-seeded', ?)").run(String(nowS));
    }
    for (const [id, threshold] of Object.entries(seeds.thresholds ?? {})) {
      const rule = getRule(db, id);
      if (rule?.source !== "default" || threshold === undefined) continue;
      const expr = _withThreshold(rule.expr, threshold);
      if (expr !== rule.expr) updateRule(db, id, { expr }, nowS);
    }
    for (const source of ["config", "flag"] as const) {
      const wanted = new Map<string, { name: string; expr: string }>();
      for (const input of (source === "config" ? seeds.config : seeds.flags) ?? []) {
        const parsed = parseRuleExpr(input.expr);
        const expr = formatRuleExpr(parsed);
        wanted.set(_seedId(source, input, expr), { name: input.name ?? defaultName(parsed), expr });
      }
      for (const rule of listRules(db)) if (rule.source === source && !wanted.has(rule.id)) deleteRule(db, rule.id);
      for (const [id, rule] of wanted) {
        const old = getRule(db, id);
        if (!old) insertRule(db, { id, ...rule, source }, nowS);
        else if (old.name !== rule.name || old.expr !== rule.expr || old.source !== source) {
          db.query("UPDATE alert_rules SET name = ?, expr = ?, source = ?, updated_at = ? WHERE id = ?").run(rule.name, rule.expr, source, nowS, id);
        }
      }
    }
  })();
}
