import type { Model, Value } from '../ir/graph.js';
import { inferShapes } from '../ir/shapes/index.js';
import { dimParams, probeShapes, type ProbedShape } from '../runtime/index.js';
import type { ModelStatsOptions } from './types.js';

/** Concrete dims of a value, or undefined when unknown. */
export type DimsOf = (v: Value) => readonly number[] | undefined;

/** Sizes of the symbolic leading dims of the graph inputs, plus the given fixed dims. */
function fixedDims(model: Model, opts: ModelStatsOptions): Record<string, number> {
  const batch = opts.batch ?? 1;
  if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError(`'batch' must be an integer >= 1, got ${batch}.`);
  const out: Record<string, number> = {};
  for (const v of model.graph.inputs) {
    const d = v.shape?.[0];
    if (!v.constant && typeof d === 'string') out[d] = batch;
  }
  return { ...out, ...opts.fixedDims };
}

function numeric(s: readonly (number | string | null)[] | undefined): readonly number[] | undefined {
  return s && s.every((d) => typeof d === 'number') ? (s as readonly number[]) : undefined;
}

/**
 * Shapes for `work` (a clone of `original` that this call annotates): static inference with the batch fixed, and
 * an onnxruntime probe of `original` when asked or, in 'auto', when inference left values unknown.
 */
export async function resolveShapes(original: Model, work: Model, opts: ModelStatsOptions): Promise<DimsOf> {
  const source = opts.shapes ?? 'auto';
  const fixed = fixedDims(work, opts);
  let unknown = 0;
  if (source !== 'probe') unknown = inferShapes(work, { fixedDims: fixed }).unknown.length;
  let probed: Map<string, ProbedShape> | undefined;
  if (source === 'probe' || (source === 'auto' && unknown > 0)) {
    const names = new Set(dimParams(original));
    probed = await probeShapes(original, { freeDims: Object.fromEntries(Object.entries(fixed).filter(([k]) => names.has(k))) });
  }
  return (v) => {
    if (v.constant) return v.constant.dims;
    const inferred = source === 'probe' ? undefined : numeric(v.shape);
    return inferred ?? probed?.get(v.name)?.dims;
  };
}
