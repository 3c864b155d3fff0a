// GET /install.sh: the project's installer, embedded in the executable, with this receiver's address
// as its server and download URL. The address comes from --public-url, else from the Host header:
// one that same-origin.ts accepts (an IP literal, localhost, a --public-url name), or any name when
// the request presented a token (as everywhere: a rebinding page cannot know it, and whoever holds
// it typed that name), and always a plain host[:port], since the value goes into a script piped to sh.
import installScript from "../../install.sh" with { type: "text" };
import { HttpError } from "./http-errors.ts";
import type { Grant } from "./access.ts";
import { checkHost, type SameOrigin } from "./same-origin.ts";

/** Characters an origin of ours may have: what an IP literal, localhost or a DNS name and a port are made of. */
const _SAFE_HOST = /^[A-Za-z0-9.:[\]-]+$/;
const _SAFE_ORIGIN = /^https?:\/\/[A-Za-z0-9.:[\]-]+$/;

/** This receiver's address as the client should use it: --public-url, else the Host it reached us at. */
export function receiverUrl(request: Request, grant: Grant, publicUrl: URL | undefined, origins: SameOrigin): string {
  if (publicUrl) return publicUrl.origin;
  if (grant.via !== "token") checkHost(request, origins);
  const host = request.headers.get("host")!;
  let origin: string | undefined;
  try {
    origin = new URL(`http://${host}`).origin;
  } catch {
    origin = undefined;
  }
  // The raw header too: URL parsing would quietly drop a `user@` or a `/path` and keep the rest.
  if (!origin || !_SAFE_HOST.test(host) || !_SAFE_ORIGIN.test(origin)) throw new HttpError(400, `Host ${host.slice(0, 100)}: expected host[:port]`);
  return origin;
}

/** One `NAME=""` line of install.sh, set to a value (single-quoted: nothing in it is expanded). */
function _set(script: string, name: string, value: string): string {
  const line = new RegExp(`^${name}=.*$`, "m");
  if (!line.test(script)) throw new Error(`install.sh has no ${name}= line`);
  if (value.includes("'")) throw new Error(`${name}: a quote cannot go into install.sh`);
  return script.replace(line, `${name}='${value}'`);
}

/**
 * The installer pointed at `base`. `downloadToken` is the read token, set when the request proved
 * it may read (its own token, or a session): the downloads then carry it. The ingest key never goes in.
 */
export function installerFor(base: string, downloadToken?: string): string {
  let script = _set(installScript, "DEFAULT_DOWNLOAD_URL", `${base}/download`);
  script = _set(script, "DEFAULT_SERVER", base);
  if (downloadToken) script = _set(script, "DEFAULT_DOWNLOAD_TOKEN", downloadToken);
  return script;
}

export function installerResponse(base: string, downloadToken?: string): Response {
  // no-store: a copy with a token in it must not stay in a cache on the way.
  return new Response(installerFor(base, downloadToken), { headers: { "Content-Type": "text/x-shellscript; charset=utf-8", "Cache-Control": "no-store" } });
}
