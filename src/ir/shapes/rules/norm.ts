/** Shape rules for normalization: BatchNormalization, LayerNormalization, InstanceNormalization, GroupNormalization. */
import type { Dim } from '../../graph.js';
import { normAxis } from '../dims.js';
import type { OutputInfo, ShapeRule } from '../types.js';

/** BatchNormalization: Y like X; the training-mode outputs (running mean/var, saved stats) are `[C]`. */
export const batchNorm: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  const stat: OutputInfo = { dtype: ctx.dtype(3) ?? dtype, shape: x && x.length > 1 ? [x[1]!] : ctx.shape(1) };
  return [{ dtype, shape: x }, stat, stat, stat, stat];
};

/**
 * LayerNormalization: Y like X; Mean and InvStdDev keep the dims before `axis` and set the rest to 1, in the
 * `stash_type` dtype (float32).
 */
export const layerNorm: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  const stash = ctx.node.attrInt('stash_type', 1) === 1 ? 'float32' : dtype;
  if (!x) return [{ dtype }, { dtype: stash }, { dtype: stash }];
  const axis = normAxis(ctx, ctx.node.attrInt('axis', -1), x.length);
  const stats: Dim[] = x.map((d, i) => (i < axis ? d : 1));
  return [{ dtype, shape: x }, { dtype: stash, shape: stats }, { dtype: stash, shape: stats }];
};

/** InstanceNormalization, GroupNormalization, LRN, MeanVarianceNormalization: Y like X. */
export const sameAsX: ShapeRule = (ctx) => [{ dtype: ctx.dtype(0), shape: ctx.shape(0) }];

/**
 * SoftmaxCrossEntropyLoss / NegativeLogLikelihoodLoss: the loss is a scalar with reduction mean/sum, and the label
 * shape ([N] or [N, d1, ...]) with reduction none; SoftmaxCrossEntropyLoss's optional log_prob is like the scores.
 */
export const crossEntropyLoss: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const reduction = ctx.node.attrString('reduction', 'mean');
  const loss: OutputInfo = { dtype, shape: reduction === 'none' ? ctx.shape(1) : [] };
  return [loss, { dtype, shape: ctx.shape(0) }];
};
