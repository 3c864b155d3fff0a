// The dashboard's static files, imported as text so `bun build --compile` embeds them in the binary:
// the dashboard must work offline, with nothing fetched from a CDN.
import modules from "./embed.js";
import indexHtmlText from "./index.html" with { type: "text" };
import styleCss from "./style.css" with { type: "text" };
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };

// bun-types types every *.html import as an HTMLBundle; with `type: "text"` Bun gives the file's text.
const indexHtml = indexHtmlText as unknown as string;

export interface DashboardAsset {
  body: string;
  type: string;
  cache: string;
}

// The page and its modules are asked for again on every load: a browser that kept some modules of
// the last version would import names the new ones no longer export (or miss new ones), and the
// page would stop with an error until they expired. uPlot and the styles may be a few minutes old:
// that costs looks at worst.
const FRESH = "no-cache";
const KEPT = "max-age=300";

/** Keyed by URL path, as the server serves them. */
export const dashboardAssets: Record<string, DashboardAsset> = {
  "/": { body: indexHtml, type: "text/html; charset=utf-8", cache: FRESH },
  // main.js and the modules it imports: relative imports resolve under /assets/ too.
  ...Object.fromEntries(Object.entries(modules).map(([name, body]) => [`/assets/${name}`, { body, type: "text/javascript; charset=utf-8", cache: FRESH }])),
  "/assets/style.css": { body: styleCss, type: "text/css; charset=utf-8", cache: KEPT },
  "/assets/uplot.js": { body: uplotJs, type: "text/javascript; charset=utf-8", cache: KEPT },
  "/assets/uplot.css": { body: uplotCss, type: "text/css; charset=utf-8", cache: KEPT },
};
