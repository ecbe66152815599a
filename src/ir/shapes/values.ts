import { isFloat, type DataType } from '../dtype.js';
import type { Dim } from '../graph.js';
import type { Tensor } from '../tensor.js';
import { FOLD_LIMIT, type KnownValue } from './types.js';

/** Elements of a shape (1 for a scalar). */
export function count(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Row-major strides of a shape. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

/** The contents of a small numeric constant tensor, or undefined (strings, too large, unreadable dtypes). */
export function valueOfTensor(t: Tensor): KnownValue | undefined {
  if (t.dtype === 'string' || t.size > FOLD_LIMIT) return undefined;
  if (t.dtype === 'uint4' || t.dtype === 'int4' || t.dtype === 'float4e2m1' || t.dtype.startsWith('float8')) return undefined;
  if (t.dtype === 'complex64' || t.dtype === 'complex128') return undefined;
  return { dims: [...t.dims], data: t.toNumbers() };
}

/** The elements as plain numbers when every one is known, else undefined. */
export function numbers(v: KnownValue | undefined): number[] | undefined {
  if (!v || !v.data.every((d) => typeof d === 'number')) return undefined;
  return v.data as number[];
}

/** A known value when the result is small enough to keep. */
export function known(dims: readonly number[], data: readonly Dim[]): KnownValue | undefined {
  return data.length <= FOLD_LIMIT ? { dims: [...dims], data } : undefined;
}

/** Elementwise map over numpy-broadcast inputs into `outDims` (all inputs known). */
export function mapBroadcast(values: readonly KnownValue[], outDims: readonly number[], fn: (xs: Dim[]) => Dim): KnownValue | undefined {
  const n = count(outDims);
  if (n > FOLD_LIMIT) return undefined;
  const outStrides = strides(outDims);
  const plans = values.map((v) => {
    const off = outDims.length - v.dims.length;
    const s = strides(v.dims);
    return outDims.map((_, k) => (k < off || v.dims[k - off] === 1 ? 0 : s[k - off]!));
  });
  const data: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const xs = values.map((v, j) => {
      let idx = 0;
      let rest = i;
      for (let k = 0; k < outDims.length; k++) {
        const q = Math.floor(rest / outStrides[k]!);
        rest -= q * outStrides[k]!;
        idx += q * plans[j]![k]!;
      }
      return v.data[idx] ?? null;
    });
    data.push(fn(xs));
  }
  return { dims: [...outDims], data };
}

/** Gathers along `axis` with (already normalized, non-negative) indices. */
export function gatherValue(v: KnownValue, idx: KnownValue, axis: number): KnownValue | undefined {
  const indices = numbers(idx);
  if (!indices) return undefined;
  const outer = count(v.dims.slice(0, axis));
  const inner = count(v.dims.slice(axis + 1));
  const d = v.dims[axis]!;
  const data: Dim[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of indices) {
      const i = raw < 0 ? raw + d : raw;
      for (let k = 0; k < inner; k++) data.push(v.data[(o * d + i) * inner + k] ?? null);
    }
  }
  return known([...v.dims.slice(0, axis), ...idx.dims, ...v.dims.slice(axis + 1)], data);
}

/** Concatenation along `axis` (all parts known, same rank). */
export function concatValue(parts: readonly KnownValue[], axis: number): KnownValue | undefined {
  const first = parts[0];
  if (!first) return undefined;
  const outer = count(first.dims.slice(0, axis));
  const data: Dim[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = count(p.dims.slice(axis));
      data.push(...p.data.slice(o * chunk, (o + 1) * chunk));
    }
  }
  const dims = [...first.dims];
  dims[axis] = parts.reduce((a, p) => a + p.dims[axis]!, 0);
  return known(dims, data);
}

/**
 * Picks, per output axis, a list of input indices (Slice, Split): `picks[k]` are the indices kept along axis k.
 */
export function pickValue(v: KnownValue, picks: readonly (readonly number[])[]): KnownValue | undefined {
  const outDims = picks.map((p) => p.length);
  const n = count(outDims);
  if (n > FOLD_LIMIT) return undefined;
  const s = strides(v.dims);
  const os = strides(outDims);
  const data: Dim[] = [];
  for (let i = 0; i < n; i++) {
    let idx = 0;
    let rest = i;
    for (let k = 0; k < outDims.length; k++) {
      const q = Math.floor(rest / os[k]!);
      rest -= q * os[k]!;
      idx += picks[k]![q]! * s[k]!;
    }
    data.push(v.data[idx] ?? null);
  }
  return { dims: outDims, data };
}

/** Transposes a known value. */
export function transposeValue(v: KnownValue, perm: readonly number[]): KnownValue | undefined {
  const outDims = perm.map((p) => v.dims[p]!);
  const s = strides(v.dims);
  const os = strides(outDims);
  const data: Dim[] = [];
  for (let i = 0; i < v.data.length; i++) {
    let idx = 0;
    let rest = i;
    for (let k = 0; k < outDims.length; k++) {
      const q = Math.floor(rest / os[k]!);
      rest -= q * os[k]!;
      idx += q * s[perm[k]!]!;
    }
    data.push(v.data[idx] ?? null);
  }
  return { dims: outDims, data };
}

/** Converts a known element to what a value of `dtype` holds (Cast): truncation for integers, 0/1 for bool. */
export function castElement(x: Dim, dtype: DataType): Dim {
  if (typeof x !== 'number') return isFloat(dtype) || dtype === 'int64' || dtype === 'int32' ? x : null;
  if (dtype === 'bool') return x !== 0 ? 1 : 0;
  if (isFloat(dtype)) return dtype === 'float32' ? Math.fround(x) : x;
  return Number.isFinite(x) ? Math.trunc(x) : null;
}
