/**
 * A ShrinkBench-style comparison (Blalock et al. 2020): pruning criteria × scope × compression, each followed by the
 * same fine-tuning budget, on a trained model. Compression is ShrinkBench's: all parameters / nonzero parameters of
 * the whole model (the classifier is left dense, as ShrinkBench does by default).
 *
 *   npx tsx bench/shrinkbench.ts --model lenet5                 # models/lenet5-mnist.onnx on MNIST
 *   npx tsx bench/shrinkbench.ts --model resnet-small           # models/resnet-small-fmnist.onnx on Fashion-MNIST
 *
 * Per cell: plan masks on the dense model with the criterion (Taylor |w·g| and Wanda |W|·‖X‖ from 512 calibration
 * images held out of the training split), then fine-tune `--finetune` training images for one epoch (Adam 2e-4, pruned
 * weights held at 0, the same seed for every cell) and score top-1 on the first `--test` test images. Wanda ranks within
 * each output row (its paper's choice) layer-wise, and over whole layers globally.
 */
import { parseArgs } from 'node:util';
import { loadDataset, splitTrainVal, take } from '../src/data/index.js';
import { loadModel } from '../src/onnx/index.js';
import { applyMasks, planPruning, type CriterionName } from '../src/prune/index.js';
import { evaluate } from '../src/runtime/index.js';
import { modelStats } from '../src/metrics/index.js';
import { createGradientSource, train, zeroMasks } from '../src/train/index.js';

const { values } = parseArgs({ options: {
  model: { type: 'string', default: 'lenet5' }, finetune: { type: 'string', default: '10000' }, test: { type: 'string', default: '10000' },
  compressions: { type: 'string', default: '2,4,8,16,32' }, methods: { type: 'string', default: 'random,magnitude,taylor,wanda' },
  scopes: { type: 'string', default: 'global,layer' }, seed: { type: 'string', default: '0' },
} });
const MODELS: Record<string, { file: string; data: string }> = {
  lenet5: { file: 'models/lenet5-mnist.onnx', data: 'mnist' },
  'resnet-small': { file: 'models/resnet-small-fmnist.onnx', data: 'fashion-mnist' },
};
const spec = MODELS[values.model];
if (!spec) throw new RangeError(`--model must be one of ${Object.keys(MODELS).join(', ')}, got ${values.model}`);
const seed = Number(values.seed);
const dense = await loadModel(spec.file);
const { train: trainSet, val: calib } = splitTrainVal(await loadDataset(spec.data, 'train'), { valCount: 512, seed, stratified: true });
const test = take(await loadDataset(spec.data, 'test'), Number(values.test));
const tuneSet = take(trainSet, Number(values.finetune));
const stats = await modelStats(dense, { shapes: 'auto', batch: 1 });
const probe = await planPruning(dense, { criterion: 'magnitude', scope: { kind: 'layer', sparsity: 0 }, keepClassifier: true });
const prunable = probe.layers.reduce((a, l) => a + l.shape.reduce((x, y) => x * y, 1), 0);
const denseTop1 = (await evaluate(dense, test)).top1;
console.error(`${values.model}: ${stats.params} params, ${prunable} prunable (classifier dense), dense top-1 ${(100 * denseTop1).toFixed(2)}% on ${test.count} test images`);

const compressions = values.compressions.split(',').map(Number);
const rows: string[][] = [];
const t0 = performance.now();
for (const method of values.methods.split(',') as CriterionName[]) {
  for (const scope of values.scopes.split(',') as ('global' | 'layer')[]) {
    const row: string[] = [method, scope];
    for (const c of compressions) {
      // Prunable sparsity s with all / (all − s·prunable) = c.
      const s = (stats.params - stats.params / c) / prunable;
      if (!(s < 1)) { row.push('n/a'); continue; }
      const plan = await planPruning(dense, {
        criterion: method, seed, dataset: calib, keepClassifier: true, scope: { kind: scope, sparsity: s },
        // Wanda compares within each output row by default; a global ranking compares whole layers.
        ...(method === 'wanda' && scope === 'global' ? { compare: 'layer' as const } : {}),
        ...(method === 'taylor' ? { gradients: createGradientSource(dense, calib, { seed }), gradientBatches: 8 } : {}),
      });
      const pruned = applyMasks(dense, plan);
      const before = (await evaluate(pruned, test)).top1;
      const tuned = await train(pruned, tuneSet, { epochs: 1, optimizer: 'adam', lr: 2e-4, masks: zeroMasks(pruned), seed });
      const after = (await evaluate(tuned.model, test)).top1;
      row.push(`${(100 * after).toFixed(2)}`);
      console.error(`${method} ${scope} ${c}x (sparsity ${(100 * s).toFixed(1)}%): ${(100 * before).toFixed(2)}% -> ${(100 * after).toFixed(2)}% after fine-tuning  [${((performance.now() - t0) / 1000).toFixed(0)} s]`);
    }
    rows.push(row);
  }
}
console.log(`${values.model} (dense ${(100 * denseTop1).toFixed(2)}%), top-1 % after pruning + 1 epoch on ${tuneSet.count} images; ${test.count} test images, seed ${seed}\n`);
console.log(`| criterion | scope | ${compressions.map((c) => `${c}x`).join(' | ')} |`);
console.log(`|---|---|${compressions.map(() => '---:').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
