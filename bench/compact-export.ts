/**
 * The download a browser fetches: pruned models (bench/prune-results.ts --save runs/pruned) exported with
 * `exportModel` (`auto`: the smallest gzip of dense, sparse, int8 and gap-coded int8-sparse) at several value grids,
 * against the gzip of the dense float32 model, with the exported file's test error on the 10,000 MNIST test images.
 *
 *   npx tsx bench/prune-results.ts --seeds 0 --epochs 30 --intervals 20 --schedule cosine --scope global --distill --save runs/pruned
 *   npx tsx bench/prune-results.ts --model lenet5 --seeds 0 --targets 0.08 --epochs 8 --intervals 8 --lr 0.0005 --schedule cosine --scope global --save runs/pruned
 *   npx tsx bench/compact-export.ts
 *
 * Target (pipeline issue): at least 30x smaller gzip than the dense fp32 model with test error <= 1.7% (LeNet-300-100)
 * and <= 0.9% (LeNet-5), as a plain ONNX file onnxruntime loads.
 */
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { loadMnist } from '../src/data/index.js';
import { exportModel } from '../src/export/index.js';
import { encodeModel, loadModel } from '../src/onnx/index.js';
import { evaluate } from '../src/runtime/index.js';

const { values } = parseArgs({ options: { dir: { type: 'string', default: 'runs/pruned' }, bits: { type: 'string', default: '8,6,5,4' } } });
const test = await loadMnist({ split: 'test' });
const cases = [
  { name: 'LeNet-300-100', dense: 'runs/prune-results/lenet-300-100-dense-seed0.onnx', pruned: `${values.dir}/lenet-300-100-kept0.08-seed0.onnx`, maxError: 0.017 },
  { name: 'LeNet-5', dense: 'models/lenet5-mnist.onnx', pruned: `${values.dir}/lenet5-kept0.08-seed0.onnx`, maxError: 0.009 },
];
console.log('| model | dense fp32 gzip | pruned (8% kept) error | bits | format | file | gzip | dense gzip / gzip | exported error | target met |');
console.log('|---|---:|---:|---:|---|---:|---:|---:|---:|---|');
for (const c of cases) {
  const dense = await loadModel(c.dense);
  const denseGzip = gzipSync(encodeModel(dense), { level: 9 }).length;
  const pruned = await loadModel(c.pruned);
  const prunedError = 1 - (await evaluate(pruned, test)).top1;
  for (const bits of values.bits.split(',').map(Number)) {
    const r = await exportModel(pruned, { format: 'auto', bits });
    const error = 1 - (await evaluate(r.model, test)).top1;
    const ratio = denseGzip / r.gzip;
    console.log(`| ${c.name} | ${(denseGzip / 1024).toFixed(1)} KiB | ${(100 * prunedError).toFixed(2)}% | ${bits} | ${r.format} | ${(r.raw / 1024).toFixed(1)} KiB | ${(r.gzip / 1024).toFixed(1)} KiB | ${ratio.toFixed(1)}x | ${(100 * error).toFixed(2)}% | ${ratio >= 30 && error <= c.maxError ? 'yes' : 'no'} |`);
  }
}
