import { describe, expect, it } from 'vitest';
import { float16ToNumber, numberToFloat16, toFloat32, toLabels } from '../../src/data/index.js';

describe('float16', () => {
  it('decodes and encodes known bit patterns (examples in TSDoc)', () => {
    const pairs: [number, number][] = [
      [0x3c00, 1], [0xc000, -2], [0x7bff, 65504], [0x0001, 2 ** -24], [0x0400, 2 ** -14], [0x3555, 0.333251953125],
      [0x7c00, Infinity], [0xfc00, -Infinity], [0x0000, 0],
    ];
    for (const [bits, value] of pairs) {
      expect(float16ToNumber(bits)).toBe(value);
      expect(numberToFloat16(value)).toBe(bits);
    }
    expect(numberToFloat16(-0)).toBe(0x8000);
    expect(Number.isNaN(float16ToNumber(numberToFloat16(Number.NaN)))).toBe(true);
  });

  it('rounds to nearest even, overflows to infinity, underflows to zero', () => {
    expect(numberToFloat16(1 + 2 ** -11)).toBe(0x3c00); // halfway: stays even
    expect(numberToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway: rounds up to even
    expect(numberToFloat16(65520)).toBe(0x7c00);
    expect(numberToFloat16(2 ** -26)).toBe(0);
    expect(numberToFloat16(3 * 2 ** -26)).toBe(0x0001);
  });

  it('round-trips every finite half value', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) !== 0x7c00 && numberToFloat16(float16ToNumber(bits)) !== bits) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });
});

describe('toFloat32 / toLabels', () => {
  it('converts every kind of array (example in TSDoc)', () => {
    const u8 = toFloat32({ dtype: 'uint8', shape: [2], data: new Uint8Array([0, 255]) });
    expect(u8).toEqual(new Float32Array([0, 255]));
    expect(toFloat32({ dtype: 'float16', shape: [1], data: new Uint16Array([0x3c00]) })).toEqual(new Float32Array([1]));
    expect(toFloat32({ dtype: 'uint64', shape: [1], data: new BigUint64Array([5n]) })).toEqual(new Float32Array([5]));
    const labels = toLabels({ dtype: 'int64', shape: [2], data: new BigInt64Array([3n, 1n]) }, 'y');
    expect(labels).toEqual(new Int32Array([3, 1]));
  });

  it('names the bad label', () => {
    expect(() => toLabels({ dtype: 'uint32', shape: [2], data: new Uint32Array([1, 2 ** 31]) }, 'f.npz: y'))
      .toThrow(/^f\.npz: y: label 2147483648 at index 1 is not an integer/);
  });
});
