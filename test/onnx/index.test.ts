import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/index.js';
import { outerScopeValues } from '../../src/ir/passes.js';
import { floats, mlpModel, runOrt, tempDir } from './helpers.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/pytorch');

describe('the TSDoc examples of the public API', () => {
  it('decodeModel and encodeModel', () => {
    const file = path.join(tempDir(), 'model.onnx');
    fs.writeFileSync(file, encodeModel(mlpModel()));
    const model = decodeModel(fs.readFileSync(file), { baseDir: path.dirname(file), source: 'model.onnx' });
    expect(model.graph.nodes.length).toBe(2);
    const bytes = encodeModel(model);
    expect(decodeModel(bytes).graph.nodes.length === model.graph.nodes.length).toBe(true);
  });

  it.skipIf(!fs.existsSync(path.join(fixtures, 'mlp.onnx')))('loadModel', async () => {
    const model = await loadModel(path.join(fixtures, 'mlp.onnx'));
    expect(model.graph.initializers[0]?.constant?.isLazy).toBe(false);
    for (const v of model.graph.initializers) expect(v.constant!.toFloat32().length).toBe(v.constant!.size); // views of file bytes
  });

  it('saveModel', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'out'));
    const model = mlpModel();
    model.graph.value('W')!.constant = model.graph.value('W')!.constant!.withBytes(new Uint8Array(4096 * 3).subarray(0, 48));
    await saveModel(model, path.join(dir, 'out/model.onnx'), { externalData: { threshold: 16 } });
    expect(fs.readdirSync(path.join(dir, 'out')).sort()).toEqual(['model.onnx', 'model.onnx.data']);
    await expect(saveModel(model, path.join(dir, 'nowhere/model.onnx'))).rejects.toMatchObject({ code: 'ONNX_FILE_MISSING' });
  });

  it('outerScopeValues (see subgraph.test.ts for If branches)', () => {
    expect(outerScopeValues(mlpModel().graph)).toEqual([]);
  });

  it('onnxruntime gives bit-identical outputs for the original and the round-tripped model', async () => {
    const original = encodeModel(mlpModel());
    const again = encodeModel(decodeModel(original));
    const feeds = { x: { dims: [5, 4], data: floats(20, 2) } };
    const [a, b] = [await runOrt(original, feeds), await runOrt(again, feeds)];
    expect(Buffer.from(b['y']!).equals(Buffer.from(a['y']!))).toBe(true);
  });
});
