/**
 * Shape rules for reductions: Reduce* with `axes` as an attribute (ReduceSum before opset 13, the others before 18)
 * or as an input (keepdims, noop_with_empty_axes), ArgMax/ArgMin and TopK (`k` attribute before opset 10, input
 * after). Reductions of a whole 1-D known value (ReduceProd of a Shape) are folded.
 */
import type { Dim } from '../../graph.js';
import { normAxis } from '../dims.js';
import type { KnownValue, OutputInfo, ShapeContext, ShapeRule } from '../types.js';
import { numbers } from '../values.js';

const FOLDS: Readonly<Record<string, (xs: number[]) => number>> = {
  ReduceSum: (xs) => xs.reduce((a, b) => a + b, 0),
  ReduceProd: (xs) => xs.reduce((a, b) => a * b, 1),
  ReduceMax: (xs) => Math.max(...xs),
  ReduceMin: (xs) => Math.min(...xs),
};

function foldAll(ctx: ShapeContext, keep: boolean): KnownValue | undefined {
  const v = ctx.value(0);
  const xs = numbers(v);
  const fn = FOLDS[ctx.node.opType];
  if (!v || !xs || !fn || v.dims.length !== 1 || xs.length === 0) return undefined;
  return { dims: keep ? [1] : [], data: [fn(xs)] };
}

/** Reduces `axes` (null: all axes; [] with noop: none). */
function reduceWith(ctx: ShapeContext, axes: readonly number[] | null | undefined): readonly OutputInfo[] {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  const keep = ctx.node.attrInt('keepdims', 1) !== 0;
  if (!x || axes === undefined) return [{ dtype }];
  const noop = ctx.node.attrInt('noop_with_empty_axes', 0) !== 0;
  if (axes !== null && axes.length === 0 && noop) return [{ dtype, shape: x, value: ctx.value(0) }];
  const all = axes === null || axes.length === 0;
  const drop = new Set(all ? x.map((_, i) => i) : axes.map((a) => normAxis(ctx, a, x.length)));
  const shape: Dim[] = keep ? x.map((d, i) => (drop.has(i) ? 1 : d)) : x.filter((_, i) => !drop.has(i));
  return [{ dtype, shape, value: drop.size === x.length ? foldAll(ctx, keep) : undefined }];
}

/** Reduce*, attribute form: `axes` attribute. */
export const reduceAttr: ShapeRule = (ctx) => reduceWith(ctx, ctx.node.attrInts('axes') ?? null);

/** Reduce*, input form: `axes` input 1 (must be known when present). */
export const reduce: ShapeRule = (ctx) => reduceWith(ctx, ctx.has(1) ? numbers(ctx.value(1)) : null);

/** ArgMax / ArgMin: int64, `axis` reduced (kept as 1 with keepdims). */
export const argReduce: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  if (!x) return [{ dtype: 'int64' }];
  const axis = normAxis(ctx, ctx.node.attrInt('axis', 0), x.length);
  const keep = ctx.node.attrInt('keepdims', 1) !== 0;
  return [{ dtype: 'int64', shape: keep ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis) }];
};

function topKWith(ctx: ShapeContext, k: Dim | undefined): readonly OutputInfo[] {
  const x = ctx.shape(0);
  if (!x) return [{ dtype: ctx.dtype(0) }, { dtype: 'int64' }];
  const axis = normAxis(ctx, ctx.node.attrInt('axis', -1), x.length);
  const shape = x.map((d, i) => (i === axis ? k ?? null : d));
  return [{ dtype: ctx.dtype(0), shape }, { dtype: 'int64', shape }];
}

/** TopK, opsets 1-9: `k` attribute. */
export const topKAttr: ShapeRule = (ctx) => topKWith(ctx, ctx.node.attrInt('k'));
/** TopK, opset 10+: `K` input (a 1-element tensor). */
export const topK: ShapeRule = (ctx) => topKWith(ctx, ctx.value(1)?.data[0]);
