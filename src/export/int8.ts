/**
 * int8 weight storage for export: every layer weight (Conv, ConvTranspose, Gemm, MatMul) becomes a symmetric int8
 * initializer with per-output-channel float scales, read through DequantizeLinear; arithmetic stays float, so the
 * full ±127 range is used (the AVX2 saturation that calls for reduce-range only concerns integer kernels). Zeros stay
 * exactly zero, which is what lets a pruned model's int8 weights compress.
 */
import { throwAll } from '../errors.js';
import type { Graph, Model, Value } from '../ir/graph.js';
import { attr } from '../ir/builder.js';
import { quantizeSymmetric, selectTargets, type QuantTarget } from '../quantize/index.js';

/** Layer ops whose weights export stores as int8. */
export const INT8_EXPORT_OPS: readonly string[] = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'];

/** One weight stored as int8: the initializer holding the integers, and the DequantizeLinear output replacing it. */
export interface Int8Weight {
  readonly name: string;
  readonly quantized: Value;
}

/**
 * Rewrites `model` (in place; pass a copy) so layer weights are int8 + DequantizeLinear. `bits` below 8 puts the
 * values on a coarser grid (±(2^(bits−1) − 1)), still stored as int8: fewer distinct values compress better. Returns
 * the int8 initializers, for sparse storage.
 *
 * @throws SecateursError `EXPORT_OPSET` when the model's ai.onnx opset is below 13 (per-axis DequantizeLinear);
 *   `QUANT_NOTHING` when the model has no float32 layer weight.
 * @example
 * ```ts
 * const copy = cloneModel(model);
 * storeInt8(copy, 6).map((w) => w.name);   // ['fc1/weight', 'fc2/weight', 'fc3/weight']
 * ```
 */
export function storeInt8(model: Model, bits = 8): Int8Weight[] {
  const opset = model.opsets.get('') ?? model.opsets.get('ai.onnx') ?? 0;
  throwAll('EXPORT_OPSET', 'int8 export', opset < 13 ? [`the model imports ai.onnx opset ${opset}; per-channel DequantizeLinear needs 13 or later`] : []);
  const g = model.graph;
  const { targets } = selectTargets(g, 'weight-only', { opTypes: INT8_EXPORT_OPS });
  const done = new Map<Value, Value>();
  const out: Int8Weight[] = [];
  for (const t of targets) {
    const hit = done.get(t.weight);
    if (hit) { t.node.setInput(t.rule.weightSlot, hit); continue; }
    const { dq, quantized } = int8Weight(g, t, bits);
    t.node.setInput(t.rule.weightSlot, dq);
    done.set(t.weight, dq);
    out.push({ name: t.weight.name, quantized });
  }
  return out;
}

function int8Weight(g: Graph, t: QuantTarget, bits: number): { dq: Value; quantized: Value } {
  const q = quantizeSymmetric(t.tensor, 'int8', { kind: 'channel', axis: t.axis }, { bits });
  const base = t.weight.name;
  const quantized = g.addInitializer(`${base}_quantized`, q.quantized);
  const scale = g.addInitializer(`${base}_scale`, q.scale);
  // No zero point input: DequantizeLinear's default is 0 of the integer type, which symmetric weights use.
  const node = g.addNode('DequantizeLinear', [quantized, scale], {
    name: `${base}_DequantizeLinear`, outputs: [g.uniqueName(`${base}_dequantized`)], attributes: { axis: attr.int(t.axis) },
  });
  return { dq: node.output(0)!, quantized };
}
