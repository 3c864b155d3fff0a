import * as v from "valibot";

/** The most of the offending value a message quotes: enough to recognise it, never a whole body. */
const _MAX_RECEIVED = 60;

/** Where the first issue is, as a dot path (`spool.maxSizeKb`), or `where` at the top level. */
export function issuePath(issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]], where: string): string {
  return v.getDotPath(issues[0]) ?? where;
}

/**
 * The one shape of every validation message: `path: what was expected, got what came`, for the
 * first issue (the user fixes one thing at a time). `where` names the whole input when the issue
 * is at the top level (`body`, `(top level)`). A command-line value names itself in `where`
 * (`--max lots`), so it leaves out the `got` part (`withReceived` false).
 */
export function issueText(issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]], where: string, withReceived = true): string {
  const issue = issues[0];
  const got = withReceived && issue.received ? `, got ${issue.received.slice(0, _MAX_RECEIVED)}` : "";
  return `${issuePath(issues, where)}: ${issue.message}${got}`;
}
