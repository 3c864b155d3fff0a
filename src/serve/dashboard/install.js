// "Add a device": the command that installs a device from this receiver, with a field for the
// device id and a copy button, in a dialog (the fleet page's button) or on the empty fleet page.
import { h } from "./dom.js";
import { installCommand } from "./install-command.js";

/** Copies text; the Clipboard API needs a secure context (https, localhost), so over http a selection does. */
async function copyText(text, fallbackNode) {
  if (window.isSecureContext && navigator.clipboard) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(fallbackNode);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  if (!document.execCommand("copy")) throw new Error("the browser would not copy: the command is selected, copy it by hand");
}

/** What the command needs besides the device: where the key is, the read token, the downloads. */
function notes(info) {
  const out = [];
  const host = new URL(info.serverUrl).hostname;
  if (host === "localhost" || host === "[::1]" || host.startsWith("127.")) {
    out.push(h("li", { dataset: { note: "loopback" } }, `${host} is this machine's own address: a device elsewhere reaches the receiver by its network address or name (open the dashboard by it, or start serve with --public-url; serve listens on 127.0.0.1 only unless --host says otherwise).`));
  }
  if (!info.ingestKey) out.push(h("li", { dataset: { note: "key" } }, "KEY is the ingest key: only an admin login shows it here. On the server, ", h("code", {}, "bagtower serve key"), " prints it."));
  if (info.tokenNeeded && !info.tokenIncluded) {
    out.push(h("li", { dataset: { note: "token" } }, "A device on another host needs the read token too: add ", h("code", {}, "?token=<read token>"), " to the URL (", h("code", {}, "bagtower serve key"), " shows it), or start serve with ", h("code", {}, "--public-read"), "."));
  }
  if (!info.downloads.length) out.push(h("li", { class: "error", dataset: { note: "downloads" } }, "This receiver has no agent to hand out (it runs from source): start the built bagtower executable, or give serve --downloads DIR."));
  out.push(h("li", {}, "Run it again on a device to update it in place: config and spool stay. On the device, ", h("code", {}, "bagtower update"), " does the same."));
  return h("ul", { class: "install-notes" }, out);
}

/** The command, kept current as the device id is typed, with its copy button and notes. */
export function installBox(info) {
  const command = h("pre", { class: "install-command", dataset: { testid: "install-command" } });
  const field = h("input", { type: "text", class: "install-device", name: "device-id", placeholder: "optional, e.g. pi-kitchen", spellcheck: "false", autocomplete: "off" });
  const status = h("span", { class: "hint", role: "status" });
  const render = () => {
    command.textContent = installCommand(info, field.value);
    status.textContent = "";
  };
  field.addEventListener("input", render);
  render();
  const copy = h(
    "button",
    {
      type: "button",
      class: "btn small primary",
      onclick: async () => {
        try {
          await copyText(command.textContent, command);
          status.textContent = "Copied";
        } catch (err) {
          status.textContent = err.message;
        }
      },
    },
    "Copy",
  );
  return h(
    "div",
    { class: "install-box" },
    h("label", { class: "install-label" }, "Device id ", field),
    h("div", { class: "install-line" }, command, copy, status),
    notes(info),
  );
}

/** The dialog; `info` is GET /api/install's answer. */
export function openInstallDialog(info) {
  const close = h("button", { type: "button", class: "btn", onclick: () => dialog.close() }, "Close");
  const dialog = h(
    "dialog",
    { class: "install-dialog", "aria-labelledby": "install-title" },
    h("h2", { id: "install-title" }, "Add a device"),
    h("p", {}, "Run this on the device (64-bit Linux, x86-64 or arm64; no root needed). It installs the agent in ~/.bagtower, pushes its first record here and adds a crontab line."),
    installBox(info),
    h("div", { class: "dialog-actions" }, close),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
