/** One number measured in several rounds: its median and its spread. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Every round's value, in the order measured. */
  readonly rounds: number[];
}

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) return {median: Number.NaN, min: Number.NaN, max: Number.NaN, rounds: []};
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (index: number): number => sorted.at(index) ?? Number.NaN;
  const median = sorted.length % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
  return {median, min: at(0), max: at(-1), rounds: [...values]};
}

/** Relative half-range around the median, e.g. 0.04 for ±4 %: how much to trust a ratio. */
export function relativeSpread(spread: Spread): number {
  return spread.median === 0 ? 0 : (spread.max - spread.min) / 2 / spread.median;
}
