/**
 * The onnxruntime graph that turns one batch of a consumer's input X and target output Y into the sums of the normal
 * equations, in float64: PᵀP, PᵀY, Σ_rows P, Σ_rows Y and Σ_rows Y², where P holds one row per output position —
 * the input features of a Gemm/MatMul, or the im2col patch of a Conv (a depthwise conv with one-hot kernels gathers
 * every tap of every input channel: output channel c·∏k + t is input channel c shifted to kernel tap t, with the
 * consumer's strides, pads and dilations, so the patch columns are in the order of the weight's [c, k...] layout).
 * @module
 */
import { GraphBuilder, attr } from '../../ir/builder.js';
import type { Attribute, Model, Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';

/** How a consumer's input becomes rows. */
export type GramLayout =
  | { readonly kind: 'conv'; readonly channels: number; readonly kernel: readonly number[]; readonly attributes: ReadonlyMap<string, Attribute> }
  | { readonly kind: 'rows'; readonly features: number };

/** Names of the Gram model's outputs. */
export const GRAM_OUTPUTS = ['ptp', 'pty', 'sp', 'sy', 'yy'] as const;

/**
 * The Gram model of one consumer. Inputs: `x` (float32, the consumer's input, rank `xRank`), `y` (float32, its
 * target output of rank `yRank` with `outChannels` on axis `yAxis`). Outputs: {@link GRAM_OUTPUTS}, float64.
 *
 * @example
 * ```ts
 * const m = gramModel({ kind: 'rows', features: 800 }, 2, 2, 1, 500);
 * ```
 */
export function gramModel(layout: GramLayout, xRank: number, yRank: number, yAxis: number, outChannels: number): Model {
  const b = new GraphBuilder('lsq_gram');
  const x = b.input('x', 'float32', Array.from({ length: xRank }, (_, i) => `x${i}`));
  const y = b.input('y', 'float32', Array.from({ length: yRank }, (_, i) => `y${i}`));
  const p = toDouble(b, layout.kind === 'conv' ? patches(b, x, layout) : b.op('Reshape', [x, b.constI64('rows_shape', [-1, layout.features])]));
  const perm = [...Array.from({ length: yRank }, (_, i) => i).filter((i) => i !== yAxis), yAxis];
  const yr = toDouble(b, b.op('Reshape', [b.op('Transpose', [y], { perm }), b.constI64('y_shape', [-1, outChannels])]));
  const pt = b.op('Transpose', [p], { perm: [1, 0] });
  const axis0 = b.constI64('axis0', [0]);
  const outs = [
    b.op('MatMul', [pt, p]), b.op('MatMul', [pt, yr]),
    b.op('ReduceSum', [p, axis0], { keepdims: 0 }), b.op('ReduceSum', [yr, axis0], { keepdims: 0 }),
    b.op('ReduceSumSquare', [yr, axis0], { keepdims: 0 }),
  ];
  outs.forEach((v, i) => b.output(v, { name: GRAM_OUTPUTS[i]!, dtype: 'float64' }));
  return b.model(18);
}

function toDouble(b: GraphBuilder, v: Value): Value {
  return b.op('Cast', [v], { to: 11 });
}

/** [N, C, S...] → [N·∏S_out, C·∏k] im2col patches by a one-hot depthwise conv, then a transpose and reshape. */
function patches(b: GraphBuilder, x: Value, l: Extract<GramLayout, { kind: 'conv' }>): Value {
  const taps = l.kernel.reduce((a, k) => a * k, 1);
  const onehot = new Float32Array(l.channels * taps * taps);
  for (let c = 0; c < l.channels; c++) for (let t = 0; t < taps; t++) onehot[(c * taps + t) * taps + t] = 1;
  const w = b.initializer('onehot', Tensor.fromTyped('float32', [l.channels * taps, 1, ...l.kernel], onehot));
  const attrs: Record<string, Attribute> = {};
  for (const k of ['strides', 'pads', 'dilations', 'auto_pad']) {
    const a = l.attributes.get(k);
    if (a) attrs[k] = a;
  }
  attrs['kernel_shape'] = attr.ints(l.kernel);
  attrs['group'] = attr.int(l.channels);
  const cols = b.op('Conv', [x, w], attrs);
  const d = l.kernel.length;
  const perm = [0, ...Array.from({ length: d }, (_, i) => i + 2), 1];
  return b.op('Reshape', [b.op('Transpose', [cols], { perm }), b.constI64('patch_shape', [-1, l.channels * taps])]);
}
