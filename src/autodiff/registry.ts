/**
 * The one table of gradient rules, keyed by domain, op type and opset range. A row with `since: 13` covers opsets 13
 * and up (until `until`, or a row for the same op with a larger `since`). Adding an op means adding a row here, in
 * the block of its family file; nothing registers itself on import. Custom rules go through the same lookup.
 * @module
 */
import { SecateursError } from '../errors.js';
import { OpTable } from '../ir/op-table.js';
import type { Node } from '../ir/graph.js';
import * as A from './rules/activations.js';
import * as E from './rules/elementwise.js';
import * as I from './rules/indexing.js';
import * as M from './rules/linear.js';
import * as L from './rules/loss.js';
import * as R from './rules/reduce.js';
import * as S from './rules/shape.js';
import * as X from './rules/softmax.js';
import { NN_GRAD_RULES } from './rules/table-nn.js';
import type { GradRule, GradRuleEntry } from './types.js';

const MS = 'com.microsoft';

function row(opType: string, rule: GradRule, opts: { since?: number; domain?: string; differentiable?: readonly number[] } = {}): GradRuleEntry {
  return { domain: opts.domain ?? '', opType, since: opts.since ?? 1, rule, ...(opts.differentiable ? { differentiable: opts.differentiable } : {}) };
}

const FIRST = [0] as const;

/**
 * Every built-in gradient rule. The formulations, in short:
 *
 * | op | gradient |
 * |---|---|
 * | Add, Sub, Mul, Div, Sum, Mean | elementwise, then un-broadcast (ReduceSum over broadcast axes) |
 * | Pow | e·aᵉ⁻¹·dY for the base; the exponent is stop-gradient |
 * | Sqrt, Exp, Log, Abs, Neg | dY/(2y), dY·y, dY/x, dY·sign(x), −dY |
 * | Max, Min (1–2 inputs), Where | dY routed by the comparison / condition |
 * | Relu, LeakyRelu, Sigmoid, Tanh, Clip | Where(y>0, dY, 0), Where(x>0, dY, α·dY), dY·y(1−y), dY(1−y²), masked dY |
 * | Erf, Gelu, FastGelu | dY·2/√π·e^(−x²), dY·(Φ(x)+x·φ(x)) (or the tanh form's derivative) |
 * | MatMul, Gemm | Gemm / FusedMatMul with transposes; batch axes un-broadcast |
 * | Softmax, LogSoftmax | y(dY − Σ dY·y), dY − e^y·Σ dY (axis semantics per opset) |
 * | Identity, Cast, Flatten, Reshape, Squeeze, Unsqueeze, Transpose | dY, cast back, reshape back, inverse perm |
 * | Expand, Tile | sum of the copies |
 * | Concat, Split, Slice, Pad | Split, Concat (zeros for missing), Pad (or index scatter), Pad with negated pads |
 * | Gather, GatherElements | ScatterND / ScatterElements with reduction 'add' (one-hot product before opset 16) |
 * | ReduceSum, ReduceMean | Expand(dY) (·1/n) |
 * | Dropout | identity in inference mode; dY·mask/(1−ratio) in training mode |
 * | SoftmaxCrossEntropyLoss | (softmax − onehot)·w/Σw |
 * | Floor, Ceil, Round, Sign | none (zero almost everywhere) |
 */
export const GRAD_RULES: readonly GradRuleEntry[] = [
  // rules/elementwise.ts
  row('Add', E.add), row('Sub', E.sub), row('Mul', E.mul), row('Div', E.div), row('Sum', E.add), row('Mean', E.mean),
  row('Neg', E.neg), row('Pow', E.pow, { differentiable: FIRST }), row('Sqrt', E.sqrt), row('Exp', E.exp),
  row('Log', E.log), row('Abs', E.abs), row('Max', E.max), row('Min', E.min),
  row('Where', E.where, { differentiable: [1, 2] }),
  row('Floor', E.none), row('Ceil', E.none), row('Round', E.none), row('Sign', E.none),
  // rules/activations.ts
  row('Relu', A.relu), row('LeakyRelu', A.leakyRelu), row('Sigmoid', A.sigmoid), row('Tanh', A.tanh),
  row('Clip', A.clip, { differentiable: FIRST }), row('Erf', A.erf), row('Gelu', A.gelu, { since: 20 }),
  row('Gelu', A.gelu, { domain: MS }), row('FastGelu', A.fastGelu, { domain: MS }),
  // rules/linear.ts
  row('MatMul', M.matmul), row('Gemm', M.gemm),
  // rules/softmax.ts
  row('Softmax', X.softmax), row('LogSoftmax', X.logSoftmax),
  // rules/shape.ts
  row('Identity', S.identity), row('Cast', S.cast), row('Flatten', S.reshapeBack),
  row('Reshape', S.reshapeBack, { differentiable: FIRST }), row('Squeeze', S.reshapeBack, { differentiable: FIRST }),
  row('Unsqueeze', S.reshapeBack, { differentiable: FIRST }), row('Transpose', S.transposeBack),
  row('Expand', S.expand, { differentiable: FIRST }), row('Tile', S.tile, { differentiable: FIRST }),
  row('Dropout', S.dropout, { differentiable: FIRST }),
  // rules/indexing.ts
  row('Concat', I.concat), row('Split', I.splitBack, { differentiable: FIRST }),
  row('Slice', I.sliceBack, { differentiable: FIRST }), row('Pad', I.padBack, { differentiable: FIRST }),
  row('Gather', I.gather, { differentiable: FIRST }), row('GatherElements', I.gatherElements, { differentiable: FIRST }),
  // rules/reduce.ts
  row('ReduceSum', R.reduceSum, { differentiable: FIRST }), row('ReduceMean', R.reduceMean, { differentiable: FIRST }),
  // rules/loss.ts
  row('SoftmaxCrossEntropyLoss', L.softmaxCrossEntropy, { since: 12, differentiable: FIRST }),
  // rules/table-nn.ts: Conv, ConvTranspose, pooling, normalization
  ...NN_GRAD_RULES,
];

function normDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}

/** The built-in table, indexed once. */
const BUILT_IN = new OpTable(GRAD_RULES);

/**
 * The row for an op at an opset: among the rows of `table` for that domain and op type whose range holds `opset`,
 * the one with the largest `since`. Undefined when there is none.
 *
 * @example
 * ```ts
 * findRule('', 'Softmax', 13)?.rule;             // the Softmax rule
 * findRule('', 'Gelu', 17);                      // undefined: ai.onnx Gelu exists from opset 20
 * findRule('com.microsoft', 'Gelu', 1)?.opType;  // 'Gelu'
 * ```
 */
export function findRule(domain: string, opType: string, opset: number, table: readonly GradRuleEntry[] = GRAD_RULES): GradRuleEntry | undefined {
  return (table === GRAD_RULES ? BUILT_IN : new OpTable(table)).find(domain, opType, opset);
}

/** Op types with a rule in `tables`, as 'Op' or 'domain:Op', sorted. */
export function opsWithRules(...tables: (readonly GradRuleEntry[])[]): string[] {
  const names = new Set<string>();
  for (const t of tables) for (const r of t) names.add(r.domain ? `${r.domain}:${r.opType}` : r.opType);
  return [...names].sort();
}

/** A node that needs a gradient rule and has none, with the opset of its domain. */
export interface MissingRule {
  readonly node: Node;
  readonly opset: number;
}

/**
 * The AUTODIFF_NO_RULE error for every node without a rule (collected, reported together), naming op, node and
 * opset, the opset range where a rule exists for another version, and the ops that have rules.
 */
export function missingRuleError(missing: readonly MissingRule[], custom: readonly GradRuleEntry[]): SecateursError {
  const tables = [custom, GRAD_RULES];
  const lines = missing.map(({ node, opset }) => {
    const domain = node.domain === '' ? 'ai.onnx' : node.domain;
    const other = tables.flat().filter((r) => r.opType === node.opType && normDomain(r.domain) === normDomain(node.domain));
    const hint = other.length > 0 ? ` (rules exist for opsets ${other.map((r) => `${r.since}${r.until ? `–${r.until}` : '+'}`).join(', ')})` : '';
    return `node '${node.name}' (${domain} ${node.opType}, opset ${opset}): no gradient rule${hint}`;
  });
  const list = lines.length === 1 ? lines[0]! : `${lines.length} nodes lack gradient rules:\n  - ${lines.join('\n  - ')}`;
  return new SecateursError('AUTODIFF_NO_RULE',
    `${list}\nOps with gradient rules: ${opsWithRules(...tables).join(', ')}. Pass a custom rule in options.rules to add one.`);
}
