/**
 * The one table of channel propagation rules, keyed by domain, op type and opset range. Adding an op means adding a
 * row here (or passing rows in `DependencyOptions.rules`); nothing registers itself on import. An op without a row
 * blocks every group that reaches it, naming the op — it is never assumed to be elementwise.
 * @module
 */
import type { ChannelRule, ChannelRuleEntry, RuleContext, Seed } from './types.js';
import { castLike, clip, elementwiseBroadcast, elementwiseUnary } from './rules/elementwise.js';
import { conv, convSeeds, convTranspose, gemm, gemmSeeds, matmul, matmulSeeds } from './rules/linear.js';
import { argReduce, batchNorm, instanceNorm, layerNorm, mixes, reduce, softmax, softmaxLegacy } from './rules/norm.js';
import { recurrent, recurrentSeeds } from './rules/recurrent.js';
import { expand, noChannels, reshapeLike, transpose } from './rules/shape.js';
import { concat, gather, slice, split } from './rules/slicing.js';
import { pad, pool, resize } from './rules/spatial.js';

const MS = 'com.microsoft';

function row(opType: string, rule: ChannelRule, opts: { since?: number; until?: number; domain?: string; seeds?: (ctx: RuleContext) => readonly Seed[] } = {}): ChannelRuleEntry {
  return { domain: opts.domain ?? '', opType, since: opts.since ?? 1, ...(opts.until ? { until: opts.until } : {}), rule, ...(opts.seeds ? { seeds: opts.seeds } : {}) };
}

function rows(opTypes: readonly string[], rule: ChannelRule): ChannelRuleEntry[] {
  return opTypes.map((op) => row(op, rule));
}

/** Unary maps that keep every axis. */
const UNARY = ['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Gelu', 'Erf', 'Elu', 'Selu', 'Celu', 'HardSigmoid',
  'HardSwish', 'Softplus', 'Softsign', 'Mish', 'ThresholdedRelu', 'Exp', 'Log', 'Neg', 'Abs', 'Sqrt', 'Reciprocal',
  'Sin', 'Cos', 'Floor', 'Ceil', 'Round', 'Sign', 'Identity', 'Cast', 'Dropout', 'Not', 'IsNaN', 'IsInf'];

/** Broadcasting ops: every operand aligned from the right. */
const BROADCAST = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'PRelu', 'Where', 'Equal', 'Less',
  'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Mod'];

const REDUCE = ['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum',
  'ReduceLogSumExp', 'ReduceSumSquare'];

/** Every built-in channel rule. */
export const CHANNEL_RULES: readonly ChannelRuleEntry[] = [
  // linear.ts: sources and sinks
  row('Conv', conv, { seeds: convSeeds(0) }), row('ConvTranspose', convTranspose, { seeds: convSeeds(1) }),
  row('Gemm', gemm, { seeds: gemmSeeds }), row('MatMul', matmul, { seeds: matmulSeeds }),
  // recurrent.ts
  ...['LSTM', 'GRU', 'RNN'].map((op) => row(op, recurrent, { seeds: recurrentSeeds })),
  // elementwise.ts
  ...rows(UNARY, elementwiseUnary), ...rows(BROADCAST, elementwiseBroadcast),
  row('Clip', clip), row('CastLike', castLike),
  row('Gelu', elementwiseUnary, { domain: MS }), row('QuickGelu', elementwiseUnary, { domain: MS }),
  row('FastGelu', elementwiseBroadcast, { domain: MS }),
  // norm.ts
  row('BatchNormalization', batchNorm), row('InstanceNormalization', instanceNorm),
  row('LayerNormalization', layerNorm),
  row('GroupNormalization', mixes('GroupNormalization computes statistics over groups of channels; removing channels changes them')),
  row('LRN', mixes('LRN normalizes across neighbouring channels; removing channels changes the kept ones')),
  ...['Softmax', 'LogSoftmax', 'Hardmax'].flatMap((op) => [row(op, softmaxLegacy, { until: 12 }), row(op, softmax, { since: 13 })]),
  ...rows(REDUCE, reduce), row('ArgMax', argReduce), row('ArgMin', argReduce),
  // spatial.ts
  ...rows(['MaxPool', 'AveragePool', 'LpPool', 'GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool'], pool),
  row('Pad', pad), row('Resize', resize, { since: 10 }),
  // shape.ts
  row('Reshape', reshapeLike('reshape'), { since: 5 }), ...rows(['Flatten', 'Squeeze', 'Unsqueeze'], reshapeLike()),
  row('Transpose', transpose), row('Expand', expand), ...rows(['Shape', 'Size', 'Constant'], noChannels),
  // slicing.ts
  row('Concat', concat), row('Split', split), row('Slice', slice), row('Gather', gather),
];

/**
 * The rule row for an op at an opset: `extra` rows first, then the built-ins; among rows of one table, the one with
 * the largest `since` not above the opset and `until` not below it.
 *
 * @example
 * ```ts
 * findChannelRule('', 'Softmax', 11)?.rule;   // softmaxLegacy
 * findChannelRule('my.ops', 'Frobnicate', 1); // undefined: the group blocks, naming the op
 * ```
 */
export function findChannelRule(domain: string, opType: string, opset: number, extra: readonly ChannelRuleEntry[] = []): ChannelRuleEntry | undefined {
  const d = domain === 'ai.onnx' ? '' : domain;
  const pick = (table: readonly ChannelRuleEntry[]): ChannelRuleEntry | undefined => table
    .filter((e) => e.domain === d && e.opType === opType && e.since <= opset && (e.until === undefined || opset <= e.until))
    .sort((a, b) => b.since - a.since)[0];
  return pick(extra) ?? pick(builtinRows(d, opType));
}

let index: Map<string, ChannelRuleEntry[]> | undefined;

function builtinRows(domain: string, opType: string): readonly ChannelRuleEntry[] {
  if (!index) {
    index = new Map();
    for (const e of CHANNEL_RULES) {
      const key = `${e.domain}:${e.opType}`;
      index.set(key, [...(index.get(key) ?? []), e]);
    }
  }
  return index.get(`${domain}:${opType}`) ?? [];
}
