/**
 * Gradient rules of ops that move or copy elements without arithmetic: reshapes (inverse reshape), Transpose (inverse
 * permutation), Cast (cast back), Expand and Tile (sum the copies), Dropout (the mask, scaled). Shape, indices and
 * repeat inputs are stop-gradient edges.
 * @module
 */
import { dtypeCode } from '../../ir/dtype.js';
import type { Value } from '../../ir/graph.js';
import { constNumbers, isStatic, reduceSum, reshape, transpose, unsqueeze } from '../ops.js';
import type { GradContext, GradRule } from '../types.js';

/** `dy` reshaped to the shape of `like` (a static initializer when known, else Shape(like)). */
export function reshapeLike(ctx: GradContext, dy: Value, like: Value): Value {
  const shape = ctx.shape(like);
  const fixed = isStatic(shape) && !shape.includes(0);
  return reshape(ctx, dy, fixed ? shape : ctx.b.op('Shape', [like]));
}

/** Identity: dX = dY. */
export const identity: GradRule = ({ dY: [dy] }) => [dy];

/** Flatten, Reshape, Squeeze, Unsqueeze: dX = Reshape(dY, shape(X)). */
export const reshapeBack: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  return [dy && reshapeLike(ctx, dy, ctx.x(0))];
};

/** Cast: the gradient cast back to the input's float type. */
export const cast: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const dtype = ctx.dtype(ctx.x(0));
  return [dtype === ctx.dtype(dy) ? dy : ctx.b.op('Cast', [dy], { to: dtypeCode(dtype) }, { dtype })];
};

/** Transpose: the inverse permutation (default perm: reversed axes). */
export const transposeBack: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const perm = ctx.node.attrInts('perm') ?? Array.from({ length: ctx.rank(ctx.x(0)) }, (_, i) => ctx.rank(ctx.x(0)) - 1 - i);
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => { inverse[p] = i; });
  return [transpose(ctx, dy, inverse)];
};

/** Expand: numpy broadcasting, so the copies are summed by un-broadcast. */
export const expand: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  return [dy && ctx.unbroadcast(dy, ctx.x(0))];
};

/**
 * Tile: Y = X repeated r_i times on axis i, so dY reshaped to [r0, d0, r1, d1, …] summed over the r axes is dX.
 * The interleaved shape is a constant when repeats and dims are known, else built from Shape(X) and the repeats.
 */
export const tile: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy) return [];
  const x = ctx.x(0);
  const rank = ctx.rank(x);
  const reps = constNumbers(ctx.x(1));
  const dims = ctx.shape(x);
  let target: readonly number[] | Value;
  if (reps && isStatic(dims)) {
    target = dims.flatMap((d, i) => [reps[i]!, d]);
  } else {
    const { b } = ctx;
    const pairs = b.op('Concat', [unsqueeze(ctx, ctx.x(1), [1]), unsqueeze(ctx, b.op('Shape', [x]), [1])], { axis: 1 });
    target = reshape(ctx, pairs, [-1]);
  }
  const axes = Array.from({ length: rank }, (_, i) => 2 * i);
  return [reduceSum(ctx, reshape(ctx, dy, target), axes, false)];
};

/**
 * Dropout. In inference mode (opsets before 12, or `training_mode` absent or false) it is the identity. In training
 * mode dX = dY·mask/(1−ratio), with the mask output materialized on the forward node; a run-time `training_mode`
 * selects between the two with Where.
 */
export const dropout: GradRule = (ctx) => {
  const [dy] = ctx.dY;
  if (!dy || ctx.opset < 12) return [dy];
  const { b, node } = ctx;
  const training = node.input(2);
  const mode = constNumbers(training);
  if (!training || (mode && mode[0] === 0)) return [dy];
  const dtype = ctx.dtype(dy);
  const mask = b.op('Cast', [ctx.y(1)], { to: dtypeCode(dtype) }, { dtype });
  const ratioValue = node.input(1);
  const ratio = ratioValue ? constNumbers(ratioValue) : [0.5];
  const scale = ratio
    ? ctx.scalar(1 / (1 - ratio[0]!), dy)
    : b.op('Reciprocal', [b.op('Sub', [ctx.scalar(1, dy), b.op('Cast', [ratioValue!], { to: dtypeCode(dtype) })])]);
  const scaled = b.op('Mul', [b.op('Mul', [dy, mask]), scale]);
  return [mode ? scaled : b.op('Where', [training, scaled, dy])];
};
