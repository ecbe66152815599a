import type { Model, Value } from '../ir/graph.js';
import { batchNorm, conv, finishModel, globalPool, linear, relu6, startModel, type ZooContext, type ZooInfo, type ZooOptions } from './common.js';

/** Registry facts of {@link buildMobilenetV2Small}. */
export const MOBILENETV2_SMALL: ZooInfo = {
  name: 'mobilenetv2-small',
  description:
    'MobileNetV2-style net for 28x28x1: 3x3 /2 stem (16), five inverted residual blocks (expand 1x1 → depthwise 3x3 → ' +
    'project 1x1, BN and Relu6) 16→16, 16→24 /2, 24→24, 24→32 /2, 32→32, 1x1 conv to 128, GlobalAveragePool, Gemm 128→10.',
  inputShape: [1, 28, 28],
  dataset: 'fashion-mnist',
};

/** One inverted residual block setting: expansion t, in and out channels, stride. */
interface BlockSpec {
  readonly t: number;
  readonly inC: number;
  readonly outC: number;
  readonly stride: number;
}

/** The blocks, as MobileNetV2's (t, c, n, s) table unrolled for 28x28 inputs. */
const BLOCKS: readonly BlockSpec[] = [
  { t: 1, inC: 16, outC: 16, stride: 1 },
  { t: 4, inC: 16, outC: 24, stride: 2 },
  { t: 4, inC: 24, outC: 24, stride: 1 },
  { t: 4, inC: 24, outC: 32, stride: 2 },
  { t: 4, inC: 32, outC: 32, stride: 1 },
];

/** Conv (no bias) + BN in scope `name`, optionally followed by Relu6. */
function convBn(ctx: ZooContext, name: string, x: Value, s: { inC: number; outC: number; kernel: number; stride?: number; group?: number }, act: boolean): Value {
  return ctx.b.scope(name, () => {
    const y = ctx.b.scope('conv', () => conv(ctx, x, { ...s, pad: (s.kernel - 1) / 2, bias: false }));
    const z = ctx.b.scope('bn', () => batchNorm(ctx, y, s.outC));
    return act ? relu6(ctx, z) : z;
  });
}

/**
 * Inverted residual: 1x1 expand + BN + Relu6 (skipped when t = 1, as in MobileNetV2), 3x3 depthwise (group = hidden
 * channels) + BN + Relu6, 1x1 linear projection + BN; residual Add when stride 1 and in == out.
 */
function invertedResidual(ctx: ZooContext, x: Value, s: BlockSpec): Value {
  const hidden = s.inC * s.t;
  const e = s.t === 1 ? x : convBn(ctx, 'expand', x, { inC: s.inC, outC: hidden, kernel: 1 }, true);
  const d = convBn(ctx, 'depthwise', e, { inC: hidden, outC: hidden, kernel: 3, stride: s.stride, group: hidden }, true);
  const p = convBn(ctx, 'project', d, { inC: hidden, outC: s.outC, kernel: 1 }, false);
  return s.stride === 1 && s.inC === s.outC ? ctx.b.op('Add', [x, p]) : p;
}

/**
 * A MobileNetV2-style network (34,346 parameters, BatchNorm running statistics included): scopes `stem`,
 * `block0`…`block4`, `head`, `fc`. Relu6 is Clip(x, 0, 6).
 *
 * @example
 * ```ts
 * const model = buildMobilenetV2Small({ seed: 3 });
 * model.graph.nodes.some((n) => n.attrInt('group', 1) > 1);   // true (depthwise)
 * ```
 */
export function buildMobilenetV2Small(opts: ZooOptions = {}): Model {
  const ctx = startModel(MOBILENETV2_SMALL, opts);
  const { b } = ctx;
  let x = convBn(ctx, 'stem', ctx.input, { inC: 1, outC: 16, kernel: 3, stride: 2 }, true);
  BLOCKS.forEach((s, i) => {
    x = b.scope(`block${i}`, () => invertedResidual(ctx, x, s));
  });
  const last = BLOCKS[BLOCKS.length - 1]!.outC;
  const h = convBn(ctx, 'head', x, { inC: last, outC: 128, kernel: 1 }, true);
  const logits = b.scope('fc', () => linear(ctx, globalPool(ctx, h), 128, ctx.numClasses));
  return finishModel(ctx, MOBILENETV2_SMALL, logits, opts);
}
