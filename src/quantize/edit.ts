/**
 * Graph edits shared by the quantization modes: quantized weight initializers with their DequantizeLinear, Q/DQ
 * pairs on activations, and the final cleanup + checks every rewritten model goes through.
 */
import { attr } from '../ir/builder.js';
import type { DataType } from '../ir/dtype.js';
import type { Attribute, Graph, Model, Value } from '../ir/graph.js';
import { assertValid, cleanup, toposort } from '../ir/passes.js';
import { Tensor } from '../ir/tensor.js';
import type { Granularity, QuantizedTensor, ScaleZero } from './params.js';

/** Appends a node with one output named `out` (made unique) and returns that output. */
export function addOp(
  g: Graph, opType: string, inputs: readonly (Value | null)[], name: string, out: string,
  attributes: Record<string, Attribute> = {}, domain = '',
): Value {
  const node = g.addNode(opType, inputs, { name, outputs: [g.uniqueName(out)], attributes, domain });
  return node.output(0)!;
}

/** Adds the quantized weight, its scale and zero point as initializers and a DequantizeLinear reading them. */
export function dequantizedWeight(g: Graph, base: string, q: QuantizedTensor, granularity: Granularity, dtype: DataType = 'float32'): Value {
  const w = g.addInitializer(`${base}_quantized`, q.quantized);
  const scale = g.addInitializer(`${base}_scale`, dtype === 'float32' ? q.scale : Tensor.fromArray(dtype, q.scale.dims, q.scale.toFloat32()));
  const zp = g.addInitializer(`${base}_zero_point`, q.zeroPoint);
  const attrs: Record<string, Attribute> = {};
  if (granularity.kind !== 'tensor') attrs['axis'] = attr.int(granularity.axis);
  if (granularity.kind === 'block') attrs['block_size'] = attr.int(granularity.blockSize);
  return addOp(g, 'DequantizeLinear', [w, scale, zp], `${base}_DequantizeLinear`, `${base}_dequantized`, attrs);
}

/**
 * Inserts QuantizeLinear → DequantizeLinear after `v` with the given uint8 parameters and points every consumer of
 * `v` at the dequantized value. When `v` is a graph output, the DequantizeLinear takes over its name, dtype and shape
 * (and `v` is renamed), so the model's outputs keep their names.
 */
export function insertQdq(g: Graph, v: Value, params: { scale: Value; zeroPoint: Value }): Value {
  const consumers = [...v.uses];
  const base = v.name.replace(/[^A-Za-z0-9_/.-]/g, '_');
  const at = g.outputs.indexOf(v);
  const outName = v.name;
  if (at >= 0) g.renameValue(v, g.uniqueName(`${base}_float`));
  const q = addOp(g, 'QuantizeLinear', [v, params.scale, params.zeroPoint], `${base}_QuantizeLinear`, `${base}_quantized`);
  const dq = addOp(g, 'DequantizeLinear', [q, params.scale, params.zeroPoint], `${base}_DequantizeLinear`, at >= 0 ? outName : `${base}_dequantized`);
  for (const u of consumers) u.node.setInput(u.index, dq);
  if (at >= 0) {
    dq.dtype = v.dtype;
    if (v.shape) dq.shape = [...v.shape];
    g.outputs[at] = dq;
  }
  return dq;
}

/** Scalar scale (float32) and zero point (uint8) initializers for activation parameters. */
export function activationParams(g: Graph, base: string, p: ScaleZero): { scale: Value; zeroPoint: Value } {
  return {
    scale: g.addInitializer(`${base}_scale`, Tensor.fromArray('float32', [], [p.scale])),
    zeroPoint: g.addInitializer(`${base}_zero_point`, Tensor.fromArray('uint8', [], [p.zeroPoint])),
  };
}

/** Removes what the rewrite left unused, sorts the nodes and checks the graph (IR_INVALID lists every problem). */
export function finish(model: Model, subject: string): void {
  cleanup(model.graph);
  toposort(model.graph);
  assertValid(model, subject);
}

/** Makes sure the model imports `domain` (com.microsoft ops) at least at `version`. */
export function importDomain(model: Model, domain: string, version = 1): void {
  const have = model.opsets.get(domain);
  if (have === undefined || have < version) model.opsets.set(domain, version);
}

/** The ai.onnx opset of a model (opset_import for '' or 'ai.onnx'). */
export function onnxOpset(model: Model): number {
  return model.opsets.get('') ?? model.opsets.get('ai.onnx') ?? 0;
}
