/**
 * Shape rules for ops that grow or resample tensors: Pad (`pads` attribute before opset 11, input after, `axes`
 * from 18), Tile, Expand, Resize (constant scales or sizes) and Upsample.
 */
import type { Dim } from '../../graph.js';
import { allNumbers, broadcastShapes, fmtShape, normAxis } from '../dims.js';
import type { OutputInfo, ShapeContext, ShapeRule } from '../types.js';
import { mapBroadcast, numbers } from '../values.js';

function padWith(ctx: ShapeContext, pads: readonly number[] | undefined, axes: readonly number[] | undefined): readonly OutputInfo[] {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (!x || !pads) return [{ dtype, shape: x?.map(() => null) }];
  const ax = (axes ?? x.map((_, i) => i)).map((a) => normAxis(ctx, a, x.length));
  if (pads.length !== 2 * ax.length) ctx.fail(`pads has ${pads.length} entries; expected ${2 * ax.length}.`);
  const shape = [...x];
  ax.forEach((a, k) => {
    const d = x[a]!;
    const p = pads[k]! + pads[k + ax.length]!;
    shape[a] = typeof d === 'number' ? d + p : p === 0 ? d : null;
  });
  return [{ dtype, shape }];
}

/** Pad, opsets 1-10: `pads` (or opset 1's `paddings`) attribute. */
export const padAttr: ShapeRule = (ctx) => padWith(ctx, ctx.node.attrInts('pads') ?? ctx.node.attrInts('paddings'), undefined);

/** Pad, opset 11+: `pads` input 1, optional `axes` input 3. */
export const pad: ShapeRule = (ctx) => {
  const axes = ctx.has(3) ? numbers(ctx.value(3)) : undefined;
  if (ctx.has(3) && !axes) return padWith(ctx, undefined, undefined);
  return padWith(ctx, numbers(ctx.value(1)), axes);
};

/** Tile: each dim times its repeat count. */
export const tile: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  const reps = numbers(ctx.value(1));
  if (!x || !reps) return [{ dtype: ctx.dtype(0), shape: x?.map(() => null) }];
  if (reps.length !== x.length) ctx.fail(`repeats has ${reps.length} entries for input ${fmtShape(x)}.`);
  return [{ dtype: ctx.dtype(0), shape: x.map((d, i) => (typeof d === 'number' ? d * reps[i]! : reps[i] === 1 ? d : null)) }];
};

/** Expand: numpy broadcast of the input with the target shape (known values broadcast too). */
export const expand: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  const target = ctx.value(1);
  const dtype = ctx.dtype(0);
  if (!x || !target) {
    const len = ctx.shape(1)?.[0];
    return [{ dtype, shape: x && typeof len === 'number' ? new Array<Dim>(Math.max(len, x.length)).fill(null) : undefined }];
  }
  const shape = broadcastShapes(ctx, [x, target.data]);
  const v = ctx.value(0);
  const value = v && allNumbers(shape) ? mapBroadcast([v], shape, ([a]) => a ?? null) : undefined;
  return [{ dtype, shape, value }];
};

/** Output dims from sizes (exact) or scales (floor(dim · scale)) over `axes`. */
function resized(ctx: ShapeContext, sizes: readonly number[] | undefined, scales: readonly number[] | undefined): readonly OutputInfo[] {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  const given = sizes ?? scales;
  if (!x || !given) return [{ dtype, shape: x?.map(() => null) }];
  const axes = (ctx.node.attrInts('axes') ?? x.map((_, i) => i)).map((a) => normAxis(ctx, a, x.length));
  if (given.length !== axes.length) ctx.fail(`${sizes ? 'sizes' : 'scales'} has ${given.length} entries for ${axes.length} axes.`);
  const policy = ctx.node.attrString('keep_aspect_ratio_policy', 'stretch');
  if (sizes && policy !== 'stretch') return [{ dtype, shape: x.map(() => null) }];
  const shape = [...x];
  axes.forEach((a, k) => {
    const d = x[a]!;
    if (sizes) shape[a] = sizes[k]!;
    else shape[a] = typeof d === 'number' ? Math.floor(d * scales![k]!) : scales![k] === 1 ? d : null;
  });
  return [{ dtype, shape }];
}

/** A constant input that is present and non-empty (Resize passes '' or an empty tensor for "not given"). */
function given(ctx: ShapeContext, i: number): readonly number[] | undefined {
  if (!ctx.has(i)) return undefined;
  const v = numbers(ctx.value(i));
  return v && v.length > 0 ? v : undefined;
}

/** Resize, opset 11+: roi (1), scales (2), sizes (3). */
export const resize: ShapeRule = (ctx) => {
  const sizes = given(ctx, 3);
  const scales = given(ctx, 2);
  if (ctx.node.attrString('coordinate_transformation_mode', 'half_pixel') === 'tf_crop_and_resize' && !sizes) {
    return [{ dtype: ctx.dtype(0), shape: ctx.shape(0)?.map(() => null) }];
  }
  return resized(ctx, sizes, scales);
};

/** Resize opset 10 and Upsample 9: scales as input 1. */
export const resizeScalesInput: ShapeRule = (ctx) => resized(ctx, undefined, given(ctx, 1));

/** Upsample, opsets 7-8: `scales` attribute. */
export const upsampleAttr: ShapeRule = (ctx) => {
  const a = ctx.node.attributes.get('scales');
  return resized(ctx, undefined, a?.type === 'floats' ? a.value : undefined);
};

/**
 * OneHot (opset 9+): the indices' shape with `depth` inserted at `axis` (default -1, the end); the dtype of `values`.
 * Depth must be a known value for the new dim to be known.
 */
export const oneHot: ShapeRule = (ctx) => {
  const idx = ctx.shape(0);
  const dtype = ctx.dtype(2);
  if (!idx) return [{ dtype }];
  const depthValue = ctx.value(1)?.data[0];
  const depth: Dim = typeof depthValue === 'number' ? Math.trunc(depthValue) : null;
  const rank = idx.length + 1;
  const raw = ctx.node.attrInt('axis', -1);
  const axis = raw < 0 ? raw + rank : raw;
  if (axis < 0 || axis >= rank) ctx.fail(`axis ${raw} is out of range [${-rank}, ${rank - 1}].`);
  return [{ dtype, shape: [...idx.slice(0, axis), depth, ...idx.slice(axis)] }];
};
