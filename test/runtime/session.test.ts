import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { encodeModel, saveModel } from '../../src/onnx/index.js';
import { createSession, dimParams, fixDims, withSession } from '../../src/runtime/index.js';
import { gemmClassifier } from './models.js';

const x = (n: number) => ({ dtype: 'float32' as const, dims: [n, 4], data: new Float32Array(n * 4).fill(1) });

describe('createSession / Session', () => {
  it('runs a model and reports inputs and outputs (example in the TSDoc)', async () => {
    const s = await createSession(gemmClassifier({ b: [1, 2, 3] }));
    expect(s.inputNames).toEqual(['x']);
    expect(s.outputNames).toEqual(['logits']);
    expect(s.inputs[0]).toEqual({ name: 'x', dtype: 'float32', shape: ['N', 4] });
    const out = await s.run({ x: x(2) });
    expect(out.logits!.dims).toEqual([2, 3]);
    expect(Array.from(out.logits!.data as Float32Array)).toEqual([2, 3, 4, 2, 3, 4]);
    await s.release();
    await s.release(); // idempotent
    await expect(s.run({ x: x(1) })).rejects.toThrow(/after release/);
  });

  it('writes outputs named in `into` into the caller\'s arrays and hands those back', async () => {
    const s = await createSession(gemmClassifier({ b: [1, 2, 3] }));
    const mine = new Float32Array(6);
    const out = await s.run({ x: x(2) }, ['logits'], { logits: { dtype: 'float32', dims: [2, 3], data: mine } });
    expect(out.logits!.data).toBe(mine);
    expect(Array.from(mine)).toEqual([2, 3, 4, 2, 3, 4]);
    // A view into a larger buffer (the optimizer's memory) at an offset is written in place, neighbours untouched.
    const arena = new Float32Array(10).fill(-1);
    await s.run({ x: x(2) }, undefined, { logits: { dtype: 'float32', dims: [2, 3], data: arena.subarray(2, 8) } });
    expect(Array.from(arena)).toEqual([-1, -1, 2, 3, 4, 2, 3, 4, -1, -1]);
    await expect(s.run({ x: x(2) }, ['logits'], { nope: { dtype: 'float32', dims: [1], data: new Float32Array(1) } })).rejects.toThrow(/'into' names 'nope', which is not among the requested outputs/);
    await expect(s.run({ x: x(2) }, ['logits'], { logits: { dtype: 'float32', dims: [2, 3], data: new Float32Array(5) } })).rejects.toThrow(/needs 6 elements, got 5/);
    await s.release();
  });

  it('loads from bytes the same way', async () => {
    const s = await createSession(encodeModel(gemmClassifier()), { threads: 0, optimization: 'basic' });
    expect(s.outputNames).toEqual(['logits']);
    await s.release();
  });

  it('loads from a file path, with and without freeDims', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-runtime-'));
    try {
      const file = join(dir, 'gemm.onnx');
      await saveModel(gemmClassifier(), file);
      const plain = await createSession(file);
      expect(plain.inputs[0]!.shape).toEqual(['N', 4]);
      await plain.release();
      const fixed = await createSession(file, { freeDims: { N: 3 } });
      expect(fixed.inputs[0]!.shape).toEqual([3, 4]);
      await fixed.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the model inputs when asked for one it lacks', async () => {
    await withSession(gemmClassifier(), {}, async (s) => {
      expect(() => s.input('y')).toThrow("the model has no input 'y'; its inputs are: 'x'.");
      expect(s.output('logits').shape).toEqual(['N', 3]);
    });
  });

  it('wraps run failures with the feed shapes', async () => {
    await withSession(gemmClassifier(), {}, async (s) => {
      const err = await s.run({ x: { dtype: 'float32', dims: [2, 5], data: new Float32Array(10) } }).catch((e: unknown) => e);
      expect((err as SecateursError).code).toBe('RUNTIME_RUN');
      expect((err as Error).message).toContain('x: float32 [2, 5]');
    });
  });

  it('rejects data whose length does not match the dims', async () => {
    await withSession(gemmClassifier(), {}, async (s) => {
      await expect(s.run({ x: { dtype: 'float32', dims: [2, 4], data: new Float32Array(7) } })).rejects.toThrow(/needs 8 elements, got 7/);
    });
  });

  it('wraps load failures with RUNTIME_LOAD', async () => {
    const err = await createSession(new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecateursError);
    expect(['RUNTIME_LOAD', 'ONNX_MALFORMED']).toContain((err as SecateursError).code);
  });

  it('validates thread counts', async () => {
    await expect(createSession(gemmClassifier(), { threads: -1 })).rejects.toThrow(/'threads' must be an integer in \[0, 1024\]/);
  });
});

describe('fixDims', () => {
  it('pins dim_params in a copy; the session sees the fixed dim (example in the TSDoc)', async () => {
    const model = gemmClassifier();
    const fixed = fixDims(model, { N: 2 });
    expect(fixed.graph.inputs[0]!.shape).toEqual([2, 4]);
    expect(fixed.graph.outputs[0]!.shape).toEqual([2, 3]);
    expect(model.graph.inputs[0]!.shape).toEqual(['N', 4]);
    expect(dimParams(model)).toEqual(['N']);
    expect(dimParams(fixed)).toEqual([]);
    const s = await createSession(fixed);
    expect(s.inputs[0]!.shape).toEqual([2, 4]);
    await expect(s.run({ x: x(3) })).rejects.toThrow(/Got: 3 Expected: 2/);
    await s.release();
  });

  it('is applied by createSession for freeDims, from a model or from bytes', async () => {
    for (const src of [gemmClassifier(), encodeModel(gemmClassifier())]) {
      const s = await createSession(src, { freeDims: { N: 5 } });
      expect(s.inputs[0]!.shape).toEqual([5, 4]);
      expect((await s.run({ x: x(5) })).logits!.dims).toEqual([5, 3]);
      await s.release();
    }
  });

  it('lists the model dim_params when a name is unknown or a size bad', () => {
    expect(() => fixDims(gemmClassifier(), { batch: 2 })).toThrow("fixDims: 'batch' is not a dim_param of the model (the model's dim_params: 'N').");
    expect(() => fixDims(gemmClassifier(), { N: 0 })).toThrow(RangeError);
  });
});
