import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { assertValid } from '../../src/ir/passes.js';
import { encodeModel } from '../../src/onnx/index.js';
import { ZOO, buildZooModel, isZooName, type ZooName } from '../../src/zoo/index.js';
import { digest, initializerDigest, paramCount, randomImages, runLogits } from './helpers.js';

/** Parameter counts, written out layer by layer (BN: scale, B, mean, var per channel). */
const bn = (c: number): number => 4 * c;
const EXPECTED_PARAMS: Record<ZooName, number> = {
  'lenet-300-100': 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10,
  lenet5: 20 * 25 + 20 + 50 * 20 * 25 + 50 + 800 * 500 + 500 + 500 * 10 + 10,
  'resnet-small':
    16 * 9 + bn(16)
    + 2 * (16 * 16 * 9 + bn(16))
    + 32 * 16 * 9 + 32 * 32 * 9 + 2 * bn(32) + 32 * 16 + bn(32)
    + 64 * 32 * 9 + 64 * 64 * 9 + 2 * bn(64) + 64 * 32 + bn(64)
    + 64 * 10 + 10,
  'mobilenetv2-small':
    16 * 9 + bn(16)
    + 16 * 9 + bn(16) + 16 * 16 + bn(16)
    + 16 * 64 + bn(64) + 64 * 9 + bn(64) + 64 * 24 + bn(24)
    + 24 * 96 + bn(96) + 96 * 9 + bn(96) + 96 * 24 + bn(24)
    + 24 * 96 + bn(96) + 96 * 9 + bn(96) + 96 * 32 + bn(32)
    + 32 * 128 + bn(128) + 128 * 9 + bn(128) + 128 * 32 + bn(32)
    + 32 * 128 + bn(128) + 128 * 10 + 10,
  'vit-tiny':
    64 * 49 + 64 + 64 + 17 * 64
    + 2 * (2 * 64 + 4 * (64 * 64 + 64) + 2 * 64 + 64 * 128 + 128 + 128 * 64 + 64)
    + 2 * 64 + 64 * 10 + 10,
};

const NAMES = Object.keys(ZOO) as ZooName[];

describe('zoo registry', () => {
  it('lists the five reference models with their facts', () => {
    expect(NAMES).toEqual(['lenet-300-100', 'lenet5', 'resnet-small', 'mobilenetv2-small', 'vit-tiny']);
    for (const name of NAMES) {
      const e = ZOO[name];
      expect(e.name).toBe(name);
      expect(e.inputShape).toEqual([1, 28, 28]);
      expect(['mnist', 'fashion-mnist']).toContain(e.dataset);
      expect(e.description.length).toBeGreaterThan(20);
    }
    expect(EXPECTED_PARAMS['lenet-300-100']).toBe(266_610);
    expect(EXPECTED_PARAMS.lenet5).toBe(431_080);
  });

  it('rejects an unknown name, listing the valid ones', () => {
    expect(isZooName('lenet5')).toBe(true);
    expect(isZooName('toString')).toBe(false);
    let err: unknown;
    try { buildZooModel('lenet-5'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SecateursError);
    expect((err as SecateursError).code).toBe('ZOO_UNKNOWN_MODEL');
    expect((err as SecateursError).message).toBe(
      "unknown zoo model 'lenet-5'; valid names: lenet-300-100, lenet5, resnet-small, mobilenetv2-small, vit-tiny.",
    );
  });

  it('rejects bad options with RangeError', () => {
    expect(() => buildZooModel('lenet5', { numClasses: 0 })).toThrow(/'numClasses' must be an integer >= 1, got 0/);
    expect(() => buildZooModel('lenet5', { batch: 1.5 })).toThrow(RangeError);
    expect(() => buildZooModel('lenet5', { batch: '' })).toThrow(RangeError);
  });

  it('runs the buildZooModel example', () => {
    const model = buildZooModel('lenet5', { seed: 42, batch: 'N', numClasses: 10 });
    expect(model.metadata.get('secateurs.zoo')).toBe('lenet5');
  });
});

describe.each(NAMES)('zoo model %s', (name) => {
  it('has the expected parameter count and a valid opset-17 graph with symbolic batch', () => {
    const model = buildZooModel(name);
    expect(paramCount(model)).toBe(EXPECTED_PARAMS[name]);
    assertValid(model, name);
    expect(model.opsets).toEqual(new Map([['', 17]]));
    expect(model.graph.inputs.map((v) => [v.name, v.dtype, v.shape])).toEqual([['input', 'float32', ['N', 1, 28, 28]]]);
    expect(model.graph.outputs.map((v) => [v.name, v.dtype, v.shape])).toEqual([['logits', 'float32', ['N', 10]]]);
    expect(model.docString).toBe(ZOO[name].description);
  });

  it('runs a batch of 3 in onnxruntime with finite [3, numClasses] logits', async () => {
    const model = buildZooModel(name, { seed: 5, numClasses: 7 });
    const logits = await runLogits(model, randomImages(3), 3);
    expect(logits.dims).toEqual([3, 7]);
    const data = logits.data as Float32Array;
    expect(data.every(Number.isFinite)).toBe(true);
    expect(new Set(data).size).toBeGreaterThan(1);
  });

  it('keeps the batch dimension symbolic: one model runs batches of 1 and 4; a fixed batch is honoured', async () => {
    const model = buildZooModel(name);
    expect((await runLogits(model, randomImages(1), 1)).dims).toEqual([1, 10]);
    expect((await runLogits(model, randomImages(4), 4)).dims).toEqual([4, 10]);
    const fixed = buildZooModel(name, { batch: 2 });
    expect(fixed.graph.inputs[0]?.shape).toEqual([2, 1, 28, 28]);
    expect(fixed.graph.outputs[0]?.shape).toEqual([2, 10]);
    expect((await runLogits(fixed, randomImages(2), 2)).dims).toEqual([2, 10]);
  });

  it('is deterministic: the same seed gives byte-identical models, another seed other weights', () => {
    const a = buildZooModel(name, { seed: 11 });
    const b = buildZooModel(name, { seed: 11 });
    const c = buildZooModel(name, { seed: 12 });
    expect(initializerDigest(b)).toBe(initializerDigest(a));
    expect(digest(encodeModel(b))).toBe(digest(encodeModel(a)));
    expect(c.graph.initializers.map((v) => v.name)).toEqual(a.graph.initializers.map((v) => v.name));
    expect(initializerDigest(c)).not.toBe(initializerDigest(a));
    const first = (m: typeof a): Uint8Array => m.graph.initializers[0]!.constant!.bytes();
    expect(Buffer.compare(first(c), first(a))).not.toBe(0);
  });
});
