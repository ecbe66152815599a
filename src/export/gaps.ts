/**
 * Gap-coded sparse int8 weights: the non-zero values in order, and the distance from each to the previous one as
 * uint8 (a gap over 255 is bridged by entries of gap 255 and value 0). A few standard ops rebuild the dense tensor:
 *
 *   positions = CumSum(Cast(gaps, int64)) − 1;  dense = ScatterElements(ConstantOfShape([size], 0), positions, values)
 *
 * All their inputs are initializers, so onnxruntime folds them into a dense int8 initializer when the session is
 * created (constant folding, optimization `basic` and up): the decoding costs load time, not inference time.
 * Under gzip this beats both dense int8 with its zeros and ONNX SparseTensorProto (whose indices the ONNX checker
 * requires to be int64: 8 bytes per non-zero before compression) on pruned LeNet-300-100 at 92% and 97% sparsity;
 * `bench/quantize.ts` measures all three (docs/BENCHMARKS.md).
 */
import { attr } from '../ir/builder.js';
import type { Attribute, Graph, Value } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';

/** The two arrays of a gap-coded tensor. */
export interface GapCode {
  readonly gaps: Uint8Array;
  readonly values: Int8Array;
}

/**
 * Gap-codes int8 values (zeros dropped).
 *
 * @example
 * ```ts
 * gapCode(Int8Array.from([0, 5, 0, 0, -3]));   // { gaps: [2, 3], values: [5, -3] }
 * ```
 */
export function gapCode(v: Int8Array): GapCode {
  const gaps: number[] = [];
  const values: number[] = [];
  let last = -1;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === 0) continue;
    let gap = i - last;
    for (; gap > 255; gap -= 255) { gaps.push(255); values.push(0); }
    gaps.push(gap);
    values.push(v[i]!);
    last = i;
  }
  return { gaps: Uint8Array.from(gaps), values: Int8Array.from(values) };
}

/** True when gap coding stores `t` (int8) in fewer bytes than its dense form. */
export function gapCodingPays(t: Tensor): boolean {
  if (t.dtype !== 'int8' || t.size === 0) return false;
  const v = t.view() as Int8Array;
  let bytes = 0;
  let last = -1;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === 0) continue;
    bytes += 2 * Math.ceil((i - last) / 255);
    last = i;
  }
  return bytes < t.size;
}

/**
 * Replaces int8 initializer `v` by its gap code and the decoding nodes; every reader of `v` reads the decoded
 * tensor. Returns the decoded value.
 */
export function storeGapCoded(g: Graph, v: Value): Value {
  const t = v.constant!;
  const code = gapCode(t.view() as Int8Array);
  const name = v.name;
  const init = (hint: string, x: Tensor): Value => g.addInitializer(`${name}_${hint}`, x);
  const op = (opType: string, inputs: Value[], hint: string, attributes: Record<string, Attribute> = {}): Value =>
    g.addNode(opType, inputs, { name: `${name}_${hint}`, outputs: [g.uniqueName(`${name}_${hint}`)], attributes }).output(0)!;
  const gaps = init('gaps', Tensor.fromTyped('uint8', [code.gaps.length], code.gaps));
  const values = init('values', Tensor.fromTyped('int8', [code.values.length], code.values));
  const steps = op('Cast', [gaps], 'gaps_int64', { to: attr.int(7) });
  const ends = op('CumSum', [steps, init('axis', Tensor.fromArray('int64', [], [0]))], 'ends');
  const positions = op('Sub', [ends, init('one', Tensor.fromArray('int64', [], [1]))], 'positions');
  const zeros = op('ConstantOfShape', [init('size', Tensor.fromArray('int64', [1], [t.size]))], 'zeros', { value: attr.tensor(Tensor.fromArray('int8', [1], [0])) });
  const flat = op('ScatterElements', [zeros, positions, values], 'scatter', { axis: attr.int(0) });
  const dense = op('Reshape', [flat, init('dims', Tensor.fromArray('int64', [t.dims.length], [...t.dims]))], 'decoded');
  g.replaceAllUses(v, dense);
  g.dropValue(v);
  return dense;
}
