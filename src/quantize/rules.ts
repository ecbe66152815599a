/**
 * The layer ops quantization knows, one row each: where the weight and bias are, which weight axis holds the output
 * channels (the per-channel axis), and which modes can rewrite the op. A node whose op has no row is never quantized.
 *
 * | op | weight | channel axis of the weight | bias | dynamic | static | weight-only |
 * |---|---|---|---|---|---|---|
 * | Conv | 1: [out, in/g, k…] | 0 | 2 | ConvInteger | QDQ → QLinearConv | DequantizeLinear |
 * | ConvTranspose | 1: [in, out/g, k…] | 1 | 2 | — (no integer kernel) | QDQ, not fused on CPU (opt-in) | DequantizeLinear |
 * | Gemm transB=1 | 1: [out, in] | 0 | 2 | MatMulInteger | QDQ → QGemm | DequantizeLinear |
 * | Gemm transB=0 | 1: [in, out] | 1 | 2 | MatMulInteger | QDQ → QGemm | DequantizeLinear |
 * | MatMul, constant B | 1: [..., in, out] | r−1 | — | MatMulInteger | QDQ → QLinearMatMul | DequantizeLinear |
 */
import type { Node, Value } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';

/** The quantization modes. */
export type QuantizeMode = 'dynamic' | 'static' | 'fp16' | 'weight-only';

/** Modes that rewrite layers one by one (fp16 converts the whole graph). */
export type LayerMode = Exclude<QuantizeMode, 'fp16'>;

/** How one op reads its weight. */
export interface LayerRule {
  readonly opType: string;
  readonly weightSlot: number;
  readonly biasSlot: number | undefined;
  /** Input slot of the activation the weight multiplies. */
  readonly dataSlot: number;
  /** Axis of the weight indexing output channels, or a reason the node cannot be quantized. */
  readonly channelAxis: (node: Node, dims: readonly number[]) => number | string;
  /** Modes that can rewrite this op. */
  readonly modes: readonly LayerMode[];
}

const ALL: readonly LayerMode[] = ['dynamic', 'static', 'weight-only'];

/** The rule table. */
export const LAYER_RULES: readonly LayerRule[] = [
  { opType: 'Conv', weightSlot: 1, biasSlot: 2, dataSlot: 0, channelAxis: (_n, d) => (d.length >= 3 ? 0 : `weight has rank ${d.length}`), modes: ALL },
  {
    opType: 'ConvTranspose', weightSlot: 1, biasSlot: 2, dataSlot: 0,
    channelAxis: (n, d) => (d.length < 3 ? `weight has rank ${d.length}` : n.attrInt('group', 1) !== 1 ? 'grouped ConvTranspose' : 1),
    modes: ['static', 'weight-only'],
  },
  {
    opType: 'Gemm', weightSlot: 1, biasSlot: 2, dataSlot: 0,
    channelAxis: (n, d) => (d.length !== 2 ? `weight has rank ${d.length}` : n.attrInt('transA', 0) !== 0 ? 'transA=1' : n.attrInt('transB', 0) ? 0 : 1),
    modes: ALL,
  },
  { opType: 'MatMul', weightSlot: 1, biasSlot: undefined, dataSlot: 0, channelAxis: (_n, d) => (d.length === 2 ? 1 : `weight has rank ${d.length} (only 2-D weights are quantized)`), modes: ALL },
];

/** The rule for an ai.onnx op, if any. */
export function layerRule(node: Node): LayerRule | undefined {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return undefined;
  return LAYER_RULES.find((r) => r.opType === node.opType);
}

/** Op types each layer mode quantizes by default. */
export const DEFAULT_OP_TYPES: Readonly<Record<LayerMode, readonly string[]>> = {
  dynamic: ['Conv', 'Gemm', 'MatMul'],
  // ConvTranspose is opt-in: onnxruntime's CPU build has no QLinearConvTranspose, so its Q/DQ pairs stay (measured).
  static: ['Conv', 'Gemm', 'MatMul'],
  'weight-only': ['Gemm', 'MatMul'],
};

/** The constant behind a weight slot: an initializer, read directly or through Identity nodes. */
export function weightConstant(v: Value | undefined): { value: Value; tensor: Tensor } | undefined {
  let cur = v;
  while (cur) {
    if (cur.constant) return { value: cur, tensor: cur.constant };
    const p = cur.producer;
    if (!p || p.opType !== 'Identity' || (p.domain !== '' && p.domain !== 'ai.onnx')) return undefined;
    cur = p.input(0);
  }
  return undefined;
}
