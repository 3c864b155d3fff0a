// The bagtower dashboard: one page, hash routes (#/ the fleet, #/device/<id> one device, #/alerts,
// #/channels, #/checks), data from the read API, live updates from /ws. Native ES modules with no
// build step and nothing fetched from elsewhere: the server embeds them and uPlot, so the
// dashboard works on an offline network.
import { alertsView } from "./alerts.js";
import { channelsView } from "./channels.js";
import { checksView } from "./checks.js";
import { deviceView } from "./device.js";
import { tick } from "./dom.js";
import { fleetView } from "./fleet.js";
import { connectLive } from "./live.js";
import { loadSession } from "./session.js";

const app = document.getElementById("app");
let view = null;

function route() {
  if (view) view.destroy();
  view = null;
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  const match = /^\/device\/(.+)$/.exec(path);
  const alerts = path === "/alerts";
  const page = { "/channels": ["Channels", channelsView], "/checks": ["Checks", checksView] }[path];
  document.getElementById("nav-fleet").classList.toggle("active", !match && !alerts && !page);
  document.getElementById("nav-alerts").classList.toggle("active", alerts);
  for (const name of ["channels", "checks"]) document.getElementById(`nav-${name}`).classList.toggle("active", path === `/${name}`);
  window.scrollTo(0, 0);
  if (page) {
    document.title = `${page[0]} · bagtower`;
    view = page[1](app);
  } else if (match) {
    let id;
    try {
      id = decodeURIComponent(match[1]);
    } catch {
      id = match[1];
    }
    document.title = `${id} · bagtower`;
    view = deviceView(app, id, new URLSearchParams(query));
  } else if (alerts) {
    document.title = "Alerts · bagtower";
    view = alertsView(app);
  } else {
    document.title = "Fleet · bagtower";
    view = fleetView(app);
  }
}

window.addEventListener("hashchange", route);
setInterval(tick, 1000);
await loadSession();
route();
connectLive(
  document.getElementById("live"),
  (msg) => view && view.onEvent(msg),
  () => view && view.refresh(),
);
