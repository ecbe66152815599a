import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/ir/tensor.js';
import {
  affineParams, dequantize, intTensor, qRange, quantizeSymmetric, roundHalfEven, symmetricParams,
} from '../../src/quantize/index.js';
import { Rng } from '../../src/util/rng.js';

describe('quantization parameters', () => {
  it('gives the integer ranges, one bit less with reduce-range', () => {
    expect(qRange('int8')).toEqual({ qmin: -128, qmax: 127 });
    expect(qRange('int8', true)).toEqual({ qmin: -64, qmax: 63 });
    expect(qRange('uint8', true)).toEqual({ qmin: 0, qmax: 127 });
    expect(qRange('int4')).toEqual({ qmin: -8, qmax: 7 });
    expect(() => qRange('int4', true)).toThrow(/reduce-range applies to int8 and uint8, not int4/);
  });

  it('rounds half to even, as QuantizeLinear does', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
  });

  it('puts symmetric zero points at 0 (signed) or mid-range (unsigned), using the range symmetrically', () => {
    expect(symmetricParams(2.54, 'int8')).toEqual({ scale: Math.fround(0.02), zeroPoint: 0 });
    expect(symmetricParams(1.26, 'int8', { reduceRange: true })).toEqual({ scale: Math.fround(0.02), zeroPoint: 0 });
    expect(symmetricParams(0.62, 'int8', { bits: 6 })).toEqual({ scale: Math.fround(0.02), zeroPoint: 0 });
    expect(() => symmetricParams(1, 'int8', { bits: 9 })).toThrow("'bits' must be an integer in [2, 8], got 9.");
    expect(symmetricParams(2.54, 'uint8')).toEqual({ scale: Math.fround(0.02), zeroPoint: 128 });
    expect(symmetricParams(0.7, 'uint4')).toEqual({ scale: Math.fround(0.1), zeroPoint: 8 });
    expect(symmetricParams(0, 'int8')).toEqual({ scale: 1, zeroPoint: 0 });
  });

  it('widens affine ranges to contain 0 exactly', () => {
    expect(affineParams(0, 6, 'uint8')).toEqual({ scale: Math.fround(6 / 255), zeroPoint: 0 });
    expect(affineParams(1, 2, 'uint8')).toEqual({ scale: Math.fround(2 / 255), zeroPoint: 0 });
    // 1 / float32(2/255) is just below 127.5, so the zero point rounds to 127; any integer zero point makes 0 exact.
    expect(affineParams(-1, 1, 'uint8')).toEqual({ scale: Math.fround(2 / 255), zeroPoint: 127 });
    expect(affineParams(0, 0, 'uint8')).toEqual({ scale: 1, zeroPoint: 0 });
    expect(() => affineParams(2, 1, 'uint8')).toThrow(/finite rmin <= rmax, got \[2, 1\]/);
  });
});

describe('quantizeSymmetric', () => {
  it('quantizes per channel with the documented example values', () => {
    const w = Tensor.fromArray('float32', [2, 3], [0.5, -1, 0, 2, 0, -0.25]);
    const q = quantizeSymmetric(w, 'int8', { kind: 'channel', axis: 0 });
    expect(Array.from(q.values)).toEqual([64, -127, 0, 127, 0, -16]);
    expect(q.scale.dims).toEqual([2]);
    expect(q.quantized.dtype).toBe('int8');
  });

  it('keeps every element within half a step of its channel scale, and zeros exactly zero', () => {
    const rng = new Rng(7);
    const dims = [6, 5, 3, 3];
    const data = Float32Array.from({ length: 270 }, (_, i) => (i % 4 === 0 ? 0 : rng.normal() * (1 + Math.floor(i / 45))));
    const w = Tensor.fromTyped('float32', dims, data);
    for (const [type, reduce] of [['int8', false], ['int8', true], ['uint8', false], ['int4', false]] as const) {
      for (const axis of [0, 1]) {
        const g = { kind: 'channel' as const, axis };
        const q = quantizeSymmetric(w, type, g, { reduceRange: reduce });
        const back = dequantize(q, dims, g);
        const scales = q.scale.toFloat32();
        const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
        for (let i = 0; i < data.length; i++) {
          const c = Math.floor(i / inner) % dims[axis]!;
          expect(Math.abs(back[i]! - data[i]!)).toBeLessThanOrEqual(scales[c]! / 2 + 1e-6);
          if (data[i] === 0) expect(back[i]).toBe(0);
        }
      }
    }
  });

  it('per channel is tighter than per tensor when channels differ in scale', () => {
    const w = Tensor.fromArray('float32', [2, 4], [0.01, -0.02, 0.015, 0.005, 10, -8, 3, 1]);
    const err = (g: { kind: 'tensor' } | { kind: 'channel'; axis: number }): number => {
      const back = dequantize(quantizeSymmetric(w, 'int8', g), w.dims, g);
      return Math.max(...[0, 1, 2, 3].map((i) => Math.abs(back[i]! - w.toFloat32()[i]!)));
    };
    expect(err({ kind: 'channel', axis: 0 })).toBeLessThan(err({ kind: 'tensor' }) / 50);
  });

  it('quantizes blocks along an axis with one scale per block (last block short)', () => {
    const w = Tensor.fromArray('float32', [5, 2], [0.4, 4, -1.4, 14, 2.1, 21, 2.8, 28, -0.7, 70]);
    const g = { kind: 'block' as const, axis: 0, blockSize: 2 };
    const q = quantizeSymmetric(w, 'int4', g);
    expect(q.scale.dims).toEqual([3, 2]);
    expect(Array.from(q.scale.toFloat32())).toEqual([1.4 / 7, 14 / 7, 2.8 / 7, 28 / 7, 0.7 / 7, 70 / 7].map(Math.fround));
    expect(Array.from(q.values)).toEqual([2, 2, -7, 7, 5, 5, 7, 7, -7, 7]);
    expect(q.quantized.dtype).toBe('int4');
    expect(q.quantized.byteLength).toBe(5);
  });

  it('packs 4-bit values two per byte, low nibble first', () => {
    expect(Array.from(intTensor('int4', [3], Int32Array.from([1, -1, 7])).bytes())).toEqual([0xf1, 0x07]);
    expect(Array.from(intTensor('uint4', [2], Int32Array.from([8, 15])).bytes())).toEqual([0xf8]);
  });

  it('refuses an axis outside the tensor, naming the valid interval', () => {
    const w = Tensor.fromArray('float32', [2, 2], [1, 2, 3, 4]);
    expect(() => quantizeSymmetric(w, 'int8', { kind: 'channel', axis: 2 })).toThrow(/axis must be in \[0, 1\] for a tensor of dims \[2, 2\], got 2/);
  });
});
