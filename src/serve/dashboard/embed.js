// The dashboard's modules as text, keyed by file name, for assets.ts to serve; Bun embeds each
// one in the compiled binary. A plain JS file because TypeScript resolves `./format.js` to
// format.d.ts (the unit tests' types): from assets.ts these imports could not be read as text.
// Not served itself. A new module is one line here.
import agentVersion from "./agent-version.js" with { type: "text" };
import alerts from "./alerts.js" with { type: "text" };
import api from "./api.js" with { type: "text" };
import channels from "./channels.js" with { type: "text" };
import checks from "./checks.js" with { type: "text" };
import coalesce from "./coalesce.js" with { type: "text" };
import containers from "./containers.js" with { type: "text" };
import device from "./device.js" with { type: "text" };
import dom from "./dom.js" with { type: "text" };
import duration from "./duration.js" with { type: "text" };
import fleet from "./fleet.js" with { type: "text" };
import format from "./format.js" with { type: "text" };
import graph from "./graph.js" with { type: "text" };
import health from "./health.js" with { type: "text" };
import install from "./install.js" with { type: "text" };
import installCommand from "./install-command.js" with { type: "text" };
import live from "./live.js" with { type: "text" };
import main from "./main.js" with { type: "text" };
import pager from "./pager.js" with { type: "text" };
import period from "./period.js" with { type: "text" };
import rules from "./rules.js" with { type: "text" };
import series from "./series.js" with { type: "text" };
import session from "./session.js" with { type: "text" };

export default {
  "agent-version.js": agentVersion,
  "alerts.js": alerts,
  "api.js": api,
  "channels.js": channels,
  "checks.js": checks,
  "coalesce.js": coalesce,
  "containers.js": containers,
  "device.js": device,
  "dom.js": dom,
  "duration.js": duration,
  "fleet.js": fleet,
  "format.js": format,
  "graph.js": graph,
  "health.js": health,
  "install.js": install,
  "install-command.js": installCommand,
  "live.js": live,
  "main.js": main,
  "pager.js": pager,
  "period.js": period,
  "rules.js": rules,
  "series.js": series,
  "session.js": session,
};
