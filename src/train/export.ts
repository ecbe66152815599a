import { SecateursError } from '../errors.js';
import { cloneModel } from '../ir/clone.js';
import type { Model } from '../ir/graph.js';
import { assertValid } from '../ir/passes.js';
import { Tensor } from '../ir/tensor.js';

/** Parameter values by initializer name. */
export type ParamValues = ReadonlyMap<string, Float32Array> | Readonly<Record<string, Float32Array>>;

/** The entries of a {@link ParamValues}, in its own order. */
export function paramEntries(params: ParamValues): [string, Float32Array][] {
  return params instanceof Map ? [...params.entries()] : Object.entries(params as Readonly<Record<string, Float32Array>>);
}

/**
 * The inference model with trained values: a copy of `model` (the original graph, no training-only nodes) whose
 * float32 initializers named in `params` hold copies of the given values; every other initializer is shared. The
 * result passes the IR verifier.
 *
 * @throws SecateursError `TRAIN_EXPORT` listing every name that is not a float32 initializer of the model and every
 *   size that does not match; `IR_INVALID` if the graph does not verify.
 * @example
 * ```ts
 * const trained = exportTrained(model, { 'fc1/weight': w1, 'fc1/bias': b1 });
 * await saveModel(trained, 'trained.onnx');
 * ```
 */
export function exportTrained(model: Model, params: ParamValues): Model {
  const out = cloneModel(model);
  const g = out.graph;
  const problems: string[] = [];
  const updates: [string, Float32Array][] = [];
  for (const [name, data] of paramEntries(params)) {
    const v = g.value(name);
    const t = v?.constant;
    if (!t || !g.initializers.includes(v)) problems.push(`'${name}' is not an initializer of graph '${g.name}'`);
    else if (t.dtype !== 'float32') problems.push(`'${name}' is ${t.dtype}, not float32`);
    else if (t.size !== data.length) problems.push(`'${name}' has ${t.size} elements [${t.dims.join(', ')}]; got ${data.length} values`);
    else updates.push([name, data]);
  }
  if (problems.length > 0) {
    throw new SecateursError('TRAIN_EXPORT', `exportTrained: ${problems.length} problem${problems.length > 1 ? 's' : ''}:\n  - ${problems.join('\n  - ')}`);
  }
  for (const [name, data] of updates) {
    const v = g.requireValue(name);
    v.constant = Tensor.fromTyped('float32', v.constant!.dims, data.slice());
  }
  assertValid(out, `trained model '${g.name}'`);
  return out;
}
