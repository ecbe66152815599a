import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as secateurs from '../src/index.js';

describe('the public entry (src/index.ts)', () => {
  it('runs the README library example', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secateurs-index-'));
    try {
      const { loadModel, saveModel, evaluate, loadMnist, summarizeModel, encodeModel, buildZooModel, train, take } = secateurs;
      await saveModel(buildZooModel('lenet-300-100'), join(dir, 'model.onnx'));
      const model = await loadModel(join(dir, 'model.onnx'));
      const test = take(await loadMnist({ split: 'test' }), 500);
      const r = await evaluate(model, test, { batchSize: 256 });
      const s = await summarizeModel(model, encodeModel(model));
      expect(s.params).toBe(266_610);
      const trained = await train(model, take(await loadMnist({ split: 'train' }), 2000), { epochs: 1, optimizer: 'adamw', lr: 1e-3 });
      const after = await evaluate(trained.model, test, { batchSize: 256 });
      expect(after.top1).toBeGreaterThan(r.top1 + 0.4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exposes each layer of the library', () => {
    for (const name of ['Graph', 'Tensor', 'GraphBuilder', 'toposort', 'inferShapes', 'decodeModel', 'loadMnist', 'ZOO',
      'createSession', 'benchLatency', 'compareModels', 'modelStats', 'buildGradientGraph', 'withLoss', 'train',
      'runTraining', 'measureModel', 'runDemo', 'SecateursError']) {
      expect(secateurs, name).toHaveProperty(name);
    }
  });
});
