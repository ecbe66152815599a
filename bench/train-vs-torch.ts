/**
 * Training throughput beside PyTorch CPU, measured in one run on the same machine: same models (src/zoo vs
 * bench/torch/train_throughput.py, identical layer sizes), same optimizer (Adam, lr 1e-3), same batch size and thread
 * count, same MNIST data. Each cell is the median of 3 alternating measurements (ours, torch, ours, torch, ...);
 * each measurement times `--steps` optimizer steps after `--warmup` untimed ones.
 *
 *   npx tsx bench/train-vs-torch.ts [--steps 150] [--warmup 20] [--python /usr/bin/python3]
 *
 * Needs Debian's python3-torch (and libopenblas0-pthread, or PyTorch falls back to a reference BLAS 30x slower).
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { loadMnist, take, type Dataset } from '../src/data/index.js';
import { train } from '../src/train/index.js';
import { buildZooModel } from '../src/zoo/index.js';

const { values } = parseArgs({ options: {
  steps: { type: 'string', default: '150' }, warmup: { type: 'string', default: '20' },
  python: { type: 'string', default: '/usr/bin/python3' }, repeats: { type: 'string', default: '3' },
} });
const [steps, warmup, repeats] = [Number(values.steps), Number(values.warmup), Number(values.repeats)];

/** Samples per second of our trainer over `steps` timed steps. */
async function ours(name: string, ds: Dataset, batch: number, threads: number): Promise<number> {
  const data = take(ds, (steps + warmup) * batch);
  let t0 = 0;
  let t1 = 0;
  await train(buildZooModel(name, { seed: 0 }), data, {
    epochs: 1, batchSize: batch, optimizer: 'adam', lr: 1e-3, threads, dropLast: true,
    onStep: (s) => { if (s.step === warmup) t0 = performance.now(); if (s.step === warmup + steps) t1 = performance.now(); },
  });
  return (steps * batch) / ((t1 - t0) / 1000);
}

/** Samples per second of PyTorch on the same work. */
function torch(name: string, batch: number, threads: number): number {
  const out = execFileSync(values.python, ['bench/torch/train_throughput.py', '--model', name, '--batch', String(batch),
    '--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup), '--optimizer', 'adam'], {
    encoding: 'utf8',
    // OpenBLAS (pthread build) keeps its own thread pool beside torch.set_num_threads: without these, "1 thread"
    // PyTorch still multiplies on 2 cores and "2 threads" oversubscribes them (measured 3x slower).
    env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
  });
  return (JSON.parse(out.trim().split('\n').pop()!) as { samples_per_sec: number }).samples_per_sec;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ds = await loadMnist({ split: 'train' });
console.log(`steps ${steps} (after ${warmup} warm-up), median of ${repeats}, Adam lr 1e-3\n`);
console.log('| model | batch | threads | Secateurs samples/s | PyTorch samples/s | ratio (ours / torch) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const name of ['lenet-300-100', 'lenet5']) {
  for (const batch of [64, 256]) {
    for (const threads of [1, 2]) {
      const [a, b]: [number[], number[]] = [[], []];
      for (let i = 0; i < repeats; i++) {
        a.push(await ours(name, ds, batch, threads));
        b.push(torch(name, batch, threads));
      }
      const [ma, mb] = [median(a), median(b)];
      console.log(`| ${name} | ${batch} | ${threads} | ${ma.toFixed(0)} | ${mb.toFixed(0)} | ${(ma / mb).toFixed(2)}x |`);
    }
  }
}
