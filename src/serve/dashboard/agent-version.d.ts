// Types of agent-version.js for the TypeScript that imports it (the unit tests).
export function bagtowerVersion(agent: string | null | undefined): string | undefined;
export function compareVersions(a: string, b: string): -1 | 0 | 1;
export function isOlderAgent(agent: string | null | undefined, receiver: string | null | undefined): boolean;
