import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { SecateursError } from '../../src/errors.js';
import { fillTensor, floatData, fromOrt, irType, numel, ortType, toOrt } from '../../src/runtime/tensors.js';

describe('runtime tensors', () => {
  it('maps dtypes both ways and names the supported ones on failure', () => {
    expect(ortType('bool')).toBe('bool');
    expect(irType('int64')).toBe('int64');
    expect(irType('float8')).toBeUndefined();
    const err = (() => { try { ortType('bfloat16', 'input x'); } catch (e) { return e; } })();
    expect((err as SecateursError).code).toBe('RUNTIME_DTYPE');
    expect((err as Error).message).toMatch(/^input x: onnxruntime-node cannot exchange 'bfloat16' tensors; it supports float32, /);
  });

  it('wraps data without copying and reads it back', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]).subarray(2);
    const t = toOrt({ dtype: 'float32', dims: [2, 2], data });
    expect(t.data).toBe(data);
    const back = fromOrt(t);
    expect(back).toEqual({ dtype: 'float32', dims: [2, 2], data });
    expect(() => toOrt({ dtype: 'float32', dims: [3], data })).toThrow('feed: float32 [3] needs 3 elements, got 4.');
  });

  it('converts float outputs to float32 and refuses integers', () => {
    expect(Array.from(floatData({ dtype: 'float64', dims: [1], data: new Float64Array([0.5]) }, 'y'))).toEqual([0.5]);
    expect(Array.from(floatData({ dtype: 'float16', dims: [1], data: new Uint16Array([0x3c00]) }, 'y'))).toEqual([1]);
    expect(() => floatData({ dtype: 'int32', dims: [1], data: new Int32Array(1) }, 'y')).toThrow(/y: expected a float32, float16 or float64 tensor, got int32 \[1\]/);
  });

  it('fills deterministic probe tensors: normal floats, zero integers', () => {
    const a = fillTensor('float32', [2, 3], new Rng(0));
    const b = fillTensor('float32', [2, 3], new Rng(0));
    expect(a.data).toEqual(b.data);
    expect((a.data as Float32Array).some((v) => v !== 0)).toBe(true);
    expect(Array.from(fillTensor('int64', [2], new Rng(0)).data as BigInt64Array)).toEqual([0n, 0n]);
    expect(numel([2, 3, 4])).toBe(24);
    expect(numel([])).toBe(1);
  });
});
