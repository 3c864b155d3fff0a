// Types of format.js for the TypeScript that imports it (the unit tests).
export type Formatter = (value: number) => string;
export function toMs(time: number | string): number;
export function relTime(time: number | string | null | undefined, nowMs?: number): string;
export function absTime(time: number | string | null | undefined): string;
export function round(value: number, digits: number): number;
export function formatBytes(value: number): string;
export function formatSeconds(value: number): string;
export function formatCompact(value: number): string;
export function valueFormatter(type: string, rate: boolean, key: string): Formatter;
export function axisFormatter(type: string, rate: boolean): Formatter;
export function unitLabel(type: string): string;
export function headline(value: unknown): number | undefined;
export function keyUnit(type: string, key: string): string;
export function unitAxes(type: string, rate: boolean, keys: string[]): { scaleOf: string[]; axes: { scale: string; unit: string; label: string; format: Formatter }[] };
