/**
 * Peak memory of a training run against the bound: under 3x (parameters + one batch of activations).
 *
 *   npx tsx bench/train-memory.ts [--model lenet5] [--batch 64] [--steps 100] [--optimizer adam|sgd] [--val 0]
 *                                 [--runs 1] [--src DIR] [--mmap-threshold BYTES]
 *
 * Each configuration runs in a fresh child process (this script re-invoked with --child) that:
 * 1. loads the MNIST training split (all 60,000 images, 188 MB as float32) and keeps it referenced to the end, takes
 *    `batch × steps` of them (a copy) to train on and `--val` test images to validate on, builds the model, and runs
 *    one inference batch, so that onnxruntime's library, its first session and the data are all in the baseline;
 * 2. collects garbage (full collections, with pauses for V8's concurrent sweeper) and reads the baseline: resident
 *    set (VmRSS) and, separately, V8's heap pages (`total_physical_size`); the rest is "native" (onnxruntime, typed
 *    arrays' memory, the optimizer's WebAssembly memory, code);
 * 3. trains `--steps` steps (one epoch) and, after every step, reads the kernel's peak RSS since the previous step
 *    (VmHWM, reset through /proc/self/clear_refs) and V8's heap pages.
 *
 * Training memory = (peak native − baseline native) + max(0, peak V8 heap − baseline V8 heap). Counting the two
 * separately keeps V8 returning young-generation pages that were resident at the baseline (it does, up to ~11 MiB)
 * from hiding native growth; the two peaks need not coincide, so the sum can only overstate. "Activations" are all
 * float intermediates of one forward pass at the batch size, from static shape inference; "params" the float32
 * initializers. `--src` runs the trainer of another copy of the sources (e.g. the previous commit's) for comparison.
 *
 * glibc's malloc keeps freed memory for reuse, and raises its mmap threshold (up to 32 MiB) each time it frees a large
 * block, so with the default allocator the peak depends on what earlier work left free: memory freed while the data
 * loaded can absorb part of the training run (an understatement), and blocks freed during the run stay resident.
 * `--mmap-threshold 131072` starts each child with MALLOC_MMAP_THRESHOLD_=131072: every block of 128 KiB or more is
 * then mapped on allocation and returned on free, so the peak is the memory the run actually holds (slower: page
 * faults; the measurement does not depend on speed).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { loadMnist, take } from '../src/data/index.js';
import { cloneModel } from '../src/ir/clone.js';
import type { Model } from '../src/ir/graph.js';
import { inferShapes } from '../src/ir/shapes/index.js';
import { evaluate } from '../src/runtime/index.js';
import type { train as trainFn } from '../src/train/index.js';
import { buildZooModel } from '../src/zoo/index.js';

const { values } = parseArgs({ options: {
  model: { type: 'string' }, batch: { type: 'string' }, steps: { type: 'string', default: '100' }, child: { type: 'boolean' },
  optimizer: { type: 'string', default: 'adam' }, val: { type: 'string', default: '0' }, runs: { type: 'string', default: '1' },
  src: { type: 'string', default: 'src' }, 'mmap-threshold': { type: 'string' },
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

function paramBytes(model: Model): number {
  return model.graph.initializers.reduce((a, v) => a + (v.constant?.dtype === 'float32' ? v.constant.byteLength : 0), 0);
}

/** A field of /proc/self/status in bytes (Linux). */
function status(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error(`${field} not found in /proc/self/status (this benchmark needs Linux).`);
  return Number(m[1]) * 1024;
}

/** Resets the kernel's peak RSS (VmHWM) to the current RSS. */
const resetPeak = (): void => writeFileSync('/proc/self/clear_refs', '5');
const v8Heap = (): number => v8.getHeapStatistics().total_physical_size;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    global.gc!();
    await pause(50);
  }
}

interface ChildResult { base: number; baseV8: number; peak: number; nativePeak: number; v8Peak: number; params: number; activations: number }

async function child(name: string, batch: number, steps: number, optimizer: 'adam' | 'sgd', valCount: number, src: string): Promise<void> {
  const { train } = (await import(pathToFileURL(resolve(src, 'train/index.ts')).href)) as { train: typeof trainFn };
  const full = await loadMnist({ split: 'train' });
  const ds = take(full, batch * steps);
  const valSet = valCount > 0 ? take(await loadMnist({ split: 'test' }), valCount) : undefined;
  const model = buildZooModel(name, { seed: 0 });
  await evaluate(model, take(ds, batch), { batchSize: batch });
  await settle();
  const base = status('VmRSS');
  const baseV8 = v8Heap();
  let nativePeak = base - baseV8;
  let v8Peak = baseV8;
  let before = baseV8;
  const sample = (): void => {
    const now = v8Heap();
    // The step's peak came with V8's heap somewhere between its size before and after the step: the smaller one
    // leaves the larger native share (the conservative reading).
    nativePeak = Math.max(nativePeak, status('VmHWM') - Math.min(before, now));
    v8Peak = Math.max(v8Peak, now);
    before = now;
    resetPeak();
  };
  resetPeak();
  await train(model, ds, { epochs: 1, batchSize: batch, optimizer, lr: optimizer === 'sgd' ? 0.01 : 1e-3, onStep: sample, ...(valSet ? { valSet } : {}) });
  sample();
  const peak = base + (nativePeak - (base - baseV8)) + Math.max(0, v8Peak - baseV8);
  const r: ChildResult = { base, baseV8, peak, nativePeak, v8Peak, params: paramBytes(model), activations: activationBytes(model, batch) };
  console.log(JSON.stringify({ ...r, dataImages: full.count }));
}

function runChild(name: string, batch: string): ChildResult {
  const args = ['--import', 'tsx', '--expose-gc', 'bench/train-memory.ts', '--child', '--model', name, '--batch', batch, '--steps', values.steps,
    '--optimizer', values.optimizer, '--val', values.val, '--src', values.src];
  const threshold = values['mmap-threshold'];
  const env = threshold === undefined ? process.env : { ...process.env, MALLOC_MMAP_THRESHOLD_: threshold };
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', env });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

if (values.child) {
  const opt = values.optimizer === 'sgd' ? 'sgd' : 'adam';
  await child(values.model!, Number(values.batch), Number(values.steps), opt, Number(values.val), values.src);
} else {
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  const malloc = values['mmap-threshold'] === undefined ? 'default malloc' : `MALLOC_MMAP_THRESHOLD_=${values['mmap-threshold']}`;
  console.log(`optimizer ${values.optimizer}, ${values.steps} steps, validation on ${values.val} images, trainer from ${values.src}/, ${malloc}`);
  console.log('| model | batch | params MiB | activations MiB | bound 3x(p+a) MiB | baseline MiB (V8) | native Δ MiB | V8 Δ MiB | training memory MiB | / (p+a) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const configs = values.model ? [[values.model, values.batch ?? '64']] : [['lenet-300-100', '64'], ['lenet-300-100', '256'], ['lenet5', '64'], ['lenet5', '256'], ['resnet-small', '128']];
  for (let run = 0; run < Number(values.runs); run++) {
    for (const [name, batch] of configs) {
      const r = runChild(name!, batch!);
      const pa = r.params + r.activations;
      const native = r.nativePeak - (r.base - r.baseV8);
      const heap = Math.max(0, r.v8Peak - r.baseV8);
      const cost = native + heap;
      console.log(`| ${name} | ${batch} | ${mib(r.params)} | ${mib(r.activations)} | ${mib(3 * pa)} | ${mib(r.base)} (${mib(r.baseV8)}) | ${mib(native)} | ${mib(heap)} | ${mib(cost)} | ${(cost / pa).toFixed(2)}x |`);
    }
  }
}
