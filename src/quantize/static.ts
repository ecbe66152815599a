/**
 * Static int8 quantization in the QDQ format: QuantizeLinear → DequantizeLinear pairs on activations (uint8,
 * per-tensor, ranges from calibration), DequantizeLinear on int8 weights (symmetric, per channel) and on int32 biases
 * (scale = input scale · weight scale, as the fused kernels assume). onnxruntime (optimization `extended` and up)
 * fuses DQ → Conv → Q into QLinearConv, DQ → Gemm (→ Q) into QGemm and DQ → MatMul → Q into QLinearMatMul.
 *
 * Where pairs go: on the input of every quantized layer, on the output of quantized Conv/ConvTranspose (their fused
 * kernels need it; through a following Relu/Clip, which onnxruntime then folds into the Q), and through ops that only
 * move values (MaxPool, Flatten, Reshape, Transpose, Squeeze, Unsqueeze) with the same parameters on both sides, so
 * onnxruntime drops the pairs and runs those ops on uint8 data. A layer whose output only feeds float ops keeps a
 * float output (QGemm and MatMulIntegerToFloat produce float directly), which keeps logits unquantized.
 */
import { attr } from '../ir/builder.js';
import type { Graph, Model, Node, Value } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { calibrate, type ActivationRange, type CalibrationOptions } from './calibrate.js';
import { activationParams, addOp, dequantizedWeight, insertQdq } from './edit.js';
import { affineParams, intTensor, quantizeSymmetric, roundHalfEven, type Granularity, type ScaleZero } from './params.js';
import type { QuantTarget } from './select.js';
import type { QuantizedLayer, WeightType } from './types.js';

/** Ops that only move or select values: quantized with the parameters of their input. */
const PASS_THROUGH = new Set(['MaxPool', 'Flatten', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze']);
/** Activations a Q after them absorbs (onnxruntime removes them when the zero point sits at the range's bottom). */
const ABSORBED = new Set(['Relu', 'Clip']);
/** Layers whose fused kernel needs a quantized output. */
const NEEDS_OUTPUT_Q = new Set(['Conv', 'ConvTranspose']);

/** Settings of the static rewrite. */
export interface StaticSettings {
  readonly weightType: WeightType;
  readonly reduceRange: boolean;
  readonly perChannel: boolean;
  readonly calibration: CalibrationOptions;
}

/**
 * Activations sharing one set of parameters: a layer input and the values it is a pass-through copy of. `values`
 * run from the earliest (the widest range) to the layer input.
 */
export interface ActivationGroup {
  readonly values: Value[];
}

/**
 * Plans the activation pairs for `targets`: groups of values that share parameters, each group's values all
 * getting a Q/DQ pair.
 *
 * @example
 * ```ts
 * const groups = planActivations(model.graph, targets);
 * groups.map((g) => g.values.map((v) => v.name));   // [['input'], ['conv1/Conv', 'MaxPool']], ...
 * ```
 */
export function planActivations(graph: Graph, targets: readonly QuantTarget[]): ActivationGroup[] {
  const groupOf = new Map<Value, ActivationGroup>();
  const groups: ActivationGroup[] = [];
  const join = (chain: readonly Value[]): void => {
    const found = [...new Set(chain.map((v) => groupOf.get(v)).filter((g): g is ActivationGroup => g !== undefined))];
    const g = found[0] ?? { values: [] };
    if (!found[0]) groups.push(g);
    for (const other of found.slice(1)) {
      for (const v of other.values) if (!g.values.includes(v)) g.values.push(v);
      groups.splice(groups.indexOf(other), 1);
    }
    for (const v of chain) if (!g.values.includes(v)) g.values.push(v);
    for (const v of g.values) groupOf.set(v, g);
  };
  for (const t of targets) {
    if (!NEEDS_OUTPUT_Q.has(t.node.opType)) continue;
    const out = effectiveOutput(graph, t.node);
    if (out) join([out]);
  }
  for (const t of targets) join(inputChain(t.node.input(t.rule.dataSlot)!));
  const order = new Map<Value, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((v) => { if (v) order.set(v, i); }));
  const rank = (v: Value): number => order.get(v) ?? -1;
  for (const g of groups) g.values.sort((a, b) => rank(a) - rank(b));
  return groups;
}

/**
 * The layer output a Q would follow: through one Relu/Clip that is its only consumer. A graph output gets its pair
 * too (the DequantizeLinear then produces the output under its name), or the layer could not fuse.
 */
function effectiveOutput(graph: Graph, node: Node): Value | undefined {
  const y = node.output(0);
  if (!y || graph.outputs.includes(y)) return y;
  const only = y.uses.length === 1 ? y.uses[0]!.node : undefined;
  if (only && ABSORBED.has(only.opType) && only.domain === '' && only.inputs.slice(1).every((v) => !v || v.constant)) return only.output(0);
  return y;
}

/** A layer input and, back through pass-through ops, the values it copies. */
function inputChain(x: Value): Value[] {
  const chain = [x];
  let p = x.producer;
  while (p && PASS_THROUGH.has(p.opType) && p.domain === '' && p.input(0)) {
    const src = p.input(0)!;
    if (src.constant) break;
    chain.unshift(src);
    p = src.producer;
  }
  return chain;
}

/**
 * Quantizes `targets` of `model` (a copy the caller owns) in place: calibrates the planned activations on the float
 * model, then inserts Q/DQ pairs, quantized weights and int32 biases.
 */
export async function quantizeStatic(model: Model, targets: readonly QuantTarget[], s: StaticSettings): Promise<{ layers: QuantizedLayer[]; ranges: ActivationRange[] }> {
  const g = model.graph;
  const inputs = targets.map((t) => t.node.input(t.rule.dataSlot)!);
  const groups = planActivations(g, targets);
  const names = groups.flatMap((grp) => grp.values.map((v) => v.name));
  const measured = await calibrate(model, names, s.calibration);
  const paramsOf = new Map<Value, ScaleZero>();
  groups.forEach((grp, i) => {
    const rs = grp.values.map((v) => measured.get(v.name)!);
    const p = affineParams(Math.min(...rs.map((r) => r.rmin)), Math.max(...rs.map((r) => r.rmax)), 'uint8');
    const inits = activationParams(g, `${grp.values[0]!.name}_act${i}`, p);
    for (const v of grp.values) { paramsOf.set(v, p); insertQdq(g, v, inits); }
  });
  const layers = targets.map((t, i) => quantizeLayer(g, t, paramsOf.get(inputs[i]!), s));
  return { layers, ranges: names.map((n) => measured.get(n)!) };
}

function quantizeLayer(g: Graph, t: QuantTarget, input: ScaleZero | undefined, s: StaticSettings): QuantizedLayer {
  const gran: Granularity = s.perChannel ? { kind: 'channel', axis: t.axis } : { kind: 'tensor' };
  const q = quantizeSymmetric(t.tensor, s.weightType, gran, { reduceRange: s.reduceRange && s.weightType === 'int8' });
  t.node.setInput(t.rule.weightSlot, dequantizedWeight(g, t.weight.name, q, gran));
  const channels = t.tensor.dims[t.axis]!;
  if (t.bias && t.rule.biasSlot !== undefined && input) {
    let b = t.bias.constant!.toFloat32();
    const beta = t.node.opType === 'Gemm' ? t.node.attrFloat('beta', 1) : 1;
    if (beta !== 1) { b = b.map((x) => x * beta); t.node.attributes.set('beta', attr.float(1)); }
    const ws = q.scale.toFloat32();
    const scales = Float32Array.from({ length: channels }, (_, c) => Math.fround(input.scale * ws[ws.length === 1 ? 0 : c]!));
    const values = Int32Array.from(b, (x, c) => clampInt32(roundHalfEven(x / scales[c]!)));
    const bq = g.addInitializer(`${t.bias.name}_quantized`, intTensor('int32', [channels], values));
    const bs = g.addInitializer(`${t.bias.name}_scale`, Tensor.fromTyped('float32', [channels], scales));
    const dq = addOp(g, 'DequantizeLinear', [bq, bs], `${t.bias.name}_DequantizeLinear`, `${t.bias.name}_dequantized`, { axis: attr.int(0) });
    t.node.setInput(t.rule.biasSlot, dq);
  }
  const kind = s.weightType + (s.reduceRange && s.weightType === 'int8' ? ' reduce-range' : '');
  const scheme = `${kind} ${s.perChannel ? `per-channel (axis ${t.axis})` : 'per-tensor'}, uint8 activations${t.bias && input ? ', int32 bias' : ''}`;
  return { node: t.node.name, opType: t.node.opType, weight: t.weight.name, scheme };
}

function clampInt32(x: number): number {
  return Math.max(-2147483648, Math.min(2147483647, x));
}
