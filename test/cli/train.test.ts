import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/ir/tensor.js';
import { loadModel, saveModel } from '../../src/onnx/index.js';
import { buildZooModel } from '../../src/zoo/index.js';
import { cli, smallMnist, tempDir } from './helpers.js';

interface Report { before: { eval: { top1: number } }; after: { eval: { top1: number }; summary: { nonzeroParams: number } }; maskedZeros: number }

describe('secateurs train / finetune', () => {
  it('trains a zoo model on an .npz dataset and reports before/after', async () => {
    const dir = tempDir();
    const data = await smallMnist(dir, 2000, 500);
    const out = join(dir, 'trained.onnx');
    const r = await cli('train', 'zoo:lenet-300-100', '--data', data, '--epochs', '2', '--val-fraction', '0', '--out', out, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Report;
    expect(j.before.eval.top1).toBeLessThan(0.3);
    expect(j.after.eval.top1).toBeGreaterThan(0.75);
    expect((await loadModel(out)).graph.name).toBe('lenet-300-100');
  });

  it('finetune keeps pruned (zero) weights at zero; train does not', async () => {
    const dir = tempDir();
    const data = await smallMnist(dir, 1000, 200);
    const model = buildZooModel('lenet-300-100');
    const w = model.graph.requireValue('fc1/weight');
    const values = w.constant!.toFloat32();
    for (let i = 0; i < values.length; i += 2) values[i] = 0;
    w.constant = Tensor.fromTyped('float32', w.constant!.dims, values);
    const pruned = join(dir, 'pruned.onnx');
    await saveModel(model, pruned);
    const zeros = Math.ceil(values.length / 2);
    const ft = await cli('finetune', pruned, '--data', data, '--epochs', '1', '--val-fraction', '0', '--out', join(dir, 'ft.onnx'), '--json');
    expect(ft.code).toBe(0);
    const tuned = (await loadModel(join(dir, 'ft.onnx'))).graph.requireValue('fc1/weight').constant!.toFloat32();
    for (let i = 0; i < tuned.length; i += 2) expect(tuned[i]).toBe(0);
    expect((JSON.parse(ft.out) as Report).maskedZeros).toBe(zeros);
    const tr = await cli('train', pruned, '--data', data, '--epochs', '1', '--val-fraction', '0', '--out', join(dir, 'tr.onnx'), '--json');
    const retrained = (await loadModel(join(dir, 'tr.onnx'))).graph.requireValue('fc1/weight').constant!.toFloat32();
    expect(retrained.filter((v, i) => i % 2 === 0 && v !== 0).length).toBeGreaterThan(zeros / 2);
    expect((JSON.parse(tr.out) as Report).maskedZeros).toBe(0);
  });

  it('rejects bad options before any work, naming the option', async () => {
    const dir = tempDir();
    const bad = await cli('train', 'zoo:lenet5', '--data', 'mnist', '--optimizer', 'lion', '--out', join(dir, 'x.onnx'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/'--optimizer' must be one of sgd, adam, adamw, got 'lion'/);
    const lr = await cli('train', 'zoo:lenet5', '--data', 'mnist', '--lr', '-1', '--out', join(dir, 'x.onnx'));
    expect(lr.code).toBe(2);
    expect(lr.err).toMatch(/'--lr' must be a number > 0/);
    const shift = await cli('train', 'zoo:lenet5', '--data', 'mnist', '--shift', '1.5', '--out', join(dir, 'x.onnx'));
    expect(shift.code).toBe(2);
    expect(shift.err).toMatch(/'--shift' must be an integer/);
  });

  it('--shift trains on translated images (other weights than without), still learning the task', async () => {
    const dir = tempDir();
    const data = await smallMnist(dir, 1000, 300);
    const run = async (name: string, ...extra: string[]): Promise<{ top1: number; w: Float32Array }> => {
      const r = await cli('train', 'zoo:lenet-300-100', '--data', data, '--epochs', '2', '--val-fraction', '0', '--out', join(dir, name), '--json', ...extra);
      expect(r.code, r.err).toBe(0);
      return { top1: (JSON.parse(r.out) as Report).after.eval.top1, w: (await loadModel(join(dir, name))).graph.requireValue('fc1/weight').constant!.toFloat32() };
    };
    const [plain, shifted] = [await run('plain.onnx'), await run('shifted.onnx', '--shift', '2')];
    expect(shifted.top1).toBeGreaterThan(0.6);
    expect(shifted.w.some((v, i) => v !== plain.w[i])).toBe(true);
  });
});
