/**
 * The one table of shape rules, keyed by domain, op type and the opset version a rule applies from. A row with
 * `since: 13` covers opsets 13 and up until a row for the same op with a larger `since`; that is how ops whose
 * attributes became inputs (Reshape 5, Slice 10, TopK 10, Pad 11, Squeeze/Unsqueeze/Split/ReduceSum 13, the other
 * Reduce* 18) get one rule per form. Adding an op means adding a row here; nothing registers itself on import.
 */
import * as C from './rules/constant.js';
import * as V from './rules/conv.js';
import * as E from './rules/elementwise.js';
import * as M from './rules/matmul.js';
import * as N from './rules/norm.js';
import * as P from './rules/pool.js';
import * as D from './rules/reduce.js';
import * as R from './rules/reshape.js';
import * as S from './rules/slicing.js';
import * as G from './rules/spatial.js';
import type { ShapeRule } from './types.js';
import { OpTable } from '../op-table.js';

/** One row of the table. `domain` '' is ai.onnx. */
export interface ShapeRuleEntry {
  readonly domain: string;
  readonly opType: string;
  /** First opset version of the domain this rule applies to. */
  readonly since: number;
  readonly rule: ShapeRule;
}

const MS = 'com.microsoft';

function row(opType: string, rule: ShapeRule, since = 1, domain = ''): ShapeRuleEntry {
  return { domain, opType, since, rule };
}

function rows(opTypes: readonly string[], rule: ShapeRule, since = 1): ShapeRuleEntry[] {
  return opTypes.map((op) => row(op, rule, since));
}

/** Reductions whose `axes` became an input at opset 18 (ReduceSum moved at 13). */
const REDUCE_18 = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum',
  'ReduceLogSumExp', 'ReduceSumSquare'];

/** Every shape rule. */
export const SHAPE_RULES: readonly ShapeRuleEntry[] = [
  // elementwise.ts: unary maps
  row('Identity', E.identity), row('Neg', E.neg), row('Abs', E.abs), row('Floor', E.floor), row('Ceil', E.ceil),
  row('Relu', E.relu), row('Sqrt', E.sqrt), row('Sign', E.sign),
  ...rows(['Sigmoid', 'Tanh', 'Gelu', 'Erf', 'Exp', 'Log', 'Reciprocal', 'Round', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos',
    'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'Softplus', 'Softsign', 'Elu', 'Selu', 'Celu', 'LeakyRelu',
    'ThresholdedRelu', 'HardSigmoid', 'HardSwish', 'Mish', 'Shrink', 'Softmax', 'LogSoftmax', 'Hardmax', 'Clip',
    'CumSum', 'BitwiseNot', 'Trilu'], E.sameAsInput),
  ...rows(['Not', 'IsNaN', 'IsInf'], E.unaryBool),
  // elementwise.ts: broadcasting
  row('Add', E.add), row('Sub', E.sub), row('Mul', E.mul), row('Div', E.div), row('Pow', E.pow), row('Mod', E.mod),
  row('Max', E.max), row('Min', E.min),
  ...rows(['Sum', 'Mean', 'PRelu', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitShift'], E.broadcastSame),
  row('Equal', E.equal), row('Less', E.less), row('LessOrEqual', E.lessOrEqual), row('Greater', E.greater),
  row('GreaterOrEqual', E.greaterOrEqual), row('And', E.and), row('Or', E.or), row('Xor', E.xor),
  row('Where', E.where), row('Cast', E.cast), row('CastLike', E.castLike), row('Dropout', E.dropout),
  row('QuantizeLinear', E.quantizeLinear), row('DequantizeLinear', E.dequantizeLinear),
  row('DynamicQuantizeLinear', E.dynamicQuantizeLinear),
  row('Gelu', E.sameAsInput, 1, MS), row('FastGelu', E.sameAsInput, 1, MS), row('QuickGelu', E.sameAsInput, 1, MS),
  // conv.ts, pool.ts, norm.ts
  row('Conv', V.conv), row('ConvTranspose', V.convTranspose), row('ConvInteger', V.convInteger),
  row('QLinearConv', V.qlinearConv),
  ...rows(['MaxPool', 'AveragePool', 'LpPool'], P.pool),
  ...rows(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool'], P.globalPool),
  row('BatchNormalization', N.batchNorm), row('LayerNormalization', N.layerNorm),
  row('SoftmaxCrossEntropyLoss', N.crossEntropyLoss, 12), row('NegativeLogLikelihoodLoss', N.crossEntropyLoss, 12),
  ...rows(['InstanceNormalization', 'GroupNormalization', 'LRN', 'MeanVarianceNormalization'], N.sameAsX),
  // matmul.ts
  row('Gemm', M.gemm), row('MatMul', M.matmul), row('MatMulInteger', M.matmulInteger),
  row('QLinearMatMul', M.qlinearMatmul), row('FusedMatMul', M.fusedMatmul, 1, MS),
  // reshape.ts
  row('Reshape', R.reshapeAttr), row('Reshape', R.reshape, 5), row('Flatten', R.flatten), row('Transpose', R.transpose),
  row('Squeeze', R.squeezeAttr), row('Squeeze', R.squeeze, 13),
  row('Unsqueeze', R.unsqueezeAttr), row('Unsqueeze', R.unsqueeze, 13),
  // slicing.ts
  row('Slice', S.sliceAttr), row('Slice', S.slice, 10), row('Split', S.splitAttr), row('Split', S.split, 13),
  row('Concat', S.concat), row('Gather', S.gather), row('GatherElements', S.gatherElements), row('GatherND', S.gatherND),
  ...rows(['Scatter', 'ScatterElements', 'ScatterND'], S.scatter),
  // constant.ts
  row('Constant', C.constant), row('ConstantOfShape', C.constantOfShape), row('Shape', C.shape), row('Size', C.size),
  row('Range', C.range),
  // reduce.ts
  ...rows(REDUCE_18, D.reduceAttr), ...rows(REDUCE_18, D.reduce, 18),
  row('ReduceSum', D.reduceAttr), row('ReduceSum', D.reduce, 13),
  row('ArgMax', D.argReduce), row('ArgMin', D.argReduce), row('TopK', D.topKAttr), row('TopK', D.topK, 10),
  // spatial.ts
  row('Pad', G.padAttr), row('Pad', G.pad, 11), row('Tile', G.tile), row('Expand', G.expand), row('OneHot', G.oneHot, 9),
  row('Resize', G.resizeScalesInput, 10), row('Resize', G.resize, 11),
  row('Upsample', G.upsampleAttr, 7), row('Upsample', G.resizeScalesInput, 9),
];

const TABLE = new OpTable(SHAPE_RULES);

/**
 * The rule for an op at an opset: the row with the largest `since` not above `opset` (the newest row when the
 * model imports no opset for the domain). Undefined when the op has no rule.
 *
 * @example
 * ```ts
 * findShapeRule('', 'Squeeze', 11);   // the attribute-form rule
 * findShapeRule('', 'Squeeze', 13);   // the input-form rule
 * ```
 */
export function findShapeRule(domain: string, opType: string, opset: number | undefined): ShapeRule | undefined {
  return TABLE.find(domain, opType, opset)?.rule;
}
