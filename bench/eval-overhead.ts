/**
 * Overhead of `evaluate` over a bare onnxruntime loop: LeNet-5 (zoo, random weights) on the MNIST test set at
 * batch 1/32/256. Both use the same session (same options). Within a pass the two alternate every slice of ~1k images
 * (zero-copy views of the data), so bursts of load from other processes hit both alike; each cell is the median of
 * `--reps` passes over the whole set. The bare loop builds one tensor per batch over a subarray view and calls
 * `session.run`, nothing else.
 *
 *   npx tsx bench/eval-overhead.ts [--reps 5] [--threads 1] [--limit 10000] [--batches 1,32,256]
 */
import { parseArgs } from 'node:util';
import { Tensor } from 'onnxruntime-node';
import { loadMnist, type Dataset } from '../src/data/index.js';
import { createSession, evaluate, type Session } from '../src/runtime/index.js';
import { buildZooModel } from '../src/zoo/index.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    threads: { type: 'string', default: '1' },
    limit: { type: 'string', default: '10000' },
    batches: { type: 'string', default: '1,32,256' },
  },
});
const reps = Number(values.reps);
const limit = Number(values.limit);

/** Seconds of a bare `InferenceSession.run` loop over the samples of `ds`. */
async function bare(session: Session, ds: Dataset, batch: number): Promise<number> {
  const ort = session.ort;
  const input = ort.inputNames[0]!;
  const ss = 784;
  const t0 = performance.now();
  for (let start = 0; start < ds.count; start += batch) {
    const n = Math.min(batch, ds.count - start);
    await ort.run({ [input]: new Tensor('float32', ds.x.subarray(start * ss, (start + n) * ss), [n, 1, 28, 28]) });
  }
  return (performance.now() - t0) / 1000;
}

/** Seconds of `evaluate` over the samples of `ds`. */
async function viaEvaluate(session: Session, ds: Dataset, batch: number): Promise<number> {
  const t0 = performance.now();
  await evaluate(session, ds, { batchSize: batch });
  return (performance.now() - t0) / 1000;
}

/** Samples [start, start + count) as a dataset of views (no copy). */
function slice(ds: Dataset, start: number, count: number): Dataset {
  return { ...ds, x: ds.x.subarray(start * 784, (start + count) * 784), y: ds.y.subarray(start, start + count), count };
}

/** One pass over `count` samples: the two loops alternate slice by slice; returns img/s of each. */
async function pass(session: Session, ds: Dataset, batch: number, count: number, evalFirst: boolean): Promise<[number, number]> {
  const step = Math.max(1024, 4 * batch) - (Math.max(1024, 4 * batch) % batch);
  let te = 0;
  let tb = 0;
  for (let start = 0; start < count; start += step) {
    const part = slice(ds, start, Math.min(step, count - start));
    if (evalFirst) { te += await viaEvaluate(session, part, batch); tb += await bare(session, part, batch); }
    else { tb += await bare(session, part, batch); te += await viaEvaluate(session, part, batch); }
  }
  return [count / te, count / tb];
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (v: number): string => Math.round(v).toLocaleString('en-US');

async function main(): Promise<void> {
  const ds = await loadMnist({ split: 'test' });
  const count = Math.min(limit, ds.count);
  const session = await createSession(buildZooModel('lenet5', { seed: 0 }), { threads: Number(values.threads) });
  const rows: string[] = [];
  for (const batch of values.batches.split(',').map(Number)) {
    await pass(session, ds, batch, Math.min(count, 20 * batch), true); // warm-up
    const ev: number[] = [];
    const raw: number[] = [];
    for (let r = 0; r < reps; r++) {
      const [e, b] = await pass(session, ds, batch, count, r % 2 === 0);
      ev.push(e);
      raw.push(b);
    }
    const e = median(ev);
    const b = median(raw);
    rows.push(`| ${batch} | ${fmt(e)} | ${fmt(b)} | ${(((b - e) / b) * 100).toFixed(1)}% |`);
  }
  await session.release();
  console.log(`LeNet-5 (random weights), MNIST test ${count} images, threads ${values.threads}, median of ${reps} passes, interleaved per ~1k-image slice\n`);
  console.log('| batch | evaluate img/s | bare session.run img/s | overhead |');
  console.log('|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
}

await main();
