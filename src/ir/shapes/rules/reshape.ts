/**
 * Shape rules for ops that rearrange dims without touching data: Reshape (attribute form before opset 5, input form
 * after; 0 and -1, allowzero), Flatten, Transpose, Squeeze and Unsqueeze (attribute form before opset 13, input
 * form after). Known values pass through, so shape tensors stay foldable.
 */
import type { Dim } from '../../graph.js';
import { allNumbers, fmtShape, normAxis, product } from '../dims.js';
import { fromMonomial, toMonomial } from '../symbolic.js';
import type { KnownValue, OutputInfo, ShapeContext, ShapeRule } from '../types.js';
import { numbers, transposeValue } from '../values.js';

/** Same data, new dims: keeps a known value when the new dims are all numbers. */
function reshaped(ctx: ShapeContext, shape: readonly Dim[] | undefined): OutputInfo {
  const v = ctx.value(0);
  const value: KnownValue | undefined = v && shape && allNumbers(shape) ? { dims: shape, data: v.data } : undefined;
  return { dtype: ctx.dtype(0), shape, value };
}

/** Splits dims into a numeric product and a list of symbols; undefined when a dim is unknown. */
function factor(dims: readonly Dim[]): { n: number; syms: string[] } | undefined {
  let n = 1;
  const syms: string[] = [];
  for (const d of dims) {
    const m = toMonomial(d);
    if (!m) return undefined;
    n *= m.coeff;
    syms.push(...m.syms);
  }
  return { n, syms };
}

/** The size a -1 entry stands for: input size / product of the other target dims, cancelling shared symbols. */
function solveMinusOne(ctx: ShapeContext, input: readonly Dim[], others: readonly Dim[]): Dim {
  const a = factor(input);
  const b = factor(others);
  if (!a || !b) return null;
  for (const s of b.syms) {
    const k = a.syms.indexOf(s);
    if (k < 0) return null;
    a.syms.splice(k, 1);
  }
  if (b.n === 0 || a.n % b.n !== 0) {
    if (a.syms.length === 0) ctx.fail(`cannot reshape ${fmtShape(input)} into ${fmtShape([...others, -1])}.`);
    return null;
  }
  return fromMonomial({ coeff: a.n / b.n, syms: a.syms });
}

/** Output dims of Reshape for a known target (elements may be symbols or unknown). */
export function reshapeDims(ctx: ShapeContext, input: readonly Dim[] | undefined, target: readonly Dim[], allowzero: boolean): Dim[] {
  const copy = (i: number): Dim => {
    if (!input) return null;
    return input[i] ?? ctx.fail(`target ${fmtShape(target)} copies dim ${i} that input ${fmtShape(input)} lacks.`);
  };
  const out: Dim[] = target.map((t, i) => (t === 0 && !allowzero ? copy(i) : t));
  const minus = out.flatMap((d, i) => (d === -1 ? [i] : []));
  if (minus.length > 1) ctx.fail(`target shape ${fmtShape(target)} has more than one -1.`);
  const m = minus[0];
  if (m !== undefined) out[m] = input ? solveMinusOne(ctx, input, out.filter((_, i) => i !== m)) : null;
  if (input && allNumbers(input) && allNumbers(out) && product(input) !== product(out)) {
    ctx.fail(`cannot reshape ${fmtShape(input)} (${product(input)} elements) into ${fmtShape(out)}.`);
  }
  return out;
}

/** Reshape, opset 5+: target from input 1. */
export const reshape: ShapeRule = (ctx) => {
  const target = ctx.value(1);
  const allowzero = ctx.node.attrInt('allowzero', 0) !== 0;
  if (!target) {
    const len = ctx.shape(1)?.[0];
    return [{ dtype: ctx.dtype(0), shape: typeof len === 'number' ? new Array<Dim>(len).fill(null) : undefined }];
  }
  return [reshaped(ctx, reshapeDims(ctx, ctx.shape(0), target.data, allowzero))];
};

/** Reshape, opsets 1-4: target from the `shape` attribute. */
export const reshapeAttr: ShapeRule = (ctx: ShapeContext) => {
  const target = ctx.node.attrInts('shape');
  if (!target) ctx.fail(`attribute 'shape' is required before opset 5.`);
  return [reshaped(ctx, reshapeDims(ctx, ctx.shape(0), target, false))];
};

/** Flatten: `[prod(dims[:axis]), prod(dims[axis:])]`. */
export const flatten: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  if (!x) return [{ dtype: ctx.dtype(0) }];
  const raw = ctx.node.attrInt('axis', 1);
  const axis = raw === x.length ? raw : normAxis(ctx, raw, x.length);
  return [reshaped(ctx, [product(x.slice(0, axis)), product(x.slice(axis))])];
};

/** Transpose: `perm` (default: reversed dims). */
export const transpose: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  if (!x) return [{ dtype: ctx.dtype(0) }];
  const perm = ctx.node.attrInts('perm') ?? x.map((_, i) => x.length - 1 - i);
  if (perm.length !== x.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    ctx.fail(`perm [${perm.join(', ')}] is not a permutation of the ${x.length} input dims.`);
  }
  const v = ctx.value(0);
  return [{ dtype: ctx.dtype(0), shape: perm.map((p) => x[p]!), value: v ? transposeValue(v, perm) : undefined }];
};

/** Axes from the attribute (early opsets) or input 1 (later); `null` means "not given", undefined "unknown". */
function axesOf(ctx: ShapeContext, fromInput: boolean): readonly number[] | null | undefined {
  if (!fromInput) return ctx.node.attrInts('axes') ?? null;
  if (!ctx.has(1)) return null;
  return numbers(ctx.value(1));
}

function squeezeWith(ctx: ShapeContext, fromInput: boolean): readonly OutputInfo[] {
  const x = ctx.shape(0);
  const axes = axesOf(ctx, fromInput);
  if (!x || axes === undefined) return [{ dtype: ctx.dtype(0) }];
  if (axes === null) {
    if (!allNumbers(x)) return [{ dtype: ctx.dtype(0) }];
    return [reshaped(ctx, x.filter((d) => d !== 1))];
  }
  const drop = new Set(axes.map((a) => normAxis(ctx, a, x.length)));
  for (const a of drop) {
    if (typeof x[a] === 'number' && x[a] !== 1) ctx.fail(`cannot squeeze axis ${a} of size ${String(x[a])} in ${fmtShape(x)}.`);
  }
  return [reshaped(ctx, x.filter((_, i) => !drop.has(i)))];
}

function unsqueezeWith(ctx: ShapeContext, fromInput: boolean): readonly OutputInfo[] {
  const x = ctx.shape(0);
  const axes = axesOf(ctx, fromInput);
  if (axes === null) ctx.fail('Unsqueeze needs axes.');
  if (!x || axes === undefined) return [{ dtype: ctx.dtype(0) }];
  const rank = x.length + axes.length;
  const ins = new Set(axes.map((a) => normAxis(ctx, a, rank)));
  if (ins.size !== axes.length) ctx.fail(`axes [${axes.join(', ')}] repeat an axis.`);
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(ins.has(i) ? 1 : x[k++]!);
  return [reshaped(ctx, out)];
}

/** Squeeze, opsets 1-12 (`axes` attribute). */
export const squeezeAttr: ShapeRule = (ctx) => squeezeWith(ctx, false);
/** Squeeze, opset 13+ (`axes` input). */
export const squeeze: ShapeRule = (ctx) => squeezeWith(ctx, true);
/** Unsqueeze, opsets 1-12 (`axes` attribute). */
export const unsqueezeAttr: ShapeRule = (ctx) => unsqueezeWith(ctx, false);
/** Unsqueeze, opset 13+ (`axes` input). */
export const unsqueeze: ShapeRule = (ctx) => unsqueezeWith(ctx, true);
