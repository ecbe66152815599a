import type { Tensor as OrtTensor } from 'onnxruntime-node';
import { SecateursError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { withSession, type Session, type ModelSource, type SessionOptions } from './session.js';
import { fillTensor, toOrt } from './tensors.js';

/** Options of {@link benchLatency}. */
export interface BenchOptions {
  /** Batch sizes to time; default [1, 32]. A model with a fixed batch dim accepts only that size. */
  readonly batchSizes?: readonly number[];
  /** Untimed runs before measuring, per batch size; default 10. */
  readonly warmup?: number;
  /** Timed runs per batch size (at least); default 50. */
  readonly runs?: number;
  /** Keep running until this much time was measured too; default 0. */
  readonly minTimeMs?: number;
  /** Intra-op threads of the session created for a model (ignored for a Session); default 1. */
  readonly threads?: number;
  /** Sizes for symbolic dims other than the batch (dim 0 of every input); default 1. */
  readonly dims?: Readonly<Record<string, number>>;
  /** Seed of the random inputs; default 0. */
  readonly seed?: number;
  /** Other session options for a model source. */
  readonly session?: SessionOptions;
}

/** Latency of one batch size, in milliseconds per run. */
export interface LatencyStats {
  readonly batch: number;
  readonly medianMs: number;
  readonly p10Ms: number;
  readonly p90Ms: number;
  readonly meanMs: number;
  readonly runs: number;
  /** `batch / median`, in samples per second. */
  readonly samplesPerSec: number;
}

/**
 * Times `session.run` per batch size with fixed random inputs (seeded normal floats, zero integers), after warm-up,
 * with `process.hrtime.bigint`. Every input's dim 0 is the batch. Outputs are copied by onnxruntime, so they count.
 *
 * @example
 * ```ts
 * const rows = await benchLatency(model, { batchSizes: [1, 32], runs: 100 });
 * rows[0];   // { batch: 1, medianMs: 0.21, p10Ms: 0.2, p90Ms: 0.25, meanMs: 0.22, runs: 100, samplesPerSec: 4761 }
 * ```
 */
export async function benchLatency(model: Session | ModelSource, options: BenchOptions = {}): Promise<LatencyStats[]> {
  const sessionOpts = { ...options.session, ...(options.threads !== undefined ? { threads: options.threads } : {}) };
  const warmup = checkCount('warmup', options.warmup ?? 10, 0);
  const runs = checkCount('runs', options.runs ?? 50, 1);
  return withSession(model, sessionOpts, async (session) => {
    const out: LatencyStats[] = [];
    for (const batch of options.batchSizes ?? [1, 32]) {
      checkCount('batchSizes entry', batch, 1);
      const feeds = benchFeeds(session, batch, options.dims ?? {}, new Rng(options.seed ?? 0));
      for (let i = 0; i < warmup; i++) await session.runRaw(feeds);
      const times = await timeRuns(session, feeds, runs, options.minTimeMs ?? 0);
      out.push(summarize(batch, times));
    }
    return out;
  });
}

function checkCount(name: string, v: number, min: number): number {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`'${name}' must be an integer >= ${min}, got ${v}.`);
  return v;
}

async function timeRuns(session: Session, feeds: Record<string, OrtTensor>, runs: number, minTimeMs: number): Promise<number[]> {
  const times: number[] = [];
  let total = 0;
  while (times.length < runs || total < minTimeMs) {
    const t0 = process.hrtime.bigint();
    await session.runRaw(feeds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    times.push(ms);
    total += ms;
  }
  return times;
}

function benchFeeds(session: Session, batch: number, dims: Readonly<Record<string, number>>, rng: Rng): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = {};
  for (const io of session.inputs) {
    if (!io.dtype) throw new SecateursError('RUNTIME_DTYPE', `input '${io.name}' is not a tensor onnxruntime-node can feed.`);
    const [b0, ...rest] = io.shape;
    if (typeof b0 === 'number' && b0 !== batch) {
      throw new SecateursError('RUNTIME_FIXED_BATCH', `input '${io.name}' has a fixed batch dim ${b0}; cannot time batch ${batch} (use fixDims on a model with a symbolic batch).`);
    }
    const shape = [batch, ...rest.map((d) => (typeof d === 'number' ? d : (d !== null && dims[d]) || 1))];
    feeds[io.name] = toOrt(fillTensor(io.dtype, shape, rng), `input '${io.name}'`);
  }
  return feeds;
}

/**
 * Percentile of sorted values by linear interpolation between closest ranks (`q` in [0, 1]).
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 0.5);   // 2.5
 * ```
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function summarize(batch: number, times: number[]): LatencyStats {
  const s = [...times].sort((a, b) => a - b);
  const median = percentile(s, 0.5);
  return {
    batch,
    medianMs: median,
    p10Ms: percentile(s, 0.1),
    p90Ms: percentile(s, 0.9),
    meanMs: s.reduce((a, b) => a + b, 0) / s.length,
    runs: s.length,
    samplesPerSec: median > 0 ? (batch * 1000) / median : Infinity,
  };
}
