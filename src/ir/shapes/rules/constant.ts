/**
 * Shape rules for ops that make tensors from attributes or shapes: Constant (value, value_float(s), value_int(s),
 * value_string(s)), ConstantOfShape, Shape (start/end), Size and Range. These are the sources of the known values
 * that shape arithmetic folds.
 */
import type { DataType } from '../../dtype.js';
import type { Dim } from '../../graph.js';
import { allNumbers, product } from '../dims.js';
import type { OutputInfo, ShapeRule } from '../types.js';
import { count, known, numbers, valueOfTensor } from '../values.js';

/** Constant: dtype, dims and (small numeric) contents from whichever value attribute is set. */
export const constant: ShapeRule = (ctx) => {
  for (const [name, a] of ctx.node.attributes) {
    switch (a.type) {
      case 'tensor': return [{ dtype: a.value.dtype, shape: [...a.value.dims], value: valueOfTensor(a.value) }];
      case 'float': return [{ dtype: 'float32', shape: [], value: { dims: [], data: [Math.fround(a.value)] } }];
      case 'floats': return [{ dtype: 'float32', shape: [a.value.length], value: known([a.value.length], a.value.map(Math.fround)) }];
      case 'int': return [{ dtype: 'int64', shape: [], value: { dims: [], data: [a.value] } }];
      case 'ints': return [{ dtype: 'int64', shape: [a.value.length], value: known([a.value.length], a.value) }];
      case 'string': return [{ dtype: 'string', shape: [] }];
      case 'strings': return [{ dtype: 'string', shape: [a.value.length] }];
      default:
        // sparse_value stays encoded in the IR: its dims are not readable here, so the output stays unknown.
        if (name === 'sparse_value') return [undefined];
    }
  }
  return ctx.fail('no value attribute (value, value_float(s), value_int(s), value_string(s)).');
};

/** Shape: int64 `[end - start]`, with the input's dims (symbols included) as its known value. */
export const shape: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  if (!x) return [{ dtype: 'int64' }];
  const r = x.length;
  const clamp = (i: number): number => Math.min(Math.max(i < 0 ? i + r : i, 0), r);
  const start = clamp(ctx.node.attrInt('start', 0));
  const end = clamp(ctx.node.attrInt('end', r));
  const dims = x.slice(start, Math.max(start, end));
  return [{ dtype: 'int64', shape: [dims.length], value: { dims: [dims.length], data: dims } }];
};

/** Size: int64 scalar, the element count. */
export const size: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  const n = x ? product(x) : null;
  return [{ dtype: 'int64', shape: [], value: n === null ? undefined : { dims: [], data: [n] } }];
};

/** ConstantOfShape: dims from input 0's known value, dtype and fill from the `value` attribute (float32 0). */
export const constantOfShape: ShapeRule = (ctx) => {
  const a = ctx.node.attributes.get('value');
  const fill = a?.type === 'tensor' ? a.value : undefined;
  const dtype: DataType = fill?.dtype ?? 'float32';
  const dims = ctx.value(0)?.data;
  if (!dims) {
    const len = ctx.shape(0)?.[0];
    return [{ dtype, shape: typeof len === 'number' ? new Array<Dim>(len).fill(null) : undefined }];
  }
  const out: OutputInfo = { dtype, shape: [...dims] };
  const f = fill ? valueOfTensor(fill)?.data[0] : 0;
  if (!allNumbers(dims) || f === undefined) return [out];
  return [{ ...out, value: known(dims, new Array<Dim>(count(dims)).fill(f)) }];
};

/** Range: `max(ceil((limit - start) / delta), 0)` elements when all three inputs are known. */
export const range: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const [start, limit, delta] = [0, 1, 2].map((i) => numbers(ctx.value(i))?.[0]);
  if (start === undefined || limit === undefined || delta === undefined) return [{ dtype, shape: [null] }];
  if (delta === 0) ctx.fail('delta is 0.');
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  return [{ dtype, shape: [n], value: known([n], Array.from({ length: n }, (_, i) => start + i * delta)) }];
};
