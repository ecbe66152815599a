/**
 * Global magnitude pruning + fine-tuning of LeNet-300-100 side by side with PyTorch's torch.nn.utils.prune, in one run
 * on the same machine, from the same dense weights, with the same fine-tuning (Adam, batch 64, whole epochs over the
 * 60,000 training images, same thread count): test error and wall time at 90% and 95% sparsity.
 *
 *   npx tsx bench/prune-vs-torch.ts [--epochs 2] [--threads 1] [--lr 0.0001] [--python /usr/bin/python3]
 *
 * Needs Debian's python3-torch (with libopenblas0-pthread). The dense model is the cached seed-0 model of
 * bench/prune-results.ts (trained if missing). Times cover pruning and fine-tuning only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMnist, writeNpz } from '../src/data/index.js';
import { loadModel, saveModel } from '../src/onnx/index.js';
import { applyMasks, planPruning } from '../src/prune/index.js';
import { evaluate } from '../src/runtime/index.js';
import { train, zeroMasks } from '../src/train/index.js';
import { buildZooModel } from '../src/zoo/index.js';

const { values } = parseArgs({ options: {
  epochs: { type: 'string', default: '2' }, threads: { type: 'string', default: '1' }, lr: { type: 'string', default: '0.0001' },
  python: { type: 'string', default: '/usr/bin/python3' }, cache: { type: 'string', default: 'runs/prune-results' },
  sparsities: { type: 'string', default: '0.9,0.95' },
} });
const [epochs, threads, lr] = [Number(values.epochs), Number(values.threads), Number(values.lr)];
const [trainSet, test] = [await loadMnist({ split: 'train' }), await loadMnist({ split: 'test' })];
await mkdir(values.cache, { recursive: true });
const cached = join(values.cache, 'lenet-300-100-dense-seed0.onnx');
if (!existsSync(cached)) {
  const r = await train(buildZooModel('lenet-300-100', { seed: 0 }), trainSet, { epochs: 20, batchSize: 64, optimizer: 'adam', lr: 1e-3, schedule: 'cosine', seed: 0 });
  await saveModel(r.model, cached);
}
const dense = await loadModel(cached);
const npz = join(values.cache, 'lenet-300-100-dense-seed0.npz');
const arrays = ['fc1', 'fc2', 'fc3'].flatMap((l) => ['weight', 'bias'].map((k) => {
  const t = dense.graph.requireValue(`${l}/${k}`).constant!;
  return [`${l}_${k}`, { dtype: 'float32' as const, shape: [...t.dims], data: t.toFloat32() }] as const;
}));
await writeNpz(npz, new Map(arrays));
const denseError = 1 - (await evaluate(dense, test)).top1;
console.error(`dense LeNet-300-100: ${(100 * denseError).toFixed(2)}% test error`);

const rows: string[] = [];
for (const sparsity of values.sparsities.split(',').map(Number)) {
  const t0 = performance.now();
  const pruned = applyMasks(dense, await planPruning(dense, { criterion: 'magnitude', scope: { kind: 'global', sparsity } }));
  const t1 = performance.now();
  const tuned = await train(pruned, trainSet, { epochs, batchSize: 64, dropLast: true, optimizer: 'adam', lr, masks: zeroMasks(pruned), threads, seed: 0 });
  const t2 = performance.now();
  const ours = { error: 1 - (await evaluate(tuned.model, test)).top1, prune: (t1 - t0) / 1000, total: (t2 - t0) / 1000 };
  const out = execFileSync(values.python, ['bench/torch/prune_compare.py', '--weights', npz, '--sparsity', String(sparsity), '--epochs', String(epochs),
    '--threads', String(threads), '--lr', String(lr)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) } });
  const torch = JSON.parse(out.trim().split('\n').pop()!) as { test_error: number; prune_s: number; total_s: number; torch: string };
  rows.push(`| ${sparsity * 100}% | ${(100 * ours.error).toFixed(2)}% | ${(100 * torch.test_error).toFixed(2)}% | ${ours.total.toFixed(1)} s (prune ${ours.prune.toFixed(2)} s) | ${torch.total_s.toFixed(1)} s (prune ${torch.prune_s.toFixed(2)} s) | ${(torch.total_s / ours.total).toFixed(2)}x |`);
  console.error(rows[rows.length - 1]);
}
console.log(`LeNet-300-100, dense ${(100 * denseError).toFixed(2)}% error; global magnitude, ${epochs} epoch(s) Adam ${lr}, batch 64, ${threads} thread(s)\n`);
console.log('| sparsity | Secateurs error | PyTorch error | Secateurs time | PyTorch time | PyTorch time / Secateurs time |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
