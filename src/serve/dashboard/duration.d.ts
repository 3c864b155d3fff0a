// Types of duration.js for the TypeScript that imports it (the unit tests).
export function parseDuration(text: string): number | null;
export function formatPeriod(seconds: number): string;
