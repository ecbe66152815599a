/**
 * The one place broadcasting is undone: a gradient that has the broadcast (output) shape is summed back to the shape
 * of the operand that was broadcast. Every rule of an op that broadcasts calls this through `ctx.unbroadcast`.
 * @module
 */
import type { Dim, Value } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { i64, reduceSum, reshape, squeeze } from './ops.js';
import type { Emitter } from './types.js';

/** The axes a static un-broadcast sums over: `lead` leading axes that `like` lacks, and `ones` where it has size 1. */
export interface BroadcastAxes {
  readonly lead: number;
  readonly ones: readonly number[];
}

/**
 * Which axes of a gradient of shape `gradShape` must be summed to get back to `likeShape`, or undefined when the
 * shapes do not decide it (a symbolic dim of `like` that may or may not be 1). A like-dim of 1 is always summed (a
 * no-op when the gradient's dim is 1 too), so a symbolic batch dim is fine: `[C]` from `['N', C]` sums axis 0.
 *
 * @example
 * ```ts
 * broadcastAxes(['N', 8], [8]);          // { lead: 1, ones: [] }
 * broadcastAxes([2, 3, 4], [3, 1]);      // { lead: 1, ones: [2] }
 * broadcastAxes(['N', 8], ['M', 8]);     // undefined: M may be 1
 * ```
 */
export function broadcastAxes(gradShape: readonly Dim[] | undefined, likeShape: readonly Dim[] | undefined): BroadcastAxes | undefined {
  if (!gradShape || !likeShape || likeShape.length > gradShape.length) return undefined;
  const lead = gradShape.length - likeShape.length;
  const ones: number[] = [];
  for (let i = 0; i < likeShape.length; i++) {
    const l = likeShape[i]!;
    const g = gradShape[lead + i]!;
    if (l === 1) {
      if (g !== 1) ones.push(lead + i);
    } else if (typeof l !== 'number' && l !== g && g !== 1) {
      return undefined;
    }
  }
  return { lead, ones };
}

/**
 * Sums `grad` (static shape `gradShape`, if known) down to the shape of `like`. Static axes give one ReduceSum (plus a
 * Squeeze when size-1 axes are kept); unknown ones fall back to axes computed at run time,
 * `NonZero(Not(Equal(pad(Shape(like)), Shape(grad))))`, which needs opset 13 (ReduceSum axes as an input).
 *
 * @example
 * ```ts
 * // bias [C] added to h ['N', C]: dB = ReduceSum(dY, axes=[0], keepdims=0)
 * const dB = unbroadcast(e, dY, ['N', 8], bias, [8], fail);
 * ```
 */
export function unbroadcast(
  e: Emitter, grad: Value, gradShape: readonly Dim[] | undefined, like: Value, likeShape: readonly Dim[] | undefined,
  fail: (message: string) => never,
): Value {
  const axes = broadcastAxes(gradShape, likeShape);
  if (axes) return staticUnbroadcast(e, grad, axes);
  if (e.opset < 13) {
    fail(`cannot tell statically how '${like.name}' ${fmt(likeShape)} was broadcast to ${fmt(gradShape)}, and summing over run-time axes needs opset 13+; ` +
      'fix the symbolic dims (inferShapes with fixedDims) or convert the model to opset 13.');
  }
  return e.b.scope('unbroadcast', () => dynamicUnbroadcast(e, grad, gradShape, like, likeShape));
}

function staticUnbroadcast(e: Emitter, grad: Value, { lead, ones }: BroadcastAxes): Value {
  const leading = Array.from({ length: lead }, (_, i) => i);
  if (ones.length === 0) return reduceSum(e, grad, leading, false);
  const kept = reduceSum(e, grad, [...leading, ...ones], true);
  return squeeze(e, kept, leading);
}

function dynamicUnbroadcast(e: Emitter, grad: Value, gradShape: readonly Dim[] | undefined, like: Value, likeShape: readonly Dim[] | undefined): Value {
  const { b } = e;
  const sG = b.op('Shape', [grad]);
  const sX = b.op('Shape', [like]);
  let pad: Value;
  if (gradShape && likeShape) {
    pad = i64(e, new Array<number>(gradShape.length - likeShape.length).fill(1), 'ones');
  } else {
    const diff = b.op('Sub', [b.op('Shape', [sG]), b.op('Shape', [sX])]);
    pad = b.op('ConstantOfShape', [diff], { value: Tensor.fromArray('int64', [1], [1]) });
  }
  const padded = b.op('Concat', [pad, sX], { axis: 0 });
  const differs = b.op('Not', [b.op('Equal', [padded, sG])]);
  const axes = reshape(e, b.op('NonZero', [differs]), [-1]);
  const summed = reduceSum(e, grad, axes, true);
  return reshape(e, summed, sX);
}

function fmt(s: readonly Dim[] | undefined): string {
  return s ? `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '(unknown shape)';
}
