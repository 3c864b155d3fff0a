// POSIX path joining, as node:path's posix functions do it, for the paths bagtower builds. Loading
// node:path costs every run about a millisecond (it binds each of its functions at load), which is
// a twentieth of a bare Bun start: `collect` runs from cron on devices, so it is written here once.

/**
 * Whether normalize would return the path as it is: no empty, `.` or `..` part. Most paths bagtower
 * builds are a home and a file name; a few string searches spare them the split and the rebuild.
 */
function _normal(path: string): boolean {
  return (
    !path.includes("//") &&
    !path.includes("/./") &&
    !path.includes("/../") &&
    !path.startsWith("./") &&
    !path.startsWith("../") &&
    !path.endsWith("/.") &&
    !path.endsWith("/..") &&
    path !== "." &&
    path !== ".."
  );
}

/** `a/./b/../c` → `a/c`; keeps a leading `/`; `..` above the root of an absolute path is dropped. */
export function normalize(path: string): string {
  if (path === "") return ".";
  if (_normal(path)) return path;
  const absolute = path.startsWith("/");
  const trailing = path.endsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts.at(-1) !== "..") parts.pop();
      else if (!absolute) parts.push("..");
    } else parts.push(part);
  }
  let out = parts.join("/");
  if (out === "") return absolute ? "/" : trailing ? "./" : ".";
  if (trailing) out += "/";
  return absolute ? `/${out}` : out;
}

export function join(...parts: string[]): string {
  const joined = parts.filter((part) => part !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** The absolute path, from the right: the last absolute part wins, the rest is relative to the cwd. */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !path.startsWith("/"); i--) {
    if (parts[i] !== "") path = path === "" ? parts[i]! : `${parts[i]}/${path}`;
  }
  if (!path.startsWith("/")) path = `${process.cwd()}/${path}`;
  const out = normalize(path);
  return out.length > 1 && out.endsWith("/") ? out.slice(0, -1) : out;
}

/** Everything before the last part: trailing slashes are not a part; `a//b` → `a/`, as node:path. */
export function dirname(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  let end = -1;
  let inPart = false;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] !== "/") inPart = true;
    else if (inPart) {
      end = i;
      break;
    }
  }
  if (end === -1) return rooted ? "/" : ".";
  if (rooted && end === 1) return "//";
  return path.slice(0, end);
}

export function basename(path: string, suffix?: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === "/") end--;
  const base = path.slice(path.lastIndexOf("/", end - 1) + 1, end);
  return suffix !== undefined && suffix !== base && base.endsWith(suffix) ? base.slice(0, -suffix.length) : base;
}
