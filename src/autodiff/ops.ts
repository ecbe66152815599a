/**
 * Small emitters for the ops whose form changed across opsets (axes and sizes moved from attributes to inputs), so
 * rules, the un-broadcast helper and the losses write one call and get the form their model's opset accepts.
 * @module
 */
import { SecateursError } from '../errors.js';
import type { DataType } from '../ir/dtype.js';
import type { Value } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import type { Emitter } from './types.js';

/** Axes given as numbers (become an attribute or an int64 initializer) or as an int64 value computed in the graph. */
export type Axes = readonly number[] | Value;

function isValue(a: readonly number[] | Value): a is Value {
  return !Array.isArray(a);
}

/** A 1-D int64 initializer (shapes, axes, starts and ends). */
export function i64(e: Emitter, values: readonly number[], name = 'const'): Value {
  return e.b.constI64(name, values);
}

function axesInput(e: Emitter, axes: Axes, op: string, inputSince: number): { input: Value | null; attr: readonly number[] | undefined } {
  if (e.opset >= inputSince) return { input: isValue(axes) ? axes : i64(e, axes, 'axes'), attr: undefined };
  if (isValue(axes)) {
    throw new SecateursError('AUTODIFF_UNSUPPORTED', `${op} at opset ${e.opset} takes axes as an attribute, but they are only known at run time here (axes as an input need opset ${inputSince}+).`);
  }
  return { input: null, attr: axes };
}

function reduce(e: Emitter, op: string, inputSince: number, x: Value, axes: Axes | undefined, keepdims: boolean): Value {
  if (axes !== undefined && !isValue(axes) && axes.length === 0) return x;
  const keep = keepdims ? 1 : 0;
  if (axes === undefined) return e.b.op(op, [x], { keepdims: keep });
  const a = axesInput(e, axes, op, inputSince);
  // noop_with_empty_axes: a run-time axes list may be empty (nothing broadcast), which must not mean "all axes".
  const noop = a.input && isValue(axes) ? 1 : undefined;
  return a.input ? e.b.op(op, [x, a.input], { keepdims: keep, noop_with_empty_axes: noop }) : e.b.op(op, [x], { axes: a.attr, keepdims: keep });
}

/** ReduceSum over `axes` (all axes when undefined; a no-op for an empty static list). Axes are inputs from opset 13. */
export function reduceSum(e: Emitter, x: Value, axes: Axes | undefined, keepdims: boolean): Value {
  return reduce(e, 'ReduceSum', 13, x, axes, keepdims);
}

/** ReduceMean over `axes` (all axes when undefined). Axes are inputs from opset 18. */
export function reduceMean(e: Emitter, x: Value, axes: Axes | undefined, keepdims: boolean): Value {
  return reduce(e, 'ReduceMean', 18, x, axes, keepdims);
}

/** Unsqueeze at `axes` (relative to the output rank). Axes are inputs from opset 13. */
export function unsqueeze(e: Emitter, x: Value, axes: Axes): Value {
  const a = axesInput(e, axes, 'Unsqueeze', 13);
  return e.b.op('Unsqueeze', a.input ? [x, a.input] : [x], { axes: a.attr });
}

/** Squeeze at `axes`. Axes are inputs from opset 13. */
export function squeeze(e: Emitter, x: Value, axes: Axes): Value {
  if (!isValue(axes) && axes.length === 0) return x;
  const a = axesInput(e, axes, 'Squeeze', 13);
  return e.b.op('Squeeze', a.input ? [x, a.input] : [x], { axes: a.attr });
}

/** Reshape to static dims (an int64 initializer) or to a shape computed in the graph. */
export function reshape(e: Emitter, x: Value, shape: readonly number[] | Value): Value {
  return e.b.op('Reshape', [x, isValue(shape) ? shape : i64(e, shape, 'shape')]);
}

/** Transpose with an explicit permutation. */
export function transpose(e: Emitter, x: Value, perm: readonly number[]): Value {
  return e.b.op('Transpose', [x], { perm });
}

/** A tensor of zeros of `dtype` with the shape held by the int64 value `shape`. */
export function zerosOfShape(e: Emitter, shape: Value, dtype: DataType): Value {
  return e.b.op('ConstantOfShape', [shape], { value: Tensor.fromArray(dtype, [1], [0]) });
}

/** Split along `axis` into `count` pieces of the given sizes (static numbers, or an int64 value from opset 13). */
export function split(e: Emitter, x: Value, axis: number, sizes: readonly number[] | Value, count: number): Value[] {
  if (e.opset >= 13) return e.b.opN('Split', [x, isValue(sizes) ? sizes : i64(e, sizes, 'split')], count, { axis });
  if (isValue(sizes)) {
    throw new SecateursError('AUTODIFF_UNSUPPORTED', `Split at opset ${e.opset} needs static sizes (sizes as an input need opset 13+).`);
  }
  return e.b.opN('Split', [x], count, { axis, split: sizes });
}

/** Pad with zeros; `pads` = [begin..., end...] for every axis (attribute before opset 11, input from 11). */
export function padZeros(e: Emitter, x: Value, pads: readonly number[] | Value): Value {
  if (e.opset >= 11) return e.b.op('Pad', [x, isValue(pads) ? pads : i64(e, pads, 'pads')]);
  if (isValue(pads)) throw new SecateursError('AUTODIFF_UNSUPPORTED', `Pad at opset ${e.opset} needs static pads.`);
  return e.b.op('Pad', [x], { pads, mode: 'constant' });
}

/** Numbers of a constant 1-D or 0-D value: an initializer or a Constant node's output; undefined otherwise. */
export function constNumbers(v: Value | undefined): number[] | undefined {
  if (!v) return undefined;
  if (v.constant) return v.constant.toNumbers();
  const p = v.producer;
  if (p?.opType !== 'Constant' || (p.domain !== '' && p.domain !== 'ai.onnx')) return undefined;
  const a = p.attributes.get('value') ?? p.attributes.get('value_ints') ?? p.attributes.get('value_int');
  if (!a) return undefined;
  if (a.type === 'tensor') return a.value.toNumbers();
  if (a.type === 'ints') return [...a.value];
  if (a.type === 'int') return [a.value];
  return undefined;
}

/** True when every dim is a known number. */
export function isStatic(dims: readonly unknown[] | undefined): dims is readonly number[] {
  return dims !== undefined && dims.every((d) => typeof d === 'number');
}
