/**
 * Shape rules for elementwise ops: unary maps, numpy-broadcasting binary and variadic ops, comparisons, Where, Cast,
 * Dropout and the quantize/dequantize pair. Integer results are folded into known values so shape arithmetic
 * (`Gather(Shape(x)) * 4`) stays static.
 */
import { dtypeFromCode, isIntegral, type DataType } from '../../dtype.js';
import type { Dim } from '../../graph.js';
import { allNumbers, broadcastShapes, dimArith } from '../dims.js';
import type { KnownValue, OutputInfo, ShapeContext, ShapeRule } from '../types.js';
import { castElement, mapBroadcast } from '../values.js';

type Fold = (xs: Dim[], integral: boolean) => Dim;

function mapValue(v: KnownValue | undefined, fn: (x: Dim) => Dim): KnownValue | undefined {
  return v ? { dims: v.dims, data: v.data.map(fn) } : undefined;
}

function numeric(fn: (x: number) => number): (x: Dim) => Dim {
  return (x) => (typeof x === 'number' ? fn(x) : null);
}

/** Same dtype and shape as input 0; `fold` computes known values. */
function unary(fold?: (x: Dim) => Dim): ShapeRule {
  return (ctx) => [{ dtype: ctx.dtype(0), shape: ctx.shape(0), value: fold ? mapValue(ctx.value(0), fold) : undefined }];
}

/** Relu, Sigmoid, Softmax, Clip, ...: shape and dtype of input 0, nothing folded. */
export const sameAsInput: ShapeRule = unary();
/** Identity passes known values (symbols included) through. */
export const identity: ShapeRule = unary((x) => x);
export const neg: ShapeRule = unary(numeric((x) => -x));
export const abs: ShapeRule = unary(numeric(Math.abs));
export const floor: ShapeRule = unary(numeric(Math.floor));
export const ceil: ShapeRule = unary(numeric(Math.ceil));
export const relu: ShapeRule = unary(numeric((x) => Math.max(0, x)));
export const sqrt: ShapeRule = unary(numeric(Math.sqrt));
export const sign: ShapeRule = unary(numeric(Math.sign));

/** Not, IsNaN, IsInf: bool of input 0's shape. */
export const unaryBool: ShapeRule = (ctx) => [{
  dtype: 'bool', shape: ctx.shape(0),
  value: ctx.node.opType === 'Not' ? mapValue(ctx.value(0), numeric((x) => (x ? 0 : 1))) : undefined,
}];

/** Numpy broadcast of every present input; dtype from `dtypeOf`; folds when all inputs are known. */
function broadcasting(dtypeOf: (ctx: ShapeContext) => DataType | undefined, fold?: Fold): ShapeRule {
  return (ctx) => {
    const slots = ctx.node.inputs.map((_, i) => i).filter((i) => ctx.has(i));
    const dtype = dtypeOf(ctx);
    const shapes = slots.map((i) => ctx.shape(i));
    if (shapes.some((s) => s === undefined)) return [{ dtype }];
    const shape = broadcastShapes(ctx, shapes as Dim[][]);
    return [{ dtype, shape, value: foldBroadcast(ctx, slots, shape, fold) }];
  };
}

function foldBroadcast(ctx: ShapeContext, slots: number[], shape: Dim[], fold: Fold | undefined): KnownValue | undefined {
  if (!fold || !allNumbers(shape)) return undefined;
  const values = slots.map((i) => ctx.value(i));
  if (values.some((v) => v === undefined)) return undefined;
  const dtype = ctx.dtype(0);
  const integral = dtype !== undefined && isIntegral(dtype);
  return mapBroadcast(values as KnownValue[], shape, (xs) => fold(xs, integral));
}

const first = (ctx: ShapeContext): DataType | undefined => ctx.dtype(0);
const bool = (): DataType => 'bool';

function nums(fn: (xs: number[]) => number | boolean): Fold {
  return (xs) => (xs.every((x) => typeof x === 'number') ? Number(fn(xs as number[])) : null);
}

export const add: ShapeRule = broadcasting(first, ([a, b], i) => dimArith('add', a ?? null, b ?? null, i));
export const sub: ShapeRule = broadcasting(first, ([a, b], i) => dimArith('sub', a ?? null, b ?? null, i));
export const mul: ShapeRule = broadcasting(first, ([a, b], i) => dimArith('mul', a ?? null, b ?? null, i));
export const div: ShapeRule = broadcasting(first, ([a, b], i) => dimArith('div', a ?? null, b ?? null, i));
export const pow: ShapeRule = broadcasting(first, nums(([a, b]) => a! ** b!));
export const mod: ShapeRule = broadcasting(first, nums(([a, b]) => (b === 0 ? NaN : a! - b! * Math.floor(a! / b!))));
export const max: ShapeRule = broadcasting(first, nums((xs) => Math.max(...xs)));
export const min: ShapeRule = broadcasting(first, nums((xs) => Math.min(...xs)));
/** Sum, Mean, PRelu, bitwise ops: broadcast, not folded. */
export const broadcastSame: ShapeRule = broadcasting(first);

/** Equal also folds `N == N` for one symbol. */
export const equal: ShapeRule = broadcasting(bool, ([a, b]) => {
  if (a === null || b === null || a === undefined || b === undefined) return null;
  if (a === b) return 1;
  return typeof a === 'number' && typeof b === 'number' ? 0 : null;
});
export const less: ShapeRule = broadcasting(bool, nums(([a, b]) => a! < b!));
export const lessOrEqual: ShapeRule = broadcasting(bool, nums(([a, b]) => a! <= b!));
export const greater: ShapeRule = broadcasting(bool, nums(([a, b]) => a! > b!));
export const greaterOrEqual: ShapeRule = broadcasting(bool, nums(([a, b]) => a! >= b!));
export const and: ShapeRule = broadcasting(bool, nums(([a, b]) => a !== 0 && b !== 0));
export const or: ShapeRule = broadcasting(bool, nums(([a, b]) => a !== 0 || b !== 0));
export const xor: ShapeRule = broadcasting(bool, nums(([a, b]) => (a !== 0) !== (b !== 0)));

/** Where(cond, x, y): broadcast of all three, dtype of x. */
export const where: ShapeRule = broadcasting((ctx) => ctx.dtype(1) ?? ctx.dtype(2), ([c, x, y]) => {
  if (typeof c !== 'number') return x === y ? x ?? null : null;
  return (c !== 0 ? x : y) ?? null;
});

/** Cast: dtype from `to`, values converted. */
export const cast: ShapeRule = (ctx: ShapeContext) => {
  const code = ctx.node.attrInt('to');
  const dtype = code === undefined ? undefined : dtypeFromCode(code);
  if (dtype === undefined) ctx.fail(`attribute 'to' is ${code === undefined ? 'missing' : `an unknown type code ${code}`}.`);
  return [{ dtype, shape: ctx.shape(0), value: mapValue(ctx.value(0), (x) => castElement(x, dtype)) }];
};

/** CastLike: dtype of input 1. */
export const castLike: ShapeRule = (ctx) => {
  const dtype = ctx.dtype(1);
  return [{ dtype, shape: ctx.shape(0), value: dtype ? mapValue(ctx.value(0), (x) => castElement(x, dtype)) : undefined }];
};

/** Dropout: output and optional bool mask, both of the input's shape. */
export const dropout: ShapeRule = (ctx) => {
  const out: OutputInfo = { dtype: ctx.dtype(0), shape: ctx.shape(0) };
  return [out, { dtype: 'bool', shape: ctx.shape(0) }];
};

/** QuantizeLinear: dtype of the zero point (or `output_dtype`, default uint8), input 0's shape. */
export const quantizeLinear: ShapeRule = (ctx) => {
  const code = ctx.node.attrInt('output_dtype', 0);
  const dtype = ctx.has(2) ? ctx.dtype(2) : code !== 0 ? dtypeFromCode(code) : 'uint8';
  return [{ dtype, shape: ctx.shape(0) }];
};

/** DequantizeLinear: dtype of the scale (float32 before opset 19), input 0's shape. */
export const dequantizeLinear: ShapeRule = (ctx) => [{ dtype: ctx.dtype(1) ?? 'float32', shape: ctx.shape(0) }];

/** DynamicQuantizeLinear: uint8 y of x's shape, scalar float32 scale and uint8 zero point. */
export const dynamicQuantizeLinear: ShapeRule = (ctx) => [
  { dtype: 'uint8', shape: ctx.shape(0) }, { dtype: 'float32', shape: [] }, { dtype: 'uint8', shape: [] },
];
