// Module types for the dashboard files that assets.ts imports `with { type: "text" }`: to tsc they
// are strings (Bun embeds their text; it does not run or bundle them). `*.html` is not declared
// here: bun-types already declares it as an HTMLBundle (for Bun.serve's HTML imports), and a second
// declaration merges with that one instead of replacing it; assets.ts converts that one import.
declare module "*.css" {
  const text: string;
  export default text;
}

declare module "*/embed.js" {
  /** The dashboard's modules' text by file name. */
  const modules: Record<string, string>;
  export default modules;
}

declare module "uplot/dist/uPlot.iife.min.js" {
  const text: string;
  export default text;
}

declare module "*.sh" {
  /** install.sh's text (src/serve/installer-route.ts serves it). */
  const text: string;
  export default text;
}
