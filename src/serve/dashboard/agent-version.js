// A device's agent (meta.agent, e.g. `bagtower/0.1.0`) against the receiver's own version: the
// fleet page marks the bagtower agents that an update would replace.

/** `bagtower/1.2.3` → `1.2.3`; another agent (datadog, influx, pattoo …) → undefined. */
export function bagtowerVersion(agent) {
  const match = /^bagtower\/(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)$/.exec(agent || "");
  return match ? match[1] : undefined;
}

/** -1, 0 or 1, by major.minor.patch; a pre-release (`1.2.0-rc.1`) sorts before its release. */
export function compareVersions(a, b) {
  const parse = (v) => {
    const [core, pre = ""] = v.split("+")[0].split(/-(.*)/s);
    return { nums: core.split(".").map(Number), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] || 0) - (y.nums[i] || 0);
    if (d) return d < 0 ? -1 : 1;
  }
  if (x.pre === y.pre) return 0;
  if (!x.pre) return 1;
  if (!y.pre) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** Whether a device's agent is a bagtower older than `receiver`. */
export function isOlderAgent(agent, receiver) {
  const version = bagtowerVersion(agent);
  return version !== undefined && Boolean(receiver) && compareVersions(version, receiver) < 0;
}
