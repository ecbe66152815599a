/** Replaying a plan: the only place in this module that produces a changed model. */
import { DTYPES } from '../../ir/dtype.js';
import { cloneModel } from '../../ir/clone.js';
import type { Model } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { analyzeTargets, traceConstant } from '../targets.js';
import { failOn } from '../validate.js';
import { decodeMask, type PrunePlan } from './plan.js';

/**
 * A tensor equal to `t` with the elements where `mask` is 0 set to +0 (works on the raw bytes, so float16,
 * bfloat16 and float64 weights are zeroed as exactly as float32).
 *
 * @example
 * ```ts
 * maskTensor(Tensor.fromArray('float32', [3], [1, 2, 3]), Uint8Array.from([1, 0, 1])).toFloat32();   // [1, 0, 3]
 * ```
 */
export function maskTensor(t: Tensor, mask: Uint8Array): Tensor {
  const width = DTYPES[t.dtype].bytes;
  if (!Number.isInteger(width) || width < 1) throw new TypeError(`cannot mask a '${t.dtype}' tensor element by element.`);
  if (mask.length !== t.size) throw new RangeError(`mask has ${mask.length} entries for a tensor of ${t.size} elements.`);
  const bytes = t.bytes().slice();
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) bytes.fill(0, i * width, (i + 1) * width);
  return t.withBytes(bytes);
}

function planProblems(model: Model, plan: PrunePlan): string[] {
  const { targets } = analyzeTargets(model);
  const byName = new Map(targets.map((t) => [t.name, t]));
  const problems: string[] = [];
  for (const l of plan.layers) {
    const t = byName.get(l.name);
    if (!t) problems.push(`plan layer '${l.name}' is not a prunable weight of graph '${model.graph.name}'`);
    else if (t.shape.join() !== l.shape.join()) problems.push(`plan layer '${l.name}' has shape [${l.shape.join(', ')}] but the model's weight is [${t.shape.join(', ')}]`);
  }
  return problems;
}

/**
 * A copy of `model` with every plan layer's pruned weights set to zero. The original is untouched (tensors are
 * replaced in the clone, never written in place). Everything is checked before anything is built.
 *
 * @throws SecateursError `PRUNE_BAD_INPUT` listing plan layers the model lacks or whose shapes differ;
 *   `PRUNE_PLAN_MALFORMED` for a corrupt mask.
 * @example
 * ```ts
 * const pruned = applyMasks(model, plan);
 * await saveModel(pruned, 'pruned.onnx', { sparse: 'all' });   // sparse initializers where smaller
 * ```
 */
export function applyMasks(model: Model, plan: PrunePlan): Model {
  failOn(planProblems(model, plan), 'applyMasks');
  const masks = plan.layers.map((l) => ({ name: l.name, mask: decodeMask(l) }));
  const copy = cloneModel(model);
  for (const { name, mask } of masks) {
    const v = copy.graph.requireValue(name);
    const found = traceConstant(v)!;
    const masked = maskTensor(found.tensor, mask);
    if (found.storage === 'initializer') v.constant = masked;
    else v.producer!.attributes.set('value', { type: 'tensor', value: masked });
  }
  return copy;
}
