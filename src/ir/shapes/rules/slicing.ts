/**
 * Shape rules for ops that select or join parts of tensors: Slice (attributes before opset 10, inputs after;
 * negative and INT64_MAX bounds, steps), Split (`split` attribute, `split` input from opset 13, `num_outputs` from
 * 18), Concat, Gather, GatherElements, GatherND and the Scatter family. Known values are sliced, split, joined and
 * gathered too.
 */
import type { Dim } from '../../graph.js';
import { fmtShape, normAxis, unify } from '../dims.js';
import type { KnownValue, OutputInfo, ShapeContext, ShapeRule } from '../types.js';
import { concatValue, gatherValue, numbers, pickValue } from '../values.js';

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Indices one Slice axis of size `d` keeps, with bounds clamped as the ONNX spec says. */
function sliceIndices(d: number, start: number, end: number, step: number): number[] {
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  const out: number[] = [];
  if (step > 0) {
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, 0), d);
    for (let i = s; i < e; i += step) out.push(i);
  } else {
    s = Math.min(Math.max(s, 0), d - 1);
    e = Math.min(Math.max(e, -1), d - 1);
    for (let i = s; i > e; i += step) out.push(i);
  }
  return out;
}

interface SliceSpec {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  readonly axes: readonly number[] | undefined;
  readonly steps: readonly number[] | undefined;
}

function sliceWith(ctx: ShapeContext, spec: SliceSpec | undefined): readonly OutputInfo[] {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (!x || !spec) return [{ dtype, shape: x && !spec ? x.map(() => null) : undefined }];
  const axes = (spec.axes ?? range(spec.starts.length)).map((a) => normAxis(ctx, a, x.length));
  if (spec.ends.length !== spec.starts.length || axes.length !== spec.starts.length) {
    ctx.fail(`starts/ends/axes have ${spec.starts.length}/${spec.ends.length}/${axes.length} entries; they must match.`);
  }
  const picks: (number[] | undefined)[] = x.map((d) => (typeof d === 'number' ? range(d) : undefined));
  const shape: Dim[] = [...x];
  axes.forEach((a, k) => {
    const step = spec.steps?.[k] ?? 1;
    if (step === 0) ctx.fail(`step ${k} is 0.`);
    const d = x[a]!;
    const start = spec.starts[k]!;
    const end = spec.ends[k]!;
    if (typeof d !== 'number') {
      // A symbolic axis survives only the full slice [0, INT64_MAX) step 1.
      shape[a] = start === 0 && step === 1 && end >= 2 ** 31 - 1 ? d : null;
      return;
    }
    picks[a] = sliceIndices(d, start, end, step);
    shape[a] = picks[a]!.length;
  });
  const v = ctx.value(0);
  const value = v && picks.every((p) => p !== undefined) ? pickValue(v, picks as number[][]) : undefined;
  return [{ dtype, shape, value }];
}

/** Slice, opset 10+: starts, ends, axes, steps as inputs 1-4. */
export const slice: ShapeRule = (ctx) => {
  const starts = numbers(ctx.value(1));
  const ends = numbers(ctx.value(2));
  const axes = ctx.has(3) ? numbers(ctx.value(3)) : undefined;
  const steps = ctx.has(4) ? numbers(ctx.value(4)) : undefined;
  const known = starts && ends && (!ctx.has(3) || axes) && (!ctx.has(4) || steps);
  // Without an axes input the axes are 0..n-1 for n starts (or ends), which a run-time bound leaves countable.
  const count = (starts ?? ends)?.length;
  const sliced = ctx.has(3) ? axes : count !== undefined ? range(count) : undefined;
  if (!known && sliced) return sliceUnknownBounds(ctx, sliced);
  return sliceWith(ctx, known ? { starts, ends, axes, steps } : undefined);
};

/** Bounds known only at run time on known axes: those axes become unknown, every other axis keeps its dim. */
function sliceUnknownBounds(ctx: ShapeContext, axes: readonly number[]): readonly OutputInfo[] {
  const x = ctx.shape(0);
  if (!x) return [{ dtype: ctx.dtype(0), shape: undefined }];
  const sliced = new Set(axes.map((a) => normAxis(ctx, a, x.length)));
  return [{ dtype: ctx.dtype(0), shape: x.map((d, i) => (sliced.has(i) ? null : d)) }];
}

/** Slice, opsets 1-9: starts, ends, axes as attributes. */
export const sliceAttr: ShapeRule = (ctx: ShapeContext) => {
  const starts = ctx.node.attrInts('starts');
  const ends = ctx.node.attrInts('ends');
  if (!starts || !ends) ctx.fail(`attributes 'starts' and 'ends' are required before opset 10.`);
  return sliceWith(ctx, { starts, ends, axes: ctx.node.attrInts('axes'), steps: undefined });
};

/** Split sizes when neither `split` nor `num_outputs` is given: equal parts, one per output. */
function splitSizes(ctx: ShapeContext, d: Dim, given: readonly number[] | null | undefined): (number | null)[] | undefined {
  const parts = ctx.node.outputs.length;
  if (given) return [...given];
  if (given === undefined) return undefined;
  if (typeof d !== 'number') return new Array<null>(parts).fill(null);
  const n = ctx.node.attrInt('num_outputs');
  if (n !== undefined) {
    const size = Math.ceil(d / n);
    return range(n).map((i) => Math.max(0, Math.min(size, d - i * size)));
  }
  if (d % parts !== 0) ctx.fail(`cannot split dim of size ${d} into ${parts} equal parts.`);
  return new Array<number>(parts).fill(d / parts);
}

function splitWith(ctx: ShapeContext, given: readonly number[] | null | undefined): readonly OutputInfo[] {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (!x) return ctx.node.outputs.map(() => ({ dtype }));
  const axis = normAxis(ctx, ctx.node.attrInt('axis', 0), x.length);
  const sizes = splitSizes(ctx, x[axis]!, given);
  if (!sizes) return ctx.node.outputs.map(() => ({ dtype }));
  const d = x[axis]!;
  if (typeof d === 'number' && sizes.every((s) => s !== null) && sizes.reduce((a, b) => a + b, 0) !== d) {
    ctx.fail(`split sizes [${sizes.join(', ')}] do not add up to dim ${axis} of ${fmtShape(x)}.`);
  }
  const v = ctx.value(0);
  let offset = 0;
  return sizes.map((s) => {
    const shape = x.map((dd, i) => (i === axis ? s : dd));
    const start = offset;
    const picks = x.map((dd, i) => {
      if (i === axis) return s === null ? undefined : range(s).map((k) => k + start);
      return typeof dd === 'number' ? range(dd) : undefined;
    });
    offset += s ?? 0;
    const value = v && picks.every((p) => p !== undefined) ? pickValue(v, picks as number[][]) : undefined;
    return { dtype, shape, value };
  });
}

/** Split, opsets 1-12: `split` attribute. */
export const splitAttr: ShapeRule = (ctx) => splitWith(ctx, ctx.node.attrInts('split') ?? null);
/** Split, opset 13+: `split` input (or `num_outputs` from 18). */
export const split: ShapeRule = (ctx) => splitWith(ctx, ctx.has(1) ? numbers(ctx.value(1)) : null);

/** Concat: dims along `axis` add up; the others must agree. */
export const concat: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const slots = ctx.node.inputs.map((_, i) => i).filter((i) => ctx.has(i));
  const shapes = slots.map((i) => ctx.shape(i));
  if (shapes.some((s) => s === undefined) || shapes.length === 0) return [{ dtype }];
  const all = shapes as Dim[][];
  const rank = all[0]!.length;
  const axis = normAxis(ctx, ctx.node.attrInt('axis') ?? ctx.fail(`attribute 'axis' is required.`), rank);
  const out: Dim[] = [...all[0]!];
  for (const s of all.slice(1)) {
    if (s.length !== rank) ctx.fail(`inputs have different ranks: ${all.map(fmtShape).join(', ')}.`);
    s.forEach((d, i) => {
      if (i === axis) out[i] = typeof out[i] === 'number' && typeof d === 'number' ? out[i] + d : null;
      else {
        const u = unify(out[i]!, d);
        if (u === 'conflict') ctx.fail(`inputs differ outside axis ${axis}: ${all.map(fmtShape).join(', ')}.`);
        out[i] = u;
      }
    });
  }
  const values = slots.map((i) => ctx.value(i));
  const value = values.every((v) => v !== undefined) ? concatValue(values as KnownValue[], axis) : undefined;
  return [{ dtype, shape: out, value }];
};

/** Gather: `data[:axis] + indices + data[axis+1:]`. */
export const gather: ShapeRule = (ctx) => {
  const data = ctx.shape(0);
  const idx = ctx.shape(1);
  const dtype = ctx.dtype(0);
  if (!data || !idx) return [{ dtype }];
  const axis = normAxis(ctx, ctx.node.attrInt('axis', 0), data.length);
  const v = ctx.value(0);
  const iv = ctx.value(1);
  const value = v && iv ? gatherValue(v, iv, axis) : undefined;
  return [{ dtype, shape: [...data.slice(0, axis), ...idx, ...data.slice(axis + 1)], value }];
};

/** GatherElements: the indices' shape, the data's dtype. */
export const gatherElements: ShapeRule = (ctx) => [{ dtype: ctx.dtype(0), shape: ctx.shape(1) }];

/** GatherND: `data[:b] + indices[:-1] + data[b + indices[-1]:]`. */
export const gatherND: ShapeRule = (ctx) => {
  const data = ctx.shape(0);
  const idx = ctx.shape(1);
  const last = idx?.[idx.length - 1];
  if (!data || !idx || typeof last !== 'number') return [{ dtype: ctx.dtype(0) }];
  const b = ctx.node.attrInt('batch_dims', 0);
  return [{ dtype: ctx.dtype(0), shape: [...data.slice(0, b), ...idx.slice(b, -1), ...data.slice(b + last)] }];
};

/** ScatterND, ScatterElements, Scatter: like the data input. */
export const scatter: ShapeRule = (ctx) => [{ dtype: ctx.dtype(0), shape: ctx.shape(0) }];
