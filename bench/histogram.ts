/**
 * Latency histogram with logarithmic buckets: 100 per decade from 1 µs to
 * 100 s, so every percentile is within about 2.3 % of the true value.
 *
 * A histogram rather than raw samples because the watch cases record
 * millions of deliveries in several processes, and histograms from different
 * processes merge by adding their counts.
 */
const BUCKETS_PER_DECADE = 100;
const MIN_MS = 0.001;
const DECADES = 8;
const BUCKET_COUNT = BUCKETS_PER_DECADE * DECADES + 1;

/** What crosses a process boundary: plain numbers only. */
export interface HistogramData {
  readonly counts: number[];
  readonly count: number;
  readonly maxMs: number;
}

export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKET_COUNT);
  #count = 0;
  #maxMs = 0;

  static from(data: HistogramData): LatencyHistogram {
    const histogram = new LatencyHistogram();
    histogram.merge(data);
    return histogram;
  }

  get count(): number {
    return this.#count;
  }

  get maxMs(): number {
    return this.#maxMs;
  }

  record(ms: number): void {
    this.#add(bucketOf(ms), 1);
    this.#count++;
    if (ms > this.#maxMs) this.#maxMs = ms;
  }

  merge(data: HistogramData): void {
    for (const [bucket, count] of data.counts.entries()) this.#add(bucket, count);
    this.#count += data.count;
    this.#maxMs = Math.max(this.#maxMs, data.maxMs);
  }

  /** The upper edge of the bucket holding quantile `q` (0..1), never above the max; 0 if empty. */
  quantileMs(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (const [bucket, count] of this.#counts.entries()) {
      seen += count;
      if (seen >= rank) return Math.min(upperEdgeOf(bucket), this.#maxMs);
    }
    return this.#maxMs;
  }

  #add(bucket: number, count: number): void {
    this.#counts[bucket] = (this.#counts[bucket] ?? 0) + count;
  }

  toData(): HistogramData {
    return {counts: Array.from(this.#counts), count: this.#count, maxMs: this.#maxMs};
  }
}

function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  const bucket = Math.ceil(Math.log10(ms / MIN_MS) * BUCKETS_PER_DECADE);
  return Math.min(bucket, BUCKET_COUNT - 1);
}

function upperEdgeOf(bucket: number): number {
  return MIN_MS * 10 ** (bucket / BUCKETS_PER_DECADE);
}
