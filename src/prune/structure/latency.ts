/**
 * A latency lookup table: every Conv, Gemm and MatMul with a constant weight timed alone in onnxruntime (those whose
 * input or output channels a group can remove at a few channel counts each, interpolated in between), and the
 * planner's predicted latency of a plan. Fewer MACs is not lower latency on CPU kernels that block channels
 * (ARCHITECTURE.md), so a latency target is planned on measured times, not on MACs.
 *
 * Prediction: `denseMs · Σ_l t_l(kept in, kept out) / Σ_l t_l(dense)`. Layers timed alone miss what the whole model
 * adds — activations, pooling and adds the runtime does not fuse, and weights streamed from memory because the whole
 * model does not stay in cache (resnet18's 44 MB do not fit a 32 MB L3; alone, its layers summed to half its
 * measured time) — and that part is taken to shrink in proportion to the layers' time. Layers no group touches
 * are timed too, at their one size, so their share stays fixed. This module is pure data and arithmetic;
 * `latency-measure.ts` measures and caches tables.
 * @module
 */
import { SecateursError } from '../../errors.js';
import { keptLength, removedCounts } from './macs.js';
import type { DependencyGraph, StructuredPlan } from './types.js';

/** What a table was measured for; a cached table is reused only for the same key. */
export interface LatencyKey {
  /** SHA-256 of the encoded model. */
  readonly model: string;
  readonly threads: number;
  readonly batch: number;
}

/** Where a layer's channels are: a value and an axis. */
export interface ChannelAxis {
  readonly value: string;
  readonly axis: number;
}

/**
 * Times of one layer. `grid`: input and output channels vary independently, `ms[i][j]` at `inPoints[i]`,
 * `outPoints[j]`. `coupled`: grouped/depthwise convs lose whole conv groups, in and out together: `ms[0][j]` at
 * `outPoints[j]` output channels (`inPoints` are the matching input counts).
 */
export interface LayerTiming {
  readonly node: string;
  readonly opType: string;
  readonly kind: 'grid' | 'coupled';
  readonly input: ChannelAxis;
  readonly output: ChannelAxis;
  /** Dense input and output channel counts. */
  readonly inChannels: number;
  readonly outChannels: number;
  /** Ascending channel counts measured, the last one dense. */
  readonly inPoints: readonly number[];
  readonly outPoints: readonly number[];
  /** Milliseconds per run, the empty-run overhead subtracted (at least 0). */
  readonly ms: readonly (readonly number[])[];
}

/** A measured latency table (JSON data). */
export interface LatencyTable {
  readonly format: 'secateurs/latency-table';
  readonly version: 1;
  readonly key: LatencyKey;
  /** Median latency of the whole dense model. */
  readonly denseMs: number;
  /** Median latency of an empty run (one tiny Slice), subtracted from every layer time. */
  readonly overheadMs: number;
  readonly layers: readonly LayerTiming[];
}

/**
 * Piecewise-linear interpolation of `ys` at `xs` (ascending); clamped outside.
 *
 * @example
 * ```ts
 * interpolate([8, 16, 32], [1, 2, 6], 24);   // 4
 * interpolate([8, 16, 32], [1, 2, 6], 4);    // 1 (clamped)
 * ```
 */
export function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  if (xs.length === 0 || xs.length !== ys.length) throw new RangeError(`interpolate: 'xs' and 'ys' must be non-empty and of equal length, got ${xs.length} and ${ys.length}.`);
  if (x <= xs[0]!) return ys[0]!;
  for (let i = 1; i < xs.length; i++) {
    if (x <= xs[i]!) {
      const t = (x - xs[i - 1]!) / (xs[i]! - xs[i - 1]!);
      return ys[i - 1]! + t * (ys[i]! - ys[i - 1]!);
    }
  }
  return ys[ys.length - 1]!;
}

/**
 * A layer's time at `cin` input and `cout` output channels: bilinear on a grid, linear along a coupled layer's
 * output counts.
 *
 * @example
 * ```ts
 * layerMs(timing, timing.inChannels, timing.outChannels);   // the dense time, ms[last][last]
 * ```
 */
export function layerMs(t: LayerTiming, cin: number, cout: number): number {
  if (t.kind === 'coupled') return interpolate(t.outPoints, t.ms[0]!, cout);
  const rows = t.ms.map((row) => interpolate(t.outPoints, row, cout));
  return interpolate(t.inPoints, rows, cin);
}

/** What {@link predictLatency} returns. */
export interface LatencyPrediction {
  readonly ms: number;
  /** Predicted fraction of the dense model's measured latency. */
  readonly fraction: number;
}

/**
 * The predicted latency of `plan` (see the module notes). `dg` must be the dependency graph of the model the table
 * was measured on.
 *
 * @throws SecateursError `PRUNE_LATENCY` when a layer of the table is not in the graph (a table of another model).
 * @example
 * ```ts
 * predictLatency(table, dg, plan).fraction;   // e.g. 0.48
 * ```
 */
export function predictLatency(table: LatencyTable, dg: DependencyGraph, plan: StructuredPlan): LatencyPrediction {
  const removed = removedCounts(dg, plan);
  const kept = (c: ChannelAxis, dense: number): number => keptLength(dense, removed.get(c.value)?.get(c.axis));
  const missing = table.layers.filter((l) => !dg.model.graph.value(l.input.value) || !dg.model.graph.value(l.output.value));
  if (missing.length > 0) {
    throw new SecateursError('PRUNE_LATENCY', `the latency table names layer(s) ${missing.map((l) => `'${l.node}'`).join(', ')} the model does not have; was it measured on another model?`);
  }
  let [sum, dense] = [0, 0];
  for (const l of table.layers) {
    sum += layerMs(l, kept(l.input, l.inChannels), kept(l.output, l.outChannels));
    dense += layerMs(l, l.inChannels, l.outChannels);
  }
  const ms = dense > 0 ? (table.denseMs * sum) / dense : table.denseMs;
  return { ms, fraction: table.denseMs > 0 ? ms / table.denseMs : 1 };
}
