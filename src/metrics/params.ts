/**
 * Which constant tensors are parameters. A parameter is a constant tensor (an initializer, or the `value` of a
 * Constant node), reached from a node input through Identity and DequantizeLinear only, that is either
 *   - in a weight slot of a layer op (Conv/ConvTranspose/Gemm/MatMul weight and bias, normalization scale and
 *     bias, PRelu slope, the quantized forms), any numeric dtype; or
 *   - a float initializer with at least 2 elements read anywhere else (a bias Add, a LayerNorm gamma written
 *     out as Mul, a class token).
 * Not parameters: int64/bool constants (shapes, axes, indices), float scalars outside weight slots (epsilons, the
 * attention scale, Clip bounds), Constant-node tensors outside weight slots (traced constants), Resize scales,
 * quantization scales and zero points. BatchNormalization's running mean and variance are `buffer`s (PyTorch's
 * term: state, not trained). Each tensor is counted once, however many nodes read it, and belongs to the first
 * node that reads it in graph order.
 */
import { isFloat } from '../ir/dtype.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';

/** One parameter (or buffer) tensor and the node it is attributed to. */
export interface ParamTensor {
  /** Name of the value holding it (the initializer, or the Constant node's output). */
  readonly name: string;
  readonly tensor: Tensor;
  readonly kind: 'param' | 'buffer';
  /** First node (other than Identity / DequantizeLinear) that reads it. */
  readonly owner: Node;
  readonly nonzero: number;
}

const WEIGHT_SLOTS: Readonly<Record<string, readonly number[]>> = {
  Conv: [1, 2], ConvTranspose: [1, 2], Gemm: [0, 1, 2], MatMul: [0, 1], FusedMatMul: [0, 1], PRelu: [1],
  BatchNormalization: [1, 2], LayerNormalization: [1, 2], InstanceNormalization: [1, 2], GroupNormalization: [1, 2],
  ConvInteger: [1], MatMulInteger: [1], QLinearConv: [3, 8], QLinearMatMul: [3],
};
const BUFFER_SLOTS: Readonly<Record<string, readonly number[]>> = { BatchNormalization: [3, 4] };
const NON_PARAM_SLOTS: Readonly<Record<string, readonly number[]>> = {
  Resize: [1, 2, 3], Upsample: [1], Clip: [1, 2], Pad: [1, 2, 3], QuantizeLinear: [1, 2], Range: [0, 1, 2],
};
/** Nodes that pass a constant through: they never own parameters themselves. */
const TRANSPARENT = new Set(['Identity', 'DequantizeLinear', 'Constant']);

interface Source { readonly value: Value; readonly tensor: Tensor; readonly fromConstantNode: boolean; readonly quantized: boolean }

/** The constant a value comes from, through Identity and DequantizeLinear, or undefined for computed values. */
export function constantSource(v: Value): Source | undefined {
  let cur: Value | undefined = v;
  let quantized = false;
  while (cur) {
    if (cur.constant) return { value: cur, tensor: cur.constant, fromConstantNode: false, quantized };
    const p: Node | undefined = cur.producer;
    if (!p || (p.domain !== '' && p.domain !== 'ai.onnx')) return undefined;
    if (p.opType === 'Constant') {
      const a = p.attributes.get('value');
      return a?.type === 'tensor' ? { value: cur, tensor: a.value, fromConstantNode: true, quantized } : undefined;
    }
    if (p.opType !== 'Identity' && p.opType !== 'DequantizeLinear') return undefined;
    quantized ||= p.opType === 'DequantizeLinear';
    cur = p.input(0);
  }
  return undefined;
}

function classify(node: Node, slot: number, src: Source): 'param' | 'buffer' | undefined {
  const op = node.opType;
  if (src.tensor.dtype === 'string') return undefined;
  if (BUFFER_SLOTS[op]?.includes(slot)) return isFloat(src.tensor.dtype) ? 'buffer' : undefined;
  if (WEIGHT_SLOTS[op]?.includes(slot)) return 'param';
  if (src.fromConstantNode || NON_PARAM_SLOTS[op]?.includes(slot)) return undefined;
  if (!isFloat(src.tensor.dtype) && !src.quantized) return undefined;
  return src.tensor.size >= 2 ? 'param' : undefined;
}

/**
 * Every parameter and buffer tensor of a graph, in order of first use.
 *
 * @example
 * ```ts
 * const params = findParameters(model.graph).filter((p) => p.kind === 'param');
 * params.reduce((n, p) => n + p.tensor.size, 0);   // 266_610 for LeNet-300-100
 * ```
 */
export function findParameters(graph: Graph): ParamTensor[] {
  const found = new Map<Value, ParamTensor>();
  for (const node of graph.nodes) {
    if (TRANSPARENT.has(node.opType)) continue;
    node.inputs.forEach((v, slot) => {
      const src = v ? constantSource(v) : undefined;
      if (!src || found.has(src.value)) return;
      const kind = classify(node, slot, src);
      if (kind) found.set(src.value, { name: src.value.name, tensor: src.tensor, kind, owner: node, nonzero: countNonzero(src.tensor) });
    });
  }
  return [...found.values()];
}

/**
 * Number of nonzero elements of a tensor (negative zero counts as zero; NaN as nonzero).
 *
 * @example
 * ```ts
 * countNonzero(Tensor.fromArray('float32', [4], [0, 1, -0, 2]));   // 2
 * ```
 */
export function countNonzero(t: Tensor): number {
  switch (t.dtype) {
    case 'string': return 0;
    case 'float16': case 'bfloat16': return countWhere(t.view() as Uint16Array, (x) => (x & 0x7fff) !== 0);
    case 'float8e4m3fn': case 'float8e5m2': return countWhere(t.bytes(), (x) => (x & 0x7f) !== 0);
    case 'int4': case 'uint4': case 'float4e2m1': return countNibbles(t);
    case 'complex64': case 'complex128': return countPairs(t);
    case 'int64': case 'uint64': {
      let n = 0;
      for (const x of t.view() as BigInt64Array) if (x !== 0n) n++;
      return n;
    }
    default: return countWhere(t.view() as Float32Array, (x) => x !== 0);
  }
}

function countWhere(a: ArrayLike<number>, pred: (x: number) => boolean): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (pred(a[i]!)) n++;
  return n;
}

function countNibbles(t: Tensor): number {
  const b = t.bytes();
  const zeroBits = t.dtype === 'float4e2m1' ? 0x7 : 0xf;
  let n = 0;
  for (let i = 0; i < t.size; i++) if (((b[i >> 1]! >> ((i & 1) * 4)) & zeroBits) !== 0) n++;
  return n;
}

function countPairs(t: Tensor): number {
  const f = t.dtype === 'complex64' ? new Float32Array(t.bytes().slice().buffer) : new Float64Array(t.bytes().slice().buffer);
  let n = 0;
  for (let i = 0; i < f.length; i += 2) if (f[i] !== 0 || f[i + 1] !== 0) n++;
  return n;
}
