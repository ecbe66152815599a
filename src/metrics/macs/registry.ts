/**
 * The one table of MAC rules, keyed by domain, op type and first opset. The linear ops have rules; the ops listed
 * under "no MACs" are counted as 0 by convention (Torch-Pruning, thop, fvcore): elementwise maps, normalization
 * (BatchNormalization folds into the preceding conv at export; LayerNorm is a handful of elementwise passes),
 * pooling, reductions and data movement. An op in neither list is reported as unsupported, never silently zero.
 */
import { OpTable } from '../../ir/op-table.js';
import * as C from './conv.js';
import * as L from './linear.js';
import type { MacRule } from './types.js';

/** One row of the table. `domain` '' is ai.onnx. */
export interface MacRuleEntry {
  readonly domain: string;
  readonly opType: string;
  readonly since: number;
  readonly rule: MacRule;
}

/** The rule of ops that do no multiply-accumulates under the convention above. */
export const noMacs: MacRule = () => 0;

const MS = 'com.microsoft';

function row(opType: string, rule: MacRule, domain = ''): MacRuleEntry {
  return { domain, opType, since: 1, rule };
}

const NO_MACS: Readonly<Record<string, readonly string[]>> = {
  elementwise: ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Max', 'Min', 'Sum', 'Mean', 'PRelu', 'Equal', 'Less',
    'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'Where', 'Relu', 'Sigmoid', 'Tanh', 'Gelu',
    'Erf', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Neg', 'Abs', 'Floor', 'Ceil', 'Round', 'Sign', 'Clip', 'LeakyRelu',
    'Elu', 'Selu', 'Celu', 'HardSigmoid', 'HardSwish', 'Softplus', 'Softsign', 'Mish', 'Softmax', 'LogSoftmax',
    'Hardmax', 'Sin', 'Cos', 'IsNaN', 'IsInf', 'Cast', 'CastLike', 'Identity', 'Dropout', 'QuantizeLinear',
    'DequantizeLinear', 'DynamicQuantizeLinear', 'CumSum', 'Trilu'],
  normalization: ['BatchNormalization', 'LayerNormalization', 'InstanceNormalization', 'GroupNormalization', 'LRN',
    'MeanVarianceNormalization'],
  pooling: ['MaxPool', 'AveragePool', 'LpPool', 'GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool'],
  reduction: ['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2',
    'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare', 'ArgMax', 'ArgMin', 'TopK'],
  movement: ['Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Concat', 'Split', 'Slice', 'Gather',
    'GatherElements', 'GatherND', 'Scatter', 'ScatterElements', 'ScatterND', 'Expand', 'Tile', 'Pad', 'Resize',
    'Upsample'],
  constants: ['Constant', 'ConstantOfShape', 'Shape', 'Size', 'Range'],
};

/** Every MAC rule. */
export const MAC_RULES: readonly MacRuleEntry[] = [
  row('Conv', C.conv), row('ConvInteger', C.conv), row('QLinearConv', C.qlinearConv),
  row('ConvTranspose', C.convTranspose),
  row('Gemm', L.gemm), row('MatMul', L.matmul), row('MatMulInteger', L.matmul), row('QLinearMatMul', L.qlinearMatmul),
  row('FusedMatMul', L.fusedMatmul, MS),
  ...Object.values(NO_MACS).flat().map((op) => row(op, noMacs)),
  row('Gelu', noMacs, MS), row('FastGelu', noMacs, MS),
];

const TABLE = new OpTable(MAC_RULES);

/**
 * The MAC rule of an op at an opset (the row with the largest `since` not above it), or undefined.
 *
 * @example
 * ```ts
 * findMacRule('', 'Conv', 17);    // the Conv rule
 * findMacRule('', 'Relu', 17);    // noMacs
 * findMacRule('', 'LSTM', 17);    // undefined: reported as unsupported
 * ```
 */
export function findMacRule(domain: string, opType: string, opset: number | undefined): MacRule | undefined {
  return TABLE.find(domain, opType, opset)?.rule;
}
