import { SecateursError, throwAll } from '../errors.js';
import { cloneModel } from '../ir/clone.js';
import type { DataType } from '../ir/dtype.js';
import type { Model, Value } from '../ir/graph.js';
import { Rng } from '../util/rng.js';
import { batchFeeds, effectiveBatch, resolveLayout, sampleCount, type SampleSource } from './batching.js';
import { resolveProgress, type Progress } from './progress.js';
import { createSession, dimParams, fixDims, withSession, type SessionOptions } from './session.js';
import { fillTensor, floatData, fromOrt, type Feeds } from './tensors.js';

/** Where a captured batch sits in the dataset: rows `[start, start + size)`. */
export interface CaptureBatch {
  readonly start: number;
  readonly size: number;
}

/** Options of {@link captureActivations}. */
export interface CaptureOptions {
  /** Called once per value per batch. `data` is fresh (safe to keep); may return a promise, which is awaited. */
  readonly onBatch: (name: string, data: Float32Array, dims: readonly number[], batch: CaptureBatch) => void | Promise<void>;
  /** Samples per run; default 256 (a fixed model batch dim wins; padded rows are cut off before `onBatch`). */
  readonly batchSize?: number;
  /** Use only the first `limit` samples. */
  readonly limit?: number;
  /** Input fed with the samples; default the model's only input. */
  readonly inputName?: string;
  /** `true` for progress on stderr, or a Progress to drive. */
  readonly progress?: boolean | Progress;
  readonly session?: SessionOptions;
}

/**
 * Streams intermediate values of `model` over a dataset: a copy of the model (the caller's is untouched) gets the
 * chosen values as its only graph outputs, runs batch by batch, and hands each batch's values to `onBatch`; nothing
 * is accumulated. Values whose dim 0 is the batch are cut to the real rows of a padded batch; other values (e.g. ones
 * computed from weights only) are passed whole.
 *
 * @returns the number of samples run.
 * @throws SecateursError `RUNTIME_UNKNOWN_VALUE` listing every name the graph lacks; `RUNTIME_DTYPE` for non-float values.
 * @example
 * ```ts
 * const sums = new Map<string, number>();
 * await captureActivations(model, ds, ['conv1_out'], {
 *   limit: 512,
 *   onBatch: (name, data) => sums.set(name, (sums.get(name) ?? 0) + data.reduce((a, b) => a + b, 0)),
 * });
 * ```
 */
export async function captureActivations(
  model: Model, dataset: SampleSource, valueNames: readonly string[], options: CaptureOptions,
): Promise<{ readonly count: number }> {
  const names = [...new Set(valueNames)];
  const exposed = exposeValues(model, names);
  return withSession(exposed, options.session ?? {}, async (session) => {
    const layout = resolveLayout(session, options.inputName, dataset);
    const count = sampleCount(dataset.count, options.limit);
    const progress = resolveProgress('capture', options.progress);
    try {
      for (const b of batchFeeds(dataset.x, count, layout, effectiveBatch(layout, options.batchSize ?? 256))) {
        const res = await session.runRaw({ [layout.name]: b.feed }, names);
        for (const name of names) {
          const t = fromOrt(res[name]!, `value '${name}'`);
          const data = floatData(t, `value '${name}'`);
          const fed = b.feed.dims[0]!;
          const batched = t.dims[0] === fed && fed !== b.size;
          const dims = batched ? [b.size, ...t.dims.slice(1)] : t.dims;
          await options.onBatch(name, batched ? data.subarray(0, (data.length / fed) * b.size) : data, dims, { start: b.start, size: b.size });
        }
        progress.update(b.start + b.size, count);
      }
    } finally {
      progress.finish();
    }
    return { count };
  });
}

/**
 * A copy of `model` whose graph outputs are exactly `names` (in that order). Values without a known dtype are exposed
 * by name only; onnxruntime infers their type (measured: a name-only output ValueInfo loads, an elem_type of 0 does not).
 *
 * @throws SecateursError `RUNTIME_UNKNOWN_VALUE` listing every missing name.
 * @example
 * ```ts
 * const m = exposeValues(model, ['relu1_out', 'logits']);
 * m.graph.outputs.map((v) => v.name);   // ['relu1_out', 'logits']
 * ```
 */
export function exposeValues(model: Model, names: readonly string[]): Model {
  const copy = cloneModel(model);
  const g = copy.graph;
  throwAll('RUNTIME_UNKNOWN_VALUE', `graph '${g.name}'`, names.filter((n) => !g.value(n)).map((n) => `no value named '${n}'`));
  if (names.length === 0) throw new RangeError('captureActivations: valueNames must name at least one value.');
  g.outputs.splice(0, g.outputs.length, ...names.map((n) => g.requireValue(n)));
  return copy;
}

/** Element type and concrete dims of one value, as observed in a run. */
export interface ProbedShape {
  readonly dtype: DataType;
  readonly dims: readonly number[];
}

/** Options of {@link probeShapes}. */
export interface ProbeOptions {
  /** Inputs to run with; default: batch-1 filler inputs (seeded normal floats, zero integers). */
  readonly feeds?: Feeds;
  /**
   * Sizes for dim_params. Without `feeds`, every dim_param not given here is fixed to 1 (unknown dims too); with
   * `feeds`, only these are fixed and the rest stay symbolic, sized by the feeds.
   */
  readonly freeDims?: Readonly<Record<string, number>>;
  /** Default: 1 thread, optimization `disabled` (the graph runs as written; loads fastest). */
  readonly session?: SessionOptions;
  /** Seed of the filler inputs; default 0. */
  readonly seed?: number;
}

/**
 * Runs the model once with every node output of the main graph exposed as a graph output and returns each value's
 * dtype and concrete dims (graph inputs included, from the feeds). Types need not be known beforehand: outputs are
 * exposed by name and onnxruntime infers them. Sequence- or map-typed values are not supported by onnxruntime-node.
 *
 * @example
 * ```ts
 * const shapes = await probeShapes(model);
 * shapes.get('conv1_out');   // { dtype: 'float32', dims: [1, 6, 24, 24] }
 * ```
 */
export async function probeShapes(model: Model, options: ProbeOptions = {}): Promise<Map<string, ProbedShape>> {
  const given = options.freeDims ?? {};
  const fixed = options.feeds ? (Object.keys(given).length > 0 ? fixDims(model, given) : model) : fixAllDims(model, given);
  const names = intermediateNames(fixed);
  const probe = exposeValues(fixed, names);
  const session = await createSession(probe, { optimization: 'disabled', ...options.session });
  try {
    const feeds = options.feeds ?? fillerFeeds(probe, new Rng(options.seed ?? 0));
    const res = await session.run(feeds, names);
    const out = new Map<string, ProbedShape>();
    for (const [name, t] of Object.entries(feeds)) out.set(name, { dtype: t.dtype, dims: [...t.dims] });
    for (const name of names) {
      const t = res[name];
      if (t) out.set(name, { dtype: t.dtype, dims: t.dims });
    }
    return out;
  } finally {
    await session.release();
  }
}

function fixAllDims(model: Model, given: Readonly<Record<string, number>>): Model {
  const all = dimParams(model);
  if (all.length === 0 && Object.keys(given).length === 0) return model;
  const dims: Record<string, number> = {};
  for (const d of all) dims[d] = 1;
  return fixDims(model, { ...dims, ...given });
}

function intermediateNames(model: Model): string[] {
  const names = new Set<string>();
  for (const n of model.graph.nodes) for (const v of n.outputs) if (v) names.add(v.name);
  for (const v of model.graph.outputs) names.add(v.name);
  for (const v of model.graph.inputs) names.delete(v.name);
  return [...names];
}

/**
 * Filler feeds for every graph input of `model` that is not an initializer: unknown and symbolic dims become 1.
 *
 * @example
 * ```ts
 * const feeds = fillerFeeds(model, new Rng(0));   // { x: { dtype: 'float32', dims: [1, 784], data: ... } }
 * ```
 */
export function fillerFeeds(model: Model, rng: Rng): Feeds {
  const feeds: Record<string, ReturnType<typeof fillTensor>> = {};
  for (const v of model.graph.inputs) {
    if (v.constant) continue;
    feeds[v.name] = fillTensor(requireDtype(v), (v.shape ?? []).map((d) => (typeof d === 'number' ? d : 1)), rng);
  }
  return feeds;
}

function requireDtype(v: Value): DataType {
  if (!v.dtype) throw new SecateursError('RUNTIME_DTYPE', `graph input '${v.name}' has no element type; pass 'feeds' explicitly.`);
  return v.dtype;
}
