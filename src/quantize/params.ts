/**
 * The numbers of quantization: integer ranges, scales and zero points, and tensors quantized per tensor, per channel
 * or per block with ONNX QuantizeLinear's arithmetic (`q = clamp(round_half_even(x / scale) + zero_point)`), so a
 * weight quantized here dequantizes in onnxruntime to exactly `(q - zero_point) · scale`.
 */
import { Tensor } from '../ir/tensor.js';

/** Integer element types a tensor can be quantized to. */
export type QuantType = 'int8' | 'uint8' | 'int4' | 'uint4';

/** The integers a type can hold. */
export interface QRange {
  readonly qmin: number;
  readonly qmax: number;
}

const RANGES: Readonly<Record<QuantType, QRange>> = {
  int8: { qmin: -128, qmax: 127 },
  uint8: { qmin: 0, qmax: 255 },
  int4: { qmin: -8, qmax: 7 },
  uint4: { qmin: 0, qmax: 15 },
};

/**
 * The integer range of a type; with `reduceRange`, one bit less (int8 [-64, 63], uint8 [0, 127]): what onnxruntime's
 * u8·s8 kernels need on AVX2 CPUs without VNNI, whose 16-bit pair sums saturate with full-range weights.
 *
 * @example
 * ```ts
 * qRange('int8');         // { qmin: -128, qmax: 127 }
 * qRange('int8', true);   // { qmin: -64, qmax: 63 }
 * ```
 */
export function qRange(type: QuantType, reduceRange = false): QRange {
  const r = RANGES[type];
  if (!reduceRange) return r;
  if (type === 'int8') return { qmin: -64, qmax: 63 };
  if (type === 'uint8') return { qmin: 0, qmax: 127 };
  throw new RangeError(`reduce-range applies to int8 and uint8, not ${type}.`);
}

/** Rounds half to even, as QuantizeLinear does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Scale and zero point of one channel (or of a whole tensor). The scale is a float32 value. */
export interface ScaleZero {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** How much of a type's range symmetric quantization uses. */
export interface SymmetricOptions {
  /** One bit less (see {@link qRange}); the same grid as `bits: 7` for 8-bit types. */
  readonly reduceRange?: boolean;
  /** Use only ±(2^(bits−1) − 1) of the type (e.g. 6 for a 63-level grid stored in int8); default the whole type. */
  readonly bits?: number;
}

/**
 * Symmetric parameters for values in [-maxAbs, maxAbs]: zero point 0 for signed types, the middle of the range for
 * unsigned ones (128 for uint8, 8 for uint4), and the range used symmetrically (int8: ±127, reduced ±63), so a zero
 * weight is exactly the zero point and dequantizes to exactly 0. A channel that is all zeros gets scale 1.
 *
 * @example
 * ```ts
 * symmetricParams(2.54, 'int8');                 // { scale: 0.02, zeroPoint: 0 }
 * symmetricParams(2.54, 'uint8');                // { scale: 0.02, zeroPoint: 128 }
 * symmetricParams(0.62, 'int8', { bits: 6 });    // { scale: 0.02, zeroPoint: 0 }: values in [-31, 31]
 * ```
 */
export function symmetricParams(maxAbs: number, type: QuantType, opts: SymmetricOptions = {}): ScaleZero {
  const { qmin, qmax } = qRange(type, opts.reduceRange ?? false);
  const zeroPoint = type === 'uint8' || type === 'uint4' ? (qmin + qmax + 1) / 2 : 0;
  const bits = opts.bits;
  if (bits !== undefined && !(Number.isInteger(bits) && bits >= 2 && bits <= 8)) throw new RangeError(`'bits' must be an integer in [2, 8], got ${bits}.`);
  const half = Math.min(qmax - zeroPoint, zeroPoint - qmin, bits !== undefined ? 2 ** (bits - 1) - 1 : Infinity);
  const scale = maxAbs > 0 && Number.isFinite(maxAbs) ? Math.fround(maxAbs / half) : 1;
  return { scale: scale > 0 ? scale : 1, zeroPoint };
}

/**
 * Asymmetric (affine) parameters for values in [rmin, rmax], the range first widened to contain 0 (so 0 is exact, as
 * zero padding and ReLU outputs need). An empty range gets scale 1.
 *
 * @example
 * ```ts
 * affineParams(0, 6, 'uint8');     // { scale: 6 / 255, zeroPoint: 0 }
 * affineParams(-1, 1, 'uint8');    // { scale: 2 / 255, zeroPoint: 127 }
 * ```
 */
export function affineParams(rmin: number, rmax: number, type: QuantType): ScaleZero {
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax) || rmin > rmax) {
    throw new RangeError(`a quantization range needs finite rmin <= rmax, got [${rmin}, ${rmax}].`);
  }
  const { qmin, qmax } = qRange(type);
  const lo = Math.min(rmin, 0);
  const hi = Math.max(rmax, 0);
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  if (!(scale > 0)) return { scale: 1, zeroPoint: type === 'uint8' || type === 'uint4' ? qmin : 0 };
  const zeroPoint = Math.min(qmax, Math.max(qmin, roundHalfEven(qmin - lo / scale)));
  return { scale, zeroPoint };
}

/** How a tensor's elements share parameters: one set, one per index of `axis`, or one per block along `axis`. */
export type Granularity =
  | { readonly kind: 'tensor' }
  | { readonly kind: 'channel'; readonly axis: number }
  | { readonly kind: 'block'; readonly axis: number; readonly blockSize: number };

/** A tensor quantized by {@link quantizeSymmetric}. */
export interface QuantizedTensor {
  /** The integers, row-major like the source (unpacked, one per element). */
  readonly values: Int32Array;
  /** Scales: one (dims []), one per channel ([C]) or per block (the source dims, `axis` cut to ceil(C / B)). */
  readonly scale: Tensor;
  /** Zero points, same dims as `scale`, of the quantized type. */
  readonly zeroPoint: Tensor;
  /** The integer tensor itself (int4/uint4 packed two per byte, low nibble first). */
  readonly quantized: Tensor;
  readonly type: QuantType;
}

/**
 * Quantizes float values symmetrically (see {@link symmetricParams}) at the given granularity. Zeros stay exactly
 * zero: they map to the zero point. `reduceRange` applies to int8/uint8.
 *
 * @example
 * ```ts
 * const w = Tensor.fromArray('float32', [2, 3], [0.5, -1, 0, 2, 0, -0.25]);
 * const q = quantizeSymmetric(w, 'int8', { kind: 'channel', axis: 0 });
 * Array.from(q.values);   // [64, -127, 0, 127, 0, -16]
 * ```
 */
export function quantizeSymmetric(w: Tensor, type: QuantType, granularity: Granularity, opts: SymmetricOptions = {}): QuantizedTensor {
  const data = w.toFloat32();
  const layout = blockLayout(w.dims, granularity);
  const maxAbs = new Float64Array(layout.groups);
  for (let i = 0; i < data.length; i++) {
    const g = layout.group(i);
    const a = Math.abs(data[i]!);
    if (a > maxAbs[g]!) maxAbs[g] = a;
  }
  const params = Array.from(maxAbs, (m) => symmetricParams(m, type, opts));
  const { qmin, qmax } = qRange(type, opts.reduceRange ?? false);
  const values = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const p = params[layout.group(i)]!;
    values[i] = Math.min(qmax, Math.max(qmin, roundHalfEven(data[i]! / p.scale) + p.zeroPoint));
  }
  const scale = Tensor.fromTyped('float32', layout.paramDims, Float32Array.from(params, (p) => p.scale));
  const zeroPoint = intTensor(type, layout.paramDims, Int32Array.from(params, (p) => p.zeroPoint));
  return { values, scale, zeroPoint, quantized: intTensor(type, w.dims, values), type };
}

/** Where each element's parameters are: `groups` sets, laid out with `paramDims`. */
interface BlockLayout {
  readonly groups: number;
  readonly paramDims: readonly number[];
  readonly group: (i: number) => number;
}

function blockLayout(dims: readonly number[], g: Granularity): BlockLayout {
  if (g.kind === 'tensor') return { groups: 1, paramDims: [], group: () => 0 };
  const axis = g.axis;
  if (!Number.isInteger(axis) || axis < 0 || axis >= dims.length) {
    throw new RangeError(`quantization axis must be in [0, ${dims.length - 1}] for a tensor of dims [${dims.join(', ')}], got ${axis}.`);
  }
  const c = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  if (g.kind === 'channel') return { groups: c, paramDims: [c], group: (i) => Math.floor(i / inner) % c };
  const b = g.blockSize;
  if (!Number.isInteger(b) || b < 1) throw new RangeError(`'blockSize' must be an integer >= 1, got ${b}.`);
  const nb = Math.ceil(c / b);
  const paramDims = dims.map((d, k) => (k === axis ? nb : d));
  return {
    groups: paramDims.reduce((a, x) => a * x, 1),
    paramDims,
    group: (i) => {
      const ci = Math.floor(i / inner) % c;
      const outer = Math.floor(i / (inner * c));
      return (outer * nb + Math.floor(ci / b)) * inner + (i % inner);
    },
  };
}

/**
 * A tensor of an integer type from integers (4-bit types packed two per byte, the first element in the low nibble, as
 * ONNX stores them).
 *
 * @example
 * ```ts
 * intTensor('int4', [3], Int32Array.from([1, -1, 7])).bytes();   // Uint8Array [0xf1, 0x07]
 * ```
 */
export function intTensor(type: QuantType | 'int32', dims: readonly number[], values: Int32Array): Tensor {
  switch (type) {
    case 'int8': return Tensor.fromTyped('int8', dims, Int8Array.from(values));
    case 'uint8': return Tensor.fromTyped('uint8', dims, Uint8Array.from(values));
    case 'int32': return Tensor.fromTyped('int32', dims, Int32Array.from(values));
    case 'int4': case 'uint4': {
      const bytes = new Uint8Array(Math.ceil(values.length / 2));
      for (let i = 0; i < values.length; i++) bytes[i >> 1]! |= (values[i]! & 0x0f) << ((i & 1) * 4);
      return new Tensor(type, dims, { kind: 'bytes', bytes });
    }
  }
}

/**
 * Dequantizes integers with per-group parameters: the reference `(q - zero_point) · scale` that DequantizeLinear
 * computes, for checks and error bounds.
 *
 * @example
 * ```ts
 * const q = quantizeSymmetric(w, 'int8', { kind: 'channel', axis: 0 });
 * const back = dequantize(q, w.dims, { kind: 'channel', axis: 0 });
 * ```
 */
export function dequantize(q: QuantizedTensor, dims: readonly number[], granularity: Granularity): Float32Array {
  const layout = blockLayout(dims, granularity);
  const scale = q.scale.toFloat32();
  const zp = zeroPoints(q);
  const out = new Float32Array(q.values.length);
  for (let i = 0; i < out.length; i++) {
    const g = layout.group(i);
    out[i] = Math.fround((q.values[i]! - zp[g]!) * scale[g]!);
  }
  return out;
}

function zeroPoints(q: QuantizedTensor): Int32Array {
  const t = q.zeroPoint;
  if (t.dtype === 'int4' || t.dtype === 'uint4') {
    const b = t.bytes();
    return Int32Array.from({ length: t.size }, (_, i) => {
      const nib = (b[i >> 1]! >> ((i & 1) * 4)) & 0x0f;
      return t.dtype === 'int4' && nib >= 8 ? nib - 16 : nib;
    });
  }
  return Int32Array.from(t.toNumbers());
}
