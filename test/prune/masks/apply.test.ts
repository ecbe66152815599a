import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist, take } from '../../../src/data/index.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { loadModel, saveModel } from '../../../src/onnx/index.js';
import { applyMasks, decodeMask, maskTensor, planPruning, traceConstant } from '../../../src/prune/index.js';
import { compareModels, createSession } from '../../../src/runtime/index.js';
import { Rng } from '../../../src/util/rng.js';
import { buildZooModel } from '../../../src/zoo/index.js';
import { mixedModel, seq } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'secateurs-prune-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('applyMasks', () => {
  it('zeroes exactly the masked weights in a copy that onnxruntime runs (Constant-node and shared weights too)', async () => {
    const model = mixedModel();
    const plan = await planPruning(model, { scope: { kind: 'layer', sparsity: 0.5 } });
    const pruned = applyMasks(model, plan);
    for (const l of plan.layers) {
      const mask = decodeMask(l);
      const after = traceConstant(pruned.graph.requireValue(l.name))!.tensor.toFloat32();
      const before = traceConstant(model.graph.requireValue(l.name))!.tensor.toFloat32();
      mask.forEach((keep, i) => expect(after[i]).toBe(keep ? before[i] : 0));
      expect(before.filter((v) => v === 0).length).toBe(0);
    }
    const rng = new Rng(0);
    const feeds = { x: { dtype: 'float32' as const, dims: [3, 2, 6, 6], data: seq(216, () => rng.normal()) } };
    const [s0, s1] = [await createSession(model), await createSession(pruned)];
    const [y0, y1] = [(await s0.run(feeds)).y!, (await s1.run(feeds)).y!];
    await s0.release();
    await s1.release();
    expect(y1.dims).toEqual([3, 2]);
    expect([...(y1.data as Float32Array)]).not.toEqual([...(y0.data as Float32Array)]);
  });

  it('checks every plan layer against the model first', async () => {
    const plan = await planPruning(buildZooModel('lenet-300-100'), { scope: { kind: 'layer', sparsity: 0.5 } });
    expect(() => applyMasks(mixedModel(), plan)).toThrow(/3 problems:[\s\S]*plan layer 'fc1\/weight' is not a prunable weight of graph 'mixed'/);
    const lenet5 = buildZooModel('lenet5');
    const wrong = { ...plan, layers: [{ ...plan.layers[1]!, name: 'fc2/weight' }] };
    expect(() => applyMasks(lenet5, wrong)).toThrow(/plan layer 'fc2\/weight' has shape \[100, 300\] but the model's weight is \[10, 500\]/);
  });

  it('masks float16 weights on the raw bytes', () => {
    const t = Tensor.fromArray('float16', [3], [1.5, -2, 3]);
    expect([...maskTensor(t, Uint8Array.from([1, 0, 1])).toFloat32()]).toEqual([1.5, 0, 3]);
  });
});

describe('sparse output', () => {
  it('a 90%-sparse LeNet-5 saves smaller with sparse initializers and runs identically from the file', async () => {
    const model = buildZooModel('lenet5', { seed: 6 });
    const pruned = applyMasks(model, await planPruning(model, { scope: { kind: 'global', sparsity: 0.9 } }));
    const [dense, sparse] = [join(dir, 'dense.onnx'), join(dir, 'sparse.onnx')];
    await saveModel(pruned, dense);
    await saveModel(pruned, sparse, { sparse: 'all' });
    expect(statSync(sparse).size).toBeLessThan(0.5 * statSync(dense).size);
    const loaded = await loadModel(sparse);
    expect(loaded.graph.initializers.some((v) => v.storage === 'sparse')).toBe(true);
    const test = take(await loadMnist({ split: 'test' }), 64);
    const d = await compareModels(pruned, sparse, test);
    expect(d.maxAbsDiff).toBe(0);
    expect(d.count).toBe(64);
  });
});
