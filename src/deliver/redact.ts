/**
 * Credentials never reach a log line, a state file or `meta.self.lastError`: a sink URL may carry
 * them as `user:pass@` or in its query (`?api_key=`, Influx's `?p=`), and fetch errors, server
 * replies and our own messages repeat the URL.
 */

/** Query parameters that carry a secret (names compared in lower case, `-` read as `_`). */
const _SECRET_PARAMS = /^(p|pw|pwd|pass|passwd|password|key|apikey|api_key|token|access_token|auth|authorization|secret|client_secret|sig|signature|tid|u_p)$/;
const _SECRET_SUFFIX = /(_key|_token|_secret|_password)$/;

export const REDACTED = "***";

function _secretParam(name: string): boolean {
  const lower = name.toLowerCase().replaceAll("-", "_");
  return _SECRET_PARAMS.test(lower) || _SECRET_SUFFIX.test(lower);
}

/** The URL with its user info and secret query values replaced by `***`; text that is no URL is returned as it is. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  let changed = false;
  if (parsed.username || parsed.password) {
    parsed.username = REDACTED;
    parsed.password = "";
    changed = true;
  }
  for (const name of new Set(parsed.searchParams.keys())) {
    if (!_secretParam(name)) continue;
    parsed.searchParams.set(name, REDACTED);
    changed = true;
  }
  // Only a changed URL is re-serialised, so an innocent one keeps its exact spelling.
  return changed ? parsed.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED) : url;
}

const _URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
const _USERINFO = /\/\/[^\s/@"'<>`]+:[^\s/@"'<>`]*@/g;

/**
 * Every URL inside a message redacted (see redactUrl), any `//user:pass@` left over, and each of
 * `secrets` (a sink's key, which a server may echo in its refusal) wherever it appears.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // Short values would mask ordinary words; a real key is longer.
  for (const secret of secrets) if (secret.length >= 6) out = out.replaceAll(secret, REDACTED);
  return out
    .replace(_URL_IN_TEXT, (match) => {
      // `POST https://h/logs: ECONNREFUSED`: punctuation after a URL belongs to the sentence.
      const url = match.replace(/[.,:;!?)\]}]+$/, "");
      return redactUrl(url) + match.slice(url.length);
    })
    .replace(_USERINFO, `//${REDACTED}@`);
}

/** Header names whose values are credentials. */
const _SECRET_HEADERS = /^(authorization|proxy-authorization|x-api-key|dd-api-key|x-telemetry-tid|cookie)$/i;

/** The credentials a sink sends: its key and the values of its credential headers. */
export function sinkSecrets(sink: { apiKey?: string; headers?: Record<string, string> }): string[] {
  const out = sink.apiKey ? [sink.apiKey] : [];
  for (const [name, value] of Object.entries(sink.headers ?? {})) if (_SECRET_HEADERS.test(name)) out.push(value);
  return out;
}
