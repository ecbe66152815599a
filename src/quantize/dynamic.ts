/**
 * Dynamic int8 quantization, in standard ONNX ops: weights quantized offline (symmetric, per channel), activations
 * at run time by DynamicQuantizeLinear (uint8, per tensor), the product in MatMulInteger / ConvInteger (int32), then
 * rescaled: `y = float(acc) · (x_scale · w_scale) (+ bias)`. onnxruntime (optimization `extended` and up) fuses the
 * MatMul form into com.microsoft DynamicQuantizeMatMul; ConvInteger runs as written. Gemm becomes MatMulInteger on
 * the weight stored [in, out] (transposed offline when transB=1) with alpha and beta folded into scale and bias.
 */
import { attr } from '../ir/builder.js';
import type { Attribute, Graph, Node, Value } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { addOp } from './edit.js';
import { quantizeSymmetric, type Granularity } from './params.js';
import type { QuantTarget } from './select.js';
import type { QuantizedLayer, WeightType } from './types.js';

/** Settings of the dynamic rewrite. */
export interface DynamicSettings {
  /** Undefined: per kernel, the faster one measured (int8 for MatMulInteger, uint8 for ConvInteger). */
  readonly weightType: WeightType | undefined;
  /** Reduce-range for int8 weights (undefined: yes). */
  readonly reduceRange: boolean | undefined;
  readonly perChannel: boolean;
}

/**
 * The weight type of a dynamic layer. Measured with onnxruntime 1.30 on AVX2 (LeNet-5, bench/quantize.ts): ConvInteger
 * with int8 weights ran 2.4x (batch 1) to 5x (batch 32) slower than float32, with uint8 weights at float32 speed;
 * the MatMulInteger path (fused into DynamicQuantizeMatMul) is fastest with reduce-range int8 weights.
 */
function resolved(t: QuantTarget, s: DynamicSettings): { type: WeightType; reduce: boolean } {
  const type = s.weightType ?? (t.node.opType === 'Conv' ? 'uint8' : 'int8');
  return { type, reduce: type === 'int8' && (s.reduceRange ?? true) };
}

interface DynamicInput {
  readonly q: Value;
  readonly scale: Value;
  readonly zeroPoint: Value;
}

/** Rewrites every target of `graph` (in place). */
export function quantizeDynamic(graph: Graph, targets: readonly QuantTarget[], s: DynamicSettings): QuantizedLayer[] {
  const inputs = new Map<Value, DynamicInput>();
  const quantizeInput = (x: Value): DynamicInput => {
    const hit = inputs.get(x);
    if (hit) return hit;
    const base = x.name.replace(/[^A-Za-z0-9_/.-]/g, '_');
    const node = graph.addNode('DynamicQuantizeLinear', [x], {
      name: `${base}_DynamicQuantizeLinear`, outputs: [`${base}_quantized`, `${base}_scale`, `${base}_zero_point`].map((n) => graph.uniqueName(n)),
    });
    const d = { q: node.output(0)!, scale: node.output(1)!, zeroPoint: node.output(2)! };
    inputs.set(x, d);
    return d;
  };
  return targets.map((t) => {
    const x = quantizeInput(t.node.input(t.rule.dataSlot)!);
    return t.node.opType === 'Conv' ? rewriteConv(graph, t, x, s) : rewriteMatMul(graph, t, x, s);
  });
}

function rewriteMatMul(g: Graph, t: QuantTarget, x: DynamicInput, s: DynamicSettings): QuantizedLayer {
  const n = t.node;
  const isGemm = n.opType === 'Gemm';
  const kn = isGemm && n.attrInt('transB', 0) === 1 ? transpose2d(t.tensor) : t.tensor;
  const gran: Granularity = s.perChannel ? { kind: 'channel', axis: 1 } : { kind: 'tensor' };
  const w = resolved(t, s);
  const q = quantizeSymmetric(kn, w.type, gran, { reduceRange: w.reduce });
  const alpha = isGemm ? n.attrFloat('alpha', 1) : 1;
  const base = t.weight.name;
  const wq = g.addInitializer(`${base}_quantized`, q.quantized);
  const wzp = w.type === 'uint8' ? g.addInitializer(`${base}_zero_point`, q.zeroPoint) : null;
  const ws = g.addInitializer(`${base}_scale`, scaled(q.scale, alpha));
  const bias = isGemm ? gemmBias(g, t) : undefined;
  const out = detach(g, n);
  const acc = addOp(g, 'MatMulInteger', [x.q, wq, x.zeroPoint, wzp], `${n.name}_MatMulInteger`, `${n.name}_int32`);
  const accF = addOp(g, 'Cast', [acc], `${n.name}_Cast`, `${n.name}_float`, { to: attr.int(1) });
  const scale = addOp(g, 'Mul', [x.scale, ws], `${n.name}_scale_Mul`, `${n.name}_output_scale`);
  finalOp(g, 'Mul', [accF, scale], `${n.name}_Mul`, bias, out);
  return layer(t, w, gran, 'MatMulInteger');
}

function rewriteConv(g: Graph, t: QuantTarget, x: DynamicInput, s: DynamicSettings): QuantizedLayer {
  const n = t.node;
  const gran: Granularity = s.perChannel ? { kind: 'channel', axis: 0 } : { kind: 'tensor' };
  const w = resolved(t, s);
  const q = quantizeSymmetric(t.tensor, w.type, gran, { reduceRange: w.reduce });
  const base = t.weight.name;
  const c = t.tensor.dims[0]!;
  const bcast = [c, ...t.tensor.dims.slice(2).map(() => 1)];
  const wq = g.addInitializer(`${base}_quantized`, q.quantized);
  // ConvInteger takes one weight zero point; symmetric uint8 uses 128 for every channel.
  const wzp = w.type === 'uint8' ? g.addInitializer(`${base}_zero_point`, Tensor.fromArray('uint8', [], [128])) : null;
  const sc = q.scale.toFloat32();
  const ws = g.addInitializer(`${base}_scale`, Tensor.fromArray('float32', bcast, Array.from({ length: c }, (_, k) => sc[sc.length === 1 ? 0 : k]!)));
  const attrs: Record<string, Attribute> = {};
  for (const [k, a] of n.attributes) attrs[k] = a;
  const biasIn = t.bias ? g.addInitializer(`${t.bias.name}_broadcast`, Tensor.fromTyped('float32', bcast, t.bias.constant!.toFloat32())) : undefined;
  const out = detach(g, n);
  const acc = addOp(g, 'ConvInteger', [x.q, wq, x.zeroPoint, wzp], `${n.name}_ConvInteger`, `${n.name}_int32`, attrs);
  const accF = addOp(g, 'Cast', [acc], `${n.name}_Cast`, `${n.name}_float`, { to: attr.int(1) });
  const scale = addOp(g, 'Mul', [x.scale, ws], `${n.name}_scale_Mul`, `${n.name}_output_scale`);
  finalOp(g, 'Mul', [accF, scale], `${n.name}_Mul`, biasIn, out);
  return layer(t, w, gran, 'ConvInteger');
}

/** Removes the float node and returns its output value, to be produced by the replacement. */
function detach(g: Graph, n: Node): Value {
  const out = n.output(0)!;
  g.removeNode(n);
  return out;
}

/** The last op of a replacement: `inputs` combined by `opType`, plus the bias when there is one, into `out`. */
function finalOp(g: Graph, opType: string, inputs: Value[], name: string, bias: Value | undefined, out: Value): void {
  if (!bias) { g.addNode(opType, inputs, { name, outputs: [out] }); return; }
  const y = addOp(g, opType, inputs, name, `${name}_output`);
  g.addNode('Add', [y, bias], { name: `${name}_bias_Add`, outputs: [out] });
}

/** Gemm's C scaled by beta (a new initializer when beta ≠ 1); C stays as is when it is not a constant. */
function gemmBias(g: Graph, t: QuantTarget): Value | undefined {
  const c = t.node.input(2);
  if (!c) return undefined;
  const beta = t.node.attrFloat('beta', 1);
  if (beta === 1) return c;
  const k = c.constant;
  if (!k) return addOp(g, 'Mul', [c, g.addInitializer(`${t.node.name}_beta`, Tensor.scalar('float32', beta))], `${t.node.name}_beta_Mul`, `${t.node.name}_bias`);
  return g.addInitializer(`${c.name}_scaled`, Tensor.fromTyped('float32', k.dims, k.toFloat32().map((v) => v * beta)));
}

function scaled(scale: Tensor, factor: number): Tensor {
  return factor === 1 ? scale : Tensor.fromTyped('float32', scale.dims, scale.toFloat32().map((v) => v * factor));
}

/** A [r, c] float tensor transposed to [c, r]. */
export function transpose2d(t: Tensor): Tensor {
  const [r, c] = [t.dims[0]!, t.dims[1]!];
  const src = t.toFloat32();
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = src[i * c + j]!;
  return Tensor.fromTyped('float32', [c, r], out);
}

function layer(t: QuantTarget, w: { type: WeightType; reduce: boolean }, gran: Granularity, kernel: string): QuantizedLayer {
  const kind = w.type + (w.reduce ? ' reduce-range' : '');
  const how = gran.kind === 'channel' ? 'per-channel' : 'per-tensor';
  return { node: t.node.name, opType: t.node.opType, weight: t.weight.name, scheme: `${kind} ${how}, dynamic uint8 activations (${kernel})` };
}
