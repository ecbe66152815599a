/**
 * Gradient rules of fused loss ops found in exported training graphs.
 * @module
 */
import { dtypeCode } from '../../ir/dtype.js';
import type { Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { reduceSum, unsqueeze } from '../ops.js';
import type { GradRule } from '../types.js';

/**
 * SoftmaxCrossEntropyLoss (opset 12+; scores [N, C, d…], labels [N, d…], optional class weights): the gradient of
 * the loss output is (softmax − onehot)·wᵢ·dY, divided by Σwᵢ (or N·d…) for reduction 'mean'. Ignored labels get
 * wᵢ = 0. A gradient arriving at the log_prob output adds the LogSoftmax rule along axis 1.
 */
export const softmaxCrossEntropy: GradRule = (ctx) => {
  const [dLoss, dLogProb] = ctx.dY;
  if (!dLoss && !dLogProb) return [];
  const { b, node } = ctx;
  const scores = ctx.x(0);
  const dtype = ctx.dtype(scores);
  const logp = ctx.y(1);
  const p = b.op('Exp', [logp]);
  const grads: Value[] = [];
  if (dLoss) {
    let labels = ctx.x(1);
    if (ctx.dtype(labels) !== 'int64') labels = b.op('Cast', [labels], { to: dtypeCode('int64') }, { dtype: 'int64' });
    let weight: Value | undefined;
    const ignore = node.attrInt('ignore_index');
    if (ignore !== undefined) {
      const keep = b.op('Not', [b.op('Equal', [labels, b.scalar(ignore, 'int64')])]);
      labels = b.op('Where', [keep, labels, b.scalar(0, 'int64')]);
      weight = b.op('Cast', [keep], { to: dtypeCode(dtype) });
    }
    const classWeights = node.input(2);
    if (classWeights) {
      const picked = b.op('Gather', [classWeights, labels], { axis: 0 });
      weight = weight ? b.op('Mul', [weight, picked]) : picked;
    }
    const reduction = node.attrString('reduction', 'mean');
    let scale = dLoss;
    if (reduction === 'mean') {
      const count = weight ? reduceSum(ctx, weight, undefined, false) : b.op('Cast', [b.op('Size', [labels])], { to: dtypeCode(dtype) });
      scale = b.op('Div', [dLoss, count]);
    } else if (reduction !== 'sum' && reduction !== 'none') {
      ctx.fail(`unknown reduction '${reduction}' (expected 'none', 'sum' or 'mean').`);
    }
    const perSample = weight ? b.op('Mul', [weight, scale]) : scale;
    const spread = weight || reduction === 'none' ? unsqueeze(ctx, perSample, [1]) : perSample;
    const depth = b.op('Gather', [b.op('Shape', [scores]), b.scalar(1, 'int64')], { axis: 0 });
    const values = b.initializer('onehot_values', Tensor.fromArray('float32', [2], [0, 1]));
    const hot = b.op('OneHot', [labels, depth, values], { axis: 1 });
    const typed = dtype === 'float32' ? hot : b.op('Cast', [hot], { to: dtypeCode(dtype) });
    grads.push(b.op('Mul', [b.op('Sub', [p, typed]), spread]));
  }
  if (dLogProb) {
    grads.push(b.op('Sub', [dLogProb, b.op('Mul', [p, reduceSum(ctx, dLogProb, [1], true)])]));
  }
  return [grads.length === 2 ? b.op('Add', [grads[0]!, grads[1]!]) : grads[0]];
};
