// The alerts API (docs/ALERTS.md): alerts by state, one alert with its history, and the rules
// (read for everyone who reads; POST, PATCH and DELETE need admin rights, declared in app.ts).
import type { Database } from "bun:sqlite";
import * as v from "valibot";
import { issueText } from "../../issue-text.ts";
import { HttpError } from "../http-errors.ts";
import { LimitError } from "../limits.ts";
import { DEFAULT_PAGE, MAX_PAGE } from "../store.ts";
import type { AlertEngine, AlertQuery } from "./engine.ts";
import { formatRuleExpr, MAX_RULE_LENGTH, parseRuleExpr, RuleExprError, severityOf, type RuleExpr } from "./rule-expr.ts";
import { countRules, defaultName, deleteRule, getRule, insertRule, KNOWN_ITEMS, listRules, MAX_RULES, nextRuleId, reportedItem, RULE_ID_PATTERN, updateRule, type StoredRule } from "./rules.ts";

export interface AlertsApiContext {
  db: Database;
  alerts: AlertEngine;
  now: () => number;
}

const _STATES = ["firing", "pending", "resolved", "open", "all"] as const;

function _limit(text: string | null): number {
  const limit = text === null || text === "" ? DEFAULT_PAGE : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new HttpError(400, `limit: expected a whole number from 1 to ${MAX_PAGE}, got "${(text ?? "").slice(0, 20)}"`);
  return limit;
}

/** GET /api/alerts?state=firing|pending|resolved|open|all&device=&limit=&cursor= (firing by default: the alerts raised now). */
export function listAlerts(api: AlertsApiContext, params: URLSearchParams) {
  const state = (params.get("state") || "firing") as AlertQuery["state"];
  if (!_STATES.includes(state)) throw new HttpError(400, `state: expected ${_STATES.join(", ")}, got "${state.slice(0, 20)}"`);
  const cursor = params.get("cursor");
  if (cursor && !/^\d{1,15}$/.test(cursor)) throw new HttpError(400, `cursor: expected the nextCursor of the previous page, got "${cursor.slice(0, 20)}"`);
  return api.alerts.list({ state, deviceId: params.get("device") ?? undefined, limit: _limit(params.get("limit")), before: cursor ? Number(cursor) : undefined });
}

/** GET /api/alerts/:id: the alert and its history. */
export function getAlert(api: AlertsApiContext, idText: string) {
  const id = /^\d{1,15}$/.test(idText) ? Number(idText) : NaN;
  const found = Number.isSafeInteger(id) ? api.alerts.get(id) : undefined;
  if (!found) throw new HttpError(404, `no alert ${JSON.stringify(idText.slice(0, 40))}`);
  return found;
}

function _ruleView(rule: StoredRule) {
  const parsed = parseRuleExpr(rule.expr);
  return {
    id: rule.id,
    name: rule.name,
    expr: rule.expr,
    severity: severityOf(parsed),
    forSeconds: parsed.forMs / 1000,
    source: rule.source,
    // Rules from the config file and serve --rule are set again at every start: change them there.
    editable: rule.source === "default" || rule.source === "api",
    createdAt: new Date(rule.createdAt * 1000).toISOString(),
    updatedAt: new Date(rule.updatedAt * 1000).toISOString(),
  };
}

export function listRulesApi(api: AlertsApiContext) {
  return { rules: listRules(api.db).map(_ruleView), max: MAX_RULES };
}

const _name = v.pipe(v.string("expected a string"), v.trim(), v.minLength(1, "expected a name"), v.maxLength(100, "expected at most 100 characters"));
const _expr = v.pipe(v.string("expected a rule expression such as cpu > 80 for 10m"), v.maxLength(MAX_RULE_LENGTH, `expected at most ${MAX_RULE_LENGTH} characters`));

const _createSchema = v.strictObject(
  {
    expr: _expr,
    name: v.optional(_name),
    id: v.optional(v.pipe(v.string("expected a string"), v.regex(RULE_ID_PATTERN, "expected 1–64 lower-case letters, digits, '_' or '-', starting with a letter or digit"))),
  },
  "unknown field: a rule has expr, and optionally name and id",
);

const _patchSchema = v.strictObject({ expr: v.optional(_expr), name: v.optional(_name) }, "unknown field: only expr and name can be changed");

function _body<T extends v.GenericSchema>(schema: T, body: unknown): v.InferOutput<T> {
  const result = v.safeParse(schema, body);
  if (!result.success) throw new HttpError(400, issueText(result.issues, "body"));
  return result.output;
}

function _parse(api: AlertsApiContext, text: string): RuleExpr {
  try {
    return parseRuleExpr(text, KNOWN_ITEMS);
  } catch (error) {
    if (!(error instanceof RuleExprError)) throw error;
    if (error.unknownItem !== undefined && reportedItem(api.db, error.unknownItem)) return parseRuleExpr(text);
    throw new HttpError(400, `expr: ${error.message}`);
  }
}

function _editable(api: AlertsApiContext, id: string): StoredRule {
  const rule = getRule(api.db, id);
  if (!rule) throw new HttpError(404, `no rule ${JSON.stringify(id.slice(0, 64))}`);
  if (rule.source === "config" || rule.source === "flag") {
    const where = rule.source === "config" ? "the config file (serve.rules)" : "serve --rule";
    throw new HttpError(409, `rule ${id} comes from ${where} and is set again at every start: change it there`);
  }
  return rule;
}

const _nowS = (api: AlertsApiContext) => Math.floor(api.now() / 1000);

/** POST /api/rules {expr, name?, id?}. */
export function createRule(api: AlertsApiContext, body: unknown) {
  // valibot names a missing key with the unknown-field message; a missing expr deserves its own.
  if (body && typeof body === "object" && !Array.isArray(body) && !("expr" in body)) throw new HttpError(400, "expr: required, a rule expression such as cpu > 80 for 10m");
  const input = _body(_createSchema, body);
  const parsed = _parse(api, input.expr);
  if (countRules(api.db) >= MAX_RULES) throw new LimitError(422, "rules", `there are ${MAX_RULES} rules already, the most a receiver keeps: delete one first`);
  const id = input.id ?? nextRuleId(api.db);
  if (getRule(api.db, id)) throw new HttpError(409, `a rule ${id} exists already: PATCH /api/rules/${id} changes it`);
  insertRule(api.db, { id, name: input.name ?? defaultName(parsed), expr: formatRuleExpr(parsed), source: "api" }, _nowS(api));
  api.alerts.reloadRules();
  return { rule: _ruleView(getRule(api.db, id)!) };
}

/** PATCH /api/rules/:id {expr?, name?}: a changed expression resolves the rule's alerts; they fire again under the new one. */
export function patchRule(api: AlertsApiContext, id: string, body: unknown) {
  _editable(api, id);
  const change = _body(_patchSchema, body);
  const expr = change.expr === undefined ? undefined : formatRuleExpr(_parse(api, change.expr));
  updateRule(api.db, id, { name: change.name, expr }, _nowS(api));
  api.alerts.reloadRules();
  return { rule: _ruleView(getRule(api.db, id)!) };
}

/** DELETE /api/rules/:id: its firing alerts resolve. */
export function removeRule(api: AlertsApiContext, id: string) {
  _editable(api, id);
  deleteRule(api.db, id);
  api.alerts.reloadRules();
  return { deleted: id };
}
