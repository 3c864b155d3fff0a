// Types of series.js for the TypeScript that imports it (the unit tests).
export type Value = number | null | undefined;
export type Columns = [number[], ...Value[][]];
export type Join = (tables: [number[], number[]][]) => Value[][];
export function flatten(value: unknown): Record<string, number> | null;
export interface Band {
  key: number;
  min: number;
  max: number;
}
export function alignSeries(join: Join, keys: string[], points: Record<string, ([number, number] | [number, number, number, number])[]>, periodSeconds: number): { columns: Columns; limit: number; bands: Band[] };
export function withBands(values: Value[], bands: Band[]): Value[];
export function seriesStep(rangeSeconds: number): number;
export function gapLimit(xs: number[], periodSeconds: number): number;
export function appendPoint(columns: Columns, t: number, values: Value[], limit: number): Columns;
export function trimBefore(columns: Columns, from: number): Columns;
export function rateBetween(previous: [number, number], next: [number, number]): number | undefined;
export function orderKeys(keys: string[], itemKeys?: string[]): string[];
export function lastValue(column: Value[] | undefined): number | null;
export function timeWindow(xs: number[], from: number, to: number): [number, number];
