/**
 * Accuracy after structured pruning and recovery, every recovery method side by side from the same pruned model.
 *
 *   npx tsx bench/structured-accuracy.ts --model resnet-small --keep-macs 0.5 --epochs 2
 *   npx tsx bench/structured-accuracy.ts --model vit-tiny --ratio 0.5 --epochs 2     # trains the dense ViT first
 *
 * resnet-small starts from models/resnet-small-fmnist.onnx (91.96% on Fashion-MNIST); vit-tiny is trained here on
 * MNIST (`--dense-epochs`, cached in runs/structured-accuracy). The pruned model keeps `--keep-macs` of the MACs
 * (channel groups) or removes `--ratio` of every group (attention heads and FFN neurons), scored by `--criterion`.
 * Recoveries: none; BatchNorm re-calibration (gradient-free); least-squares refit of the layers reading removed
 * channels (gradient-free); fine-tuning `--epochs` over the training split (Adam, cosine from `--lr`); knowledge
 * distillation from the dense model for the same budget (α 0.9, T 4); and lsq followed by
 * fine-tuning. Top-1 on the test split. `--scope global --normalize mean` ranks all channels together instead of taking
 * the same fraction of every group.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadDataset, splitTrainVal, type Dataset } from '../src/data/index.js';
import type { Model } from '../src/ir/graph.js';
import { modelStats } from '../src/metrics/index.js';
import { loadModel, saveModel } from '../src/onnx/index.js';
import { pruneStructured, reconstructConsumers, type GroupCriterion, type GroupNormalization, type StructuredTarget } from '../src/prune/structure/index.js';
import { evaluate } from '../src/runtime/index.js';
import { recalibrateBatchNorm, train, type TrainOptions } from '../src/train/index.js';
import { buildZooModel } from '../src/zoo/index.js';

const { values } = parseArgs({ options: {
  model: { type: 'string', default: 'resnet-small' }, 'keep-macs': { type: 'string' }, ratio: { type: 'string' },
  criterion: { type: 'string', default: 'l2' }, epochs: { type: 'string', default: '2' }, lr: { type: 'string', default: '0.001' },
  'dense-epochs': { type: 'string', default: '6' }, batch: { type: 'string', default: '128' }, threads: { type: 'string', default: '2' },
  methods: { type: 'string', default: 'none,bn,lsq,finetune,distill,lsq+finetune' },
  scope: { type: 'string', default: 'layer' }, normalize: { type: 'string', default: 'none' },
} });
if (values.scope !== 'layer' && values.scope !== 'global') throw new RangeError(`--scope must be layer or global, got ${values.scope}`);
const scope = values.scope;
const epochs = Number(values.epochs);
const threads = Number(values.threads);
const spec = values.model === 'vit-tiny' ? { data: 'mnist' } : { data: 'fashion-mnist' };
const [full, test] = [await loadDataset(spec.data, 'train'), await loadDataset(spec.data, 'test')];
const { train: trainSet, val: calib } = splitTrainVal(full, { valCount: 1024, seed: 0, stratified: true });
await mkdir('runs/structured-accuracy', { recursive: true });
const dense = await denseModel();
const denseTop1 = (await evaluate(dense, test)).top1;
const target: StructuredTarget = values['keep-macs'] !== undefined ? { kind: 'macs', keep: Number(values['keep-macs']) } : { kind: 'ratio', ratio: Number(values.ratio ?? 0.5) };
const pruned = await pruneStructured(dense, {
  criterion: values.criterion as GroupCriterion, target, data: calib, roundTo: 1, scope, normalize: values.normalize as GroupNormalization,
});
const [ds, ps] = [await modelStats(dense, { shapes: 'auto', batch: 1 }), await modelStats(pruned.model, { shapes: 'auto', batch: 1 })];
console.error(`${values.model}: dense ${(100 * denseTop1).toFixed(2)}%, ${ds.params} params, ${ds.macs} MACs; pruned ${ps.params} params, ${ps.macs} MACs (${(100 * ps.macs / ds.macs).toFixed(1)}%)`);

const tuneOpts = (): TrainOptions => ({ epochs, optimizer: 'adam', lr: Number(values.lr), schedule: 'cosine', batchSize: Number(values.batch), threads, seed: 0 });
const rows: [string, number, number][] = [];
for (const method of values.methods.split(',')) {
  const t0 = performance.now();
  const recovered = await recover(method);
  const top1 = (await evaluate(recovered, test)).top1;
  rows.push([method, top1, (performance.now() - t0) / 1000]);
  console.error(`${method}: ${(100 * top1).toFixed(2)}% (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
console.log(`${values.model} on ${spec.data}: dense ${(100 * denseTop1).toFixed(2)}%; ${values.criterion} scores, MACs ${(100 * ps.macs / ds.macs).toFixed(1)}% of dense, params ${(100 * ps.params / ds.params).toFixed(1)}%\n`);
console.log('| recovery | top-1 | vs dense | time |');
console.log('|---|---:|---:|---:|');
for (const [m, top1, s] of rows) console.log(`| ${m} | ${(100 * top1).toFixed(2)}% | ${(100 * (top1 - denseTop1)).toFixed(2)} pt | ${s.toFixed(0)} s |`);

async function recover(method: string): Promise<Model> {
  switch (method) {
    case 'none': return pruned.model;
    case 'bn': return (await recalibrateBatchNorm(pruned.model, calib, { batches: 16 })).model;
    case 'lsq': return (await reconstructConsumers(dense, pruned.model, pruned.graph, pruned.plan, calib)).model;
    case 'finetune': return (await train(pruned.model, trainSet, tuneOpts())).model;
    case 'lsq+finetune': return (await train((await reconstructConsumers(dense, pruned.model, pruned.graph, pruned.plan, calib)).model, trainSet, tuneOpts())).model;
    case 'distill': return (await train(pruned.model, trainSet, { ...tuneOpts(), distill: { teacher: dense, alpha: 0.9, temperature: 4 } })).model;
    default: throw new RangeError(`unknown recovery '${method}'`);
  }
}

async function denseModel(): Promise<Model> {
  if (values.model === 'resnet-small') return loadModel('models/resnet-small-fmnist.onnx');
  if (values.model !== 'vit-tiny') throw new RangeError(`--model must be resnet-small or vit-tiny, got ${values.model}`);
  const cached = 'runs/structured-accuracy/vit-tiny-mnist.onnx';
  if (existsSync(cached)) return loadModel(cached);
  const r = await train(buildZooModel('vit-tiny', { seed: 0 }), trainSet as Dataset, { epochs: Number(values['dense-epochs']), optimizer: 'adamw', lr: 2e-3, weightDecay: 1e-4, schedule: 'cosine', warmupSteps: 200, batchSize: 128, threads, seed: 0 });
  await saveModel(r.model, cached);
  return r.model;
}
