/**
 * Edge deployment proof: models Secateurs writes load and run in onnxruntime-web (wasm, one thread) inside headless
 * Chromium, and give the same classes as onnxruntime-node (and logits equal to float rounding) on real MNIST test
 * images. Each entry of EDGE_MODELS is one deployable output; adding one is one line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadMnist, take, type Dataset } from '../../src/data/index.js';
import type { Model } from '../../src/ir/graph.js';
import { loadModel, saveModel } from '../../src/onnx/index.js';
import { BUNDLED_MODEL } from '../../src/pipeline/demo.js';
import { applyMasks, planPruning } from '../../src/prune/index.js';
import { applyStructuredPlan, buildDependencyGraph, planByRatio, scoreGroups } from '../../src/prune/structure/index.js';
import { quantizeModel } from '../../src/quantize/index.js';
import { argmax, createSession } from '../../src/runtime/index.js';
import { describeInChromium, launchChromium } from './harness.js';
import { openOrtWeb, type OrtWebPage } from './ort-web.js';

/**
 * A deployable output: how it is made from the trained LeNet-5 (`calib`: 256 MNIST training images, for calibrated
 * quantization), and what its saved file must contain: sparse initializers (saved with `sparse: 'all'`), 8-bit
 * integer weights, or plain dense float tensors.
 */
interface EdgeModel {
  readonly name: string;
  readonly make: (trained: Model, calib: Dataset) => Promise<Model>;
  readonly saved: 'sparse' | 'int8' | 'dense';
}

const SAVED_CHECK: Readonly<Record<EdgeModel['saved'], (m: Model) => boolean>> = {
  sparse: (m) => m.graph.initializers.some((v) => v.storage === 'sparse'),
  int8: (m) => m.graph.initializers.some((v) => v.dtype === 'int8' || v.dtype === 'uint8'),
  dense: (m) => m.graph.initializers.every((v) => v.storage === 'dense'),
};

const prune80 = async (m: Model): Promise<Model> => applyMasks(m, await planPruning(m, { criterion: 'magnitude', scope: { kind: 'global', sparsity: 0.8 } }));
const channels25 = async (m: Model): Promise<Model> => {
  const dg = buildDependencyGraph(m);
  return applyStructuredPlan(m, planByRatio(dg, scoreGroups(dg, { criterion: 'l2' }), { ratio: 0.25, roundTo: 8 }), { graph: dg });
};

const EDGE_MODELS: readonly EdgeModel[] = [
  { name: 'pruned to 80% sparsity (magnitude), saved with sparse initializers', make: prune80, saved: 'sparse' },
  { name: 'a quarter of the channels removed (structured), then pruned to 80% sparsity', make: async (m) => prune80(await channels25(m)), saved: 'sparse' },
  { name: 'pruned to 80% sparsity, then int8 (static QDQ, min-max calibration)', make: async (m, calib) => (await quantizeModel(await prune80(m), { mode: 'static', calibration: { data: calib } })).model, saved: 'int8' },
  { name: 'pruned to 80% sparsity, then int8 (dynamic)', make: async (m) => (await quantizeModel(await prune80(m), { mode: 'dynamic' })).model, saved: 'int8' },
];

const BATCH = 128;

describeInChromium('pruned models run in onnxruntime-web (wasm) in Chromium as in onnxruntime-node', () => {
  let browser: Browser;
  let ortWeb: OrtWebPage;
  let dir: string;
  let trained: Model;
  let images: Dataset;
  let calib: Dataset;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secateurs-ortweb-'));
    [trained, images, calib] = await Promise.all([
      loadModel(BUNDLED_MODEL), loadMnist({ split: 'test' }).then((d) => take(d, BATCH)), loadMnist({ split: 'train' }).then((d) => take(d, 256)),
    ]);
    browser = await launchChromium();
    ortWeb = await openOrtWeb(browser, dir);
  });

  afterAll(async () => {
    await ortWeb?.close();
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const [i, edge] of EDGE_MODELS.entries()) {
    it(edge.name, async () => {
      const file = `model-${i}.onnx`;
      await saveModel(await edge.make(trained, calib), join(dir, file), edge.saved === 'sparse' ? { sparse: 'all' } : {});
      expect(SAVED_CHECK[edge.saved](await loadModel(join(dir, file)))).toBe(true);
      const dims = [BATCH, ...images.sampleShape];

      const session = await createSession(join(dir, file));
      const out = await session.run({ [session.inputNames[0]!]: { dtype: 'float32', dims, data: images.x } });
      await session.release();
      const node = out[session.outputNames[0]!]!;
      const web = await ortWeb.run(file, images.x, dims);

      expect(web.dims).toEqual([...node.dims]);
      const ref = node.data as Float32Array;
      const k = node.dims[1]!;
      const webClasses = Array.from({ length: BATCH }, (_, r) => argmax(web.data, r, k));
      const nodeClasses = Array.from({ length: BATCH }, (_, r) => argmax(ref, r, k));
      expect(webClasses).toEqual(nodeClasses);
      let maxDiff = 0;
      for (let j = 0; j < ref.length; j++) maxDiff = Math.max(maxDiff, Math.abs(web.data[j]! - ref[j]!));
      expect(maxDiff).toBeLessThan(1e-4);
      // Real images, a model that still works: most predictions are right.
      const correct = webClasses.filter((c, r) => c === images.y[r]).length;
      expect(correct / BATCH).toBeGreaterThan(0.9);
      expect(ortWeb.watch.errors).toEqual([]);
      expect(ortWeb.watch.blocked).toEqual([]);
    });
  }
});
