// The one line that installs a device from this receiver (GET /api/install gives its parts). Pure,
// so the unit tests check its quoting; install.js puts it on the page.

/** A word for sh: as is when it has nothing sh would expand or split, else in single quotes. */
export function shellWord(text) {
  if (/^[A-Za-z0-9_.,:/=@%+-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** The ingest key stands here when the viewer may not see it (not an admin). */
export const KEY_PLACEHOLDER = "KEY";

/**
 * `curl -fsSL 'URL/install.sh[?token=…]' | sh -s -- --api-key KEY [--device-id ID]`: the URL always
 * quoted (its `?` is a glob character), the device id only when one is given (else the agent makes one).
 */
export function installCommand(info, deviceId = "") {
  const parts = [`curl -fsSL '${info.installUrl.replace(/'/g, "'\\''")}'`, "|", "sh -s --", "--api-key", info.ingestKey ? shellWord(info.ingestKey) : KEY_PLACEHOLDER];
  const id = deviceId.trim();
  if (id) parts.push("--device-id", shellWord(id));
  return parts.join(" ");
}
