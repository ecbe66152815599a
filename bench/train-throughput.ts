/**
 * Training throughput of the trainer (generated forward + backward graph in onnxruntime, optimizer in WebAssembly
 * SIMD): LeNet-300-100 and LeNet-5 on MNIST at batch 64 and 256 with 1 and 2 onnxruntime threads, beside the
 * inference throughput of the same model (`evaluate`), and the cost of one optimizer step on 1.9 M parameters.
 * Each training cell runs `--epochs` epochs of `--samples` images and reports the last epoch (the first warms up);
 * optimizer cells are the median of `--reps` steps. Prints markdown tables.
 *
 *   npx tsx bench/train-throughput.ts [--samples 8192] [--epochs 2] [--reps 30] [--models lenet-300-100,lenet5]
 *
 * With `--baseline DIR` (a copy of the sources, e.g. the previous commit's `src/`), it instead times Adam training
 * with that copy's trainer and with this one, alternated `--rounds` times in one process, and prints the medians of
 * both and their ratio (wall-clock samples/s of the last epoch, and process CPU time per sample).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadMnist, take, type Dataset } from '../src/data/index.js';
import { evaluate } from '../src/runtime/index.js';
import { createOptimizer, train, wasmSimdAvailable, type KernelBackend, type OptimizerKind } from '../src/train/index.js';
import { buildZooModel } from '../src/zoo/index.js';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '8192' },
    epochs: { type: 'string', default: '2' },
    reps: { type: 'string', default: '30' },
    models: { type: 'string', default: 'lenet-300-100,lenet5' },
    batches: { type: 'string', default: '64,256' },
    threads: { type: 'string', default: '1,2' },
    baseline: { type: 'string' },
    rounds: { type: 'string', default: '5' },
  },
});
const list = (s: string): string[] => s.split(',').filter((x) => x !== '');
const fmt = (v: number): string => Math.round(v).toLocaleString('en-US');

async function trainingRows(ds: Dataset): Promise<string[]> {
  const rows: string[] = [];
  for (const name of list(values.models)) {
    for (const batchSize of list(values.batches).map(Number)) {
      for (const threads of list(values.threads).map(Number)) {
        rows.push(await trainingRow(name, ds, batchSize, threads));
      }
    }
  }
  return rows;
}

async function trainingRow(name: string, ds: Dataset, batchSize: number, threads: number): Promise<string> {
  const model = buildZooModel(name, { seed: 0 });
  const cells = [name, String(batchSize), String(threads)];
  try {
    const sgd = await train(model, ds, { epochs: Number(values.epochs), batchSize, threads, optimizer: 'sgd', momentum: 0.9, lr: 0.01 });
    const adam = await train(model, ds, { epochs: Number(values.epochs), batchSize, threads, optimizer: 'adam', lr: 1e-3 });
    const infer = await evaluate(model, ds, { batchSize, session: { threads } });
    await evaluate(model, ds, { batchSize, session: { threads } }); // warm
    const last = (h: typeof sgd.history) => h[h.length - 1]!;
    const s = last(sgd.history).samplesPerSec;
    const a = last(adam.history).samplesPerSec;
    return `| ${[...cells, fmt(s), fmt(a), fmt(infer.samplesPerSec), (infer.samplesPerSec / s).toFixed(1), ((1000 * batchSize) / a).toFixed(2)].join(' | ')} |`;
  } catch (e) {
    return `| ${[...cells, `n/a: ${(e as Error).message.split('\n')[0]!.slice(0, 80)}`, '', '', '', ''].join(' | ')} |`;
  }
}

function optimizerMs(kind: OptimizerKind, backend: KernelBackend, masked: boolean): number {
  const sizes = [1_500_000, 300_000, 99_000, 1_000];
  const masks = masked ? sizes.map((n) => Uint8Array.from({ length: n }, (_, i) => (i % 2 ? 1 : 0))) : undefined;
  const opt = createOptimizer(kind, { backend, momentum: 0.9, weightDecay: 1e-4, ...(masks ? { masks } : {}) });
  const params = opt.bind(sizes.map((n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.1)));
  const grads = sizes.map((n) => Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 0.01));
  const times: number[] = [];
  for (let r = 0; r < Number(values.reps) + 5; r++) {
    const t0 = performance.now();
    opt.step(params, grads, 1e-3);
    if (r >= 5) times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return times[times.length >> 1]!;
}

function optimizerRows(): string[] {
  const rows: string[] = [];
  const backends: KernelBackend[] = wasmSimdAvailable() ? ['wasm', 'js'] : ['js'];
  for (const kind of ['sgd', 'adam', 'adamw'] as const) {
    const cells = backends.flatMap((b) => [optimizerMs(kind, b, false), optimizerMs(kind, b, true)]).map((v) => v.toFixed(2));
    rows.push(`| ${kind} | ${cells.join(' | ')} |`);
  }
  return rows;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Adam training with the baseline's trainer and this one, alternated; medians of wall and CPU throughput. */
async function comparison(ds: Dataset, dir: string): Promise<void> {
  const { train: before } = (await import(pathToFileURL(resolve(dir, 'train/index.ts')).href)) as { train: typeof train };
  console.log(`## Adam training, trainer of ${dir}/ vs this one (MNIST, ${ds.count} images/epoch, last of ${values.epochs} epochs, median of ${values.rounds} alternated rounds)\n`);
  console.log('| model | batch | threads | before samples/s | after samples/s | after / before | before CPU µs/sample | after CPU µs/sample |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const name of list(values.models)) {
    for (const batchSize of list(values.batches).map(Number)) {
      for (const threads of list(values.threads).map(Number)) {
        const rate = { before: [] as number[], after: [] as number[] };
        const cpu = { before: [] as number[], after: [] as number[] };
        for (let r = 0; r < Number(values.rounds); r++) {
          for (const [key, fn] of (r % 2 === 0 ? [['before', before], ['after', train]] : [['after', train], ['before', before]]) as [keyof typeof rate, typeof train][]) {
            const c0 = process.cpuUsage();
            const res = await fn(buildZooModel(name, { seed: 0 }), ds, { epochs: Number(values.epochs), batchSize, threads, optimizer: 'adam', lr: 1e-3 });
            const c = process.cpuUsage(c0);
            rate[key].push(res.history[res.history.length - 1]!.samplesPerSec);
            cpu[key].push((c.user + c.system) / (Number(values.epochs) * ds.count));
          }
        }
        const [b, a] = [median(rate.before), median(rate.after)];
        console.log(`| ${name} | ${batchSize} | ${threads} | ${fmt(b)} | ${fmt(a)} | ${(a / b).toFixed(3)} | ${median(cpu.before).toFixed(1)} | ${median(cpu.after).toFixed(1)} |`);
      }
    }
  }
}

async function main(): Promise<void> {
  const ds = take(await loadMnist({ split: 'train' }), Number(values.samples));
  if (values.baseline) return comparison(ds, values.baseline);
  console.log(`## Training throughput (MNIST, ${ds.count} images/epoch, last of ${values.epochs} epochs; samples/s)\n`);
  console.log('| model | batch | threads | train SGD+momentum | train Adam | inference | inference/train | ms/step (Adam) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of await trainingRows(ds)) console.log(row);
  const backends = wasmSimdAvailable() ? ['wasm', 'js'] : ['js'];
  console.log(`\n## Optimizer step, 1.9 M float32 parameters in 4 tensors (ms, median of ${values.reps}; gradient copy-in and norm included)\n`);
  console.log(`| optimizer | ${backends.flatMap((b) => [`${b} dense`, `${b} 50% masked`]).join(' | ')} |`);
  console.log(`|---|${backends.flatMap(() => ['---', '---']).join('|')}|`);
  for (const row of optimizerRows()) console.log(row);
}

await main();
