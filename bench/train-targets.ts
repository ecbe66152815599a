/**
 * Accuracy targets of the training issue, trained by the project's own trainer on the full training split and scored
 * once on the test split (no model selection on test data):
 *   LeNet-300-100 / MNIST >= 98.2%, LeNet-5-Caffe / MNIST >= 99.1%, resnet-small / Fashion-MNIST >= 91%.
 *
 *   npx tsx bench/train-targets.ts [--model lenet-300-100|lenet5|resnet-small] [--out DIR]
 *
 * Prints one markdown row per model (recipe, epochs, wall time, test top-1) and writes each trained model to
 * DIR/<name>.onnx (default runs/targets).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/index.js';
import { saveModel } from '../src/onnx/index.js';
import { evaluate } from '../src/runtime/index.js';
import { train, type TrainOptions } from '../src/train/index.js';
import { buildZooModel } from '../src/zoo/index.js';

interface Recipe {
  readonly model: string;
  readonly data: string;
  readonly target: number;
  readonly options: TrainOptions;
}

const RECIPES: readonly Recipe[] = [
  { model: 'lenet-300-100', data: 'mnist', target: 0.982, options: { epochs: 20, batchSize: 64, optimizer: 'adam', lr: 1e-3, schedule: 'cosine' } },
  { model: 'lenet5', data: 'mnist', target: 0.991, options: { epochs: 12, batchSize: 64, optimizer: 'adam', lr: 1e-3, schedule: 'cosine' } },
  { model: 'resnet-small', data: 'fashion-mnist', target: 0.91, options: { epochs: 4, batchSize: 128, optimizer: 'adamw', lr: 2e-3, weightDecay: 1e-4, schedule: 'cosine', threads: 2 } },
];

const { values } = parseArgs({ options: { model: { type: 'string' }, out: { type: 'string', default: 'runs/targets' } } });
await mkdir(values.out, { recursive: true });
console.log('| model | data | recipe | epochs | wall time | train samples/s | test top-1 | target | met |');
console.log('|---|---|---|---:|---:|---:|---:|---:|---|');
for (const r of RECIPES.filter((x) => !values.model || x.model === values.model)) {
  const [trainSet, test] = [await loadDataset(r.data, 'train'), await loadDataset(r.data, 'test')];
  const t0 = performance.now();
  const result = await train(buildZooModel(r.model, { seed: 0 }), trainSet, { ...r.options, seed: 0, progress: true });
  const seconds = (performance.now() - t0) / 1000;
  const acc = (await evaluate(result.model, test, { batchSize: 256 })).top1;
  await saveModel(result.model, join(values.out, `${r.model}.onnx`));
  const rate = result.history.reduce((a, h) => a + h.samplesPerSec, 0) / result.history.length;
  const o = r.options;
  const recipe = `${o.optimizer} lr ${o.lr}${o.weightDecay ? ` wd ${o.weightDecay}` : ''}, ${o.schedule}, batch ${o.batchSize}, ${o.threads ?? 1} thread(s)`;
  console.log(`| ${r.model} | ${r.data} | ${recipe} | ${o.epochs} | ${seconds.toFixed(0)} s | ${rate.toFixed(0)} | ${(acc * 100).toFixed(2)}% | ${(r.target * 100).toFixed(1)}% | ${acc >= r.target ? 'yes' : 'no'} |`);
}
