/**
 * Peak memory of a training run against the bound: under 3x (parameters + one batch of activations).
 *
 *   npx tsx bench/train-memory.ts [--model lenet5] [--batch 64] [--steps 100]
 *
 * Each configuration runs in a fresh child process (this script re-invoked with --child), which loads MNIST, builds
 * the model, runs one inference batch (so onnxruntime's one-time load is in the baseline), then reads its RSS as the
 * baseline, resets the kernel's peak-RSS counter, trains `--steps` steps, and reads the peak (VmHWM). The training cost is
 * peak − baseline; "activations" are all intermediate float values of one forward pass at the batch size, from static
 * shape inference.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadMnist, take } from '../src/data/index.js';
import { inferShapes } from '../src/ir/shapes/index.js';
import { cloneModel } from '../src/ir/clone.js';
import type { Model } from '../src/ir/graph.js';
import { evaluate } from '../src/runtime/index.js';
import { train } from '../src/train/index.js';
import { buildZooModel } from '../src/zoo/index.js';

const { values } = parseArgs({ options: {
  model: { type: 'string' }, batch: { type: 'string' }, steps: { type: 'string', default: '100' }, child: { type: 'boolean' },
} });

/** Bytes of every float intermediate of one forward pass at `batch`. */
function activationBytes(model: Model, batch: number): number {
  const m = cloneModel(model);
  inferShapes(m, { fixedDims: { N: batch } });
  let bytes = 0;
  for (const n of m.graph.nodes) for (const v of n.outputs) {
    if (v?.shape && v.dtype === 'float32' && v.shape.every((d) => typeof d === 'number')) bytes += 4 * (v.shape as number[]).reduce((a, b) => a * b, 1);
  }
  return bytes;
}

/** Peak resident set size since the last reset, from /proc/self/status (Linux). */
function vmHwm(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error('VmHWM not found in /proc/self/status (this benchmark needs Linux).');
  return Number(m[1]) * 1024;
}

function paramBytes(model: Model): number {
  return model.graph.initializers.reduce((a, v) => a + (v.constant?.dtype === 'float32' ? v.constant.byteLength : 0), 0);
}

async function child(name: string, batch: number, steps: number): Promise<void> {
  const ds = take(await loadMnist({ split: 'train' }), batch * steps);
  const model = buildZooModel(name, { seed: 0 });
  // Load onnxruntime (shared library pages, thread pool) with one inference run first: that one-time process cost is
  // not memory the training run uses, so it belongs in the baseline.
  await evaluate(model, take(ds, batch), { batchSize: batch });
  global.gc?.();
  writeFileSync('/proc/self/clear_refs', '5'); // reset the kernel's peak RSS (VmHWM) to the current RSS
  const base = vmHwm();
  await train(model, ds, { epochs: 1, batchSize: batch, optimizer: 'adam', lr: 1e-3 });
  const peak = vmHwm();
  console.log(JSON.stringify({ base, peak, params: paramBytes(model), activations: activationBytes(model, batch) }));
}

if (values.child) {
  await child(values.model!, Number(values.batch), Number(values.steps));
} else {
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  console.log('| model | batch | params MiB | activations MiB | bound 3x(p+a) MiB | RSS before MiB | peak RSS MiB | training cost MiB | cost / (p+a) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const configs = values.model ? [[values.model, values.batch ?? '64']] : [['lenet-300-100', '64'], ['lenet-300-100', '256'], ['lenet5', '64'], ['lenet5', '256'], ['resnet-small', '128']];
  for (const [name, batch] of configs) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--expose-gc', 'bench/train-memory.ts', '--child', '--model', name!, '--batch', batch!, '--steps', values.steps],
      { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { base: number; peak: number; params: number; activations: number };
    const pa = r.params + r.activations;
    const cost = r.peak - r.base;
    console.log(`| ${name} | ${batch} | ${mib(r.params)} | ${mib(r.activations)} | ${mib(3 * pa)} | ${mib(r.base)} | ${mib(r.peak)} | ${mib(cost)} | ${(cost / pa).toFixed(2)}x |`);
  }
}
