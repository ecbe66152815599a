/**
 * Weight-only quantization: weights stored as int8 or int4, activations and arithmetic stay float. Two encodings:
 *
 * - `matmulnbits`: com.microsoft MatMulNBits (MatMul and Gemm; 4 or 8 bits, blocks of `blockSize` along the input
 *   dimension, symmetric unsigned values around the default zero point 2^(bits−1), so no zero-point tensor). The
 *   kernel dequantizes block by block inside the product: onnxruntime's fastest weight-only path on CPU.
 * - `qdq`: DequantizeLinear on a symmetric int8 / int4 initializer, per channel or per block (blocks and int4 need
 *   ai.onnx opset 21). Standard ONNX; onnxruntime fuses blocked int4 DQ → MatMul into MatMulNBits itself.
 */
import { attr } from '../ir/builder.js';
import type { Graph, Value } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { transpose2d } from './dynamic.js';
import { addOp, dequantizedWeight } from './edit.js';
import { quantizeSymmetric, type Granularity, type QuantType } from './params.js';
import type { QuantTarget } from './select.js';
import type { QuantizedLayer, WeightOnlyFormat } from './types.js';

/** Settings of the weight-only rewrite. */
export interface WeightOnlySettings {
  readonly bits: 4 | 8;
  readonly format: WeightOnlyFormat;
  /** Block size along the input dimension; undefined: whole channels (per-channel) for `qdq`. */
  readonly blockSize: number | undefined;
  readonly perChannel: boolean;
}

/** Rewrites every target of `graph` (in place). */
export function quantizeWeightOnly(graph: Graph, targets: readonly QuantTarget[], s: WeightOnlySettings): QuantizedLayer[] {
  return targets.map((t) => (s.format === 'matmulnbits' && t.node.opType !== 'Conv' && t.node.opType !== 'ConvTranspose'
    ? matMulNBits(graph, t, s)
    : dequantizeLinear(graph, t, s)));
}

/** The weight axis indexing input features (the one blocks run along). */
export function inputAxis(t: QuantTarget): number {
  switch (t.node.opType) {
    case 'Conv': return 1;
    case 'ConvTranspose': return 0;
    default: return t.axis === 0 ? 1 : 0;
  }
}

function dequantizeLinear(g: Graph, t: QuantTarget, s: WeightOnlySettings): QuantizedLayer {
  const type: QuantType = s.bits === 4 ? 'int4' : 'int8';
  const gran: Granularity = s.blockSize !== undefined
    ? { kind: 'block', axis: inputAxis(t), blockSize: s.blockSize }
    : s.perChannel ? { kind: 'channel', axis: t.axis } : { kind: 'tensor' };
  const q = quantizeSymmetric(t.tensor, type, gran);
  t.node.setInput(t.rule.weightSlot, dequantizedWeight(g, t.weight.name, q, gran));
  const how = gran.kind === 'block' ? `blocks of ${gran.blockSize} (axis ${gran.axis})` : gran.kind === 'channel' ? `per-channel (axis ${gran.axis})` : 'per-tensor';
  return { node: t.node.name, opType: t.node.opType, weight: t.weight.name, scheme: `${type} ${how}, float compute (DequantizeLinear)` };
}

/**
 * MatMulNBits for a MatMul [K, N] or Gemm weight: B is [N, blocks, blockSize·bits/8] uint8, values of one output
 * column contiguous, a short last block padded with the zero point; scales are [N · blocks].
 */
function matMulNBits(g: Graph, t: QuantTarget, s: WeightOnlySettings): QuantizedLayer {
  const n = t.node;
  const isGemm = n.opType === 'Gemm';
  const nk = isGemm && n.attrInt('transB', 0) === 1 ? t.tensor : transpose2d(t.tensor);
  const [N, K] = [nk.dims[0]!, nk.dims[1]!];
  const bs = s.blockSize ?? 32;
  const blocks = Math.ceil(K / bs);
  const type: QuantType = s.bits === 4 ? 'uint4' : 'uint8';
  const q = quantizeSymmetric(nk, type, { kind: 'block', axis: 1, blockSize: bs });
  const alpha = isGemm ? n.attrFloat('alpha', 1) : 1;
  const scales = q.scale.toFloat32().map((v) => v * alpha);
  const b = g.addInitializer(`${t.weight.name}_quantized`, packBlocks(q.values, N, K, bs, s.bits));
  const sc = g.addInitializer(`${t.weight.name}_scale`, Tensor.fromTyped('float32', [N * blocks], scales));
  const out = n.output(0)!;
  const x = n.input(0)!;
  const bias = isGemm ? n.input(2) : undefined;
  const beta = isGemm ? n.attrFloat('beta', 1) : 1;
  g.removeNode(n);
  const attrs = { K: attr.int(K), N: attr.int(N), bits: attr.int(s.bits), block_size: attr.int(bs) };
  const name = `${n.name}_MatMulNBits`;
  if (!bias) g.addNode('MatMulNBits', [x, b, sc], { name, outputs: [out], attributes: attrs, domain: 'com.microsoft' });
  else {
    const y = addOp(g, 'MatMulNBits', [x, b, sc], name, `${n.name}_product`, attrs, 'com.microsoft');
    g.addNode('Add', [y, betaBias(g, bias, beta, n.name)], { name: `${n.name}_bias_Add`, outputs: [out] });
  }
  return { node: n.name, opType: n.opType, weight: t.weight.name, scheme: `${type} blocks of ${bs}, float compute (MatMulNBits)` };
}

function betaBias(g: Graph, c: Value, beta: number, name: string): Value {
  if (beta === 1) return c;
  if (c.constant) return g.addInitializer(`${c.name}_scaled`, Tensor.fromTyped('float32', c.constant.dims, c.constant.toFloat32().map((v) => v * beta)));
  return addOp(g, 'Mul', [c, g.addInitializer(`${name}_beta`, Tensor.scalar('float32', beta))], `${name}_beta_Mul`, `${name}_bias`);
}

/** Packs [N, K] unsigned values into [N, blocks, blockSize·bits/8] bytes (low nibble first; padding = zero point). */
function packBlocks(values: Int32Array, n: number, k: number, bs: number, bits: 4 | 8): Tensor {
  const blocks = Math.ceil(k / bs);
  const blob = (bs * bits) / 8;
  const zp = bits === 4 ? 8 : 128;
  const out = new Uint8Array(n * blocks * blob);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < blocks * bs; c++) {
      const v = c < k ? values[r * k + c]! : zp;
      const at = r * blocks * bs + c;
      if (bits === 8) out[at] = v;
      else out[at >> 1]! |= (v & 0x0f) << ((at & 1) * 4);
    }
  }
  return Tensor.fromTyped('uint8', [n, blocks, blob], out);
}
