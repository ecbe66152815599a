import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist, take } from '../../src/data/index.js';
import { assertValid } from '../../src/ir/passes.js';
import { loadModel, saveModel } from '../../src/onnx/index.js';
import { evaluate } from '../../src/runtime/index.js';
import { exportTrained, train, trainableParams } from '../../src/train/index.js';
import { buildZooModel } from '../../src/zoo/index.js';

const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

describe('fine-tuning LeNet-300-100 on MNIST', () => {
  it('one epoch on 2,000 images lifts test accuracy on 1,000 images from chance to above 85%', async () => {
    const trainSet = take(await loadMnist({ split: 'train', normalize: 'standard' }), 2000);
    const testSet = take(await loadMnist({ split: 'test', normalize: 'standard' }), 1000);
    const model = buildZooModel('lenet-300-100', { seed: 1 });
    const before = await evaluate(model, testSet);
    const r = await train(model, trainSet, { epochs: 1, batchSize: 8, optimizer: 'adam', lr: 2e-3, schedule: 'cosine', seed: 1, valSet: testSet });
    const after = await evaluate(r.model, testSet);
    expect(before.top1).toBeLessThan(0.2);
    expect(after.top1).toBeGreaterThan(0.85);
    expect(r.steps).toBe(250);
    // the exported model, saved and reloaded, scores exactly what the trainer measured
    expect(after.top1).toBe(r.history[0]!.valAcc);
    expect(after.loss).toBeCloseTo(r.history[0]!.valLoss!, 6);
    const dir = await mkdtemp(join(tmpdir(), 'secateurs-export-'));
    dirs.push(dir);
    await saveModel(r.model, join(dir, 'lenet-ft.onnx'));
    const reloaded = await evaluate(join(dir, 'lenet-ft.onnx'), testSet);
    expect(reloaded.top1).toBe(after.top1);
  });
});

describe('fine-tuning a convolutional network', () => {
  it('trains LeNet-5 (Conv, MaxPool) from its gradient graph', async () => {
    const trainSet = take(await loadMnist({ split: 'train' }), 640);
    const testSet = take(await loadMnist({ split: 'test' }), 300);
    const r = await train(buildZooModel('lenet5', { seed: 2 }), trainSet, { epochs: 1, batchSize: 32, optimizer: 'adam', lr: 1e-3, valSet: testSet });
    expect(r.history[0]!.valAcc).toBeGreaterThan(0.6);
    expect(r.model.graph.nodes.map((n) => n.opType)).toEqual(buildZooModel('lenet5').graph.nodes.map((n) => n.opType));
  });
});

describe('exportTrained', () => {
  it('replaces initializers with copies, keeps the original graph, and verifies', () => {
    const model = buildZooModel('lenet-300-100');
    const w = new Float32Array(300 * 784).fill(0.5);
    const out = exportTrained(model, new Map([['fc1/weight', w]]));
    w.fill(0);
    expect(out.graph.requireValue('fc1/weight').constant!.toFloat32()[7]).toBe(0.5);
    expect(model.graph.requireValue('fc1/weight').constant!.toFloat32()[7]).not.toBe(0.5);
    expect(out.graph.nodes.map((n) => n.opType)).toEqual(model.graph.nodes.map((n) => n.opType));
    expect(out.graph.requireValue('fc2/weight').constant).toBe(model.graph.requireValue('fc2/weight').constant);
    expect(() => assertValid(out)).not.toThrow();
  });

  it('lists every unknown name and size mismatch together', async () => {
    const model = buildZooModel('lenet-300-100');
    expect(() => exportTrained(model, { nope: new Float32Array(1), 'fc1/bias': new Float32Array(2), input: new Float32Array(1) })).toThrow(
      /exportTrained: 3 problems:\n {2}- 'nope' is not an initializer of graph 'lenet-300-100'\n {2}- 'fc1\/bias' has 300 elements \[300\]; got 2 values\n {2}- 'input' is not an initializer/,
    );
    const saved = await saveAndLoad(exportTrained(model, Object.fromEntries(trainableParams(model).map((p) => [p.name, new Float32Array(p.size)]))));
    expect(saved.graph.requireValue('fc3/bias').constant!.toFloat32().every((x) => x === 0)).toBe(true);
  });
});

async function saveAndLoad(model: Parameters<typeof saveModel>[0]) {
  const dir = await mkdtemp(join(tmpdir(), 'secateurs-export-'));
  dirs.push(dir);
  await saveModel(model, join(dir, 'm.onnx'));
  return loadModel(join(dir, 'm.onnx'));
}
