/**
 * Structured pruning: MACs, parameters, file size and onnxruntime latency before and after removing channels, at
 * 30/50/70% MAC reduction (kept channels rounded to multiples of `--round-to`, default 8), for the zoo CNNs and the PyTorch resnet18.
 *
 *   npx tsx bench/structured-speed.ts [--runs 50] [--rounds 5] [--only resnet18,mobilenet_v2] [--resolution 224] [--round-to 8]
 *
 * Latency: 1 intra-op thread, batch 1 and 32, every variant's session created once and timed in `--rounds`
 * interleaved rounds (dense, 30%, 50%, 70%, dense, ...; `--runs` timed runs after warm-up each), so slow drift of the
 * machine hits every variant alike. A round's speedup is dense median / pruned median of that round; the table shows
 * the median over rounds of latency and of speedup, and the range of the batch-1 efficiency over rounds.
 * "Efficiency" = latency reduction / MAC reduction. `--resolution` sets the PyTorch fixtures' input to N×3×R×R
 * (they are exported at 64x64; torchvision's models are made for 224x224, where fixed per-node costs matter less).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Model } from '../src/ir/graph.js';
import { modelStats } from '../src/metrics/index.js';
import { encodeModel, loadModel } from '../src/onnx/index.js';
import { restoreStrippedWeights } from '../test/helpers/weights.js';
import { applyStructuredPlan, buildDependencyGraph, planByRatio, scoreGroups } from '../src/prune/structure/index.js';
import { benchLatency, createSession, type Session } from '../src/runtime/index.js';
import { buildZooModel } from '../src/zoo/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '5' },
    only: { type: 'string' },
    resolution: { type: 'string' },
    'round-to': { type: 'string', default: '8' },
  },
});
const roundTo = Number(values['round-to']);
const runs = Number(values.runs);
const rounds = Number(values.rounds);
const resolution = values.resolution === undefined ? undefined : Number(values.resolution);

async function atMacs(model: Model, keep: number): Promise<Model> {
  const dg = buildDependencyGraph(model);
  const scores = scoreGroups(dg, { criterion: 'l2' });
  const macs = async (m: Model): Promise<number> => (await modelStats(m, { shapes: 'static' })).macs;
  const dense = await macs(model);
  let [lo, hi] = [0, 0.99];
  for (let i = 0; i < 12; i++) {
    const mid = (lo + hi) / 2;
    if ((await macs(applyStructuredPlan(model, planByRatio(dg, scores, { ratio: mid, roundTo }), { graph: dg }))) / dense > keep) lo = mid;
    else hi = mid;
  }
  return applyStructuredPlan(model, planByRatio(dg, scores, { ratio: hi, roundTo }), { graph: dg });
}

/** Sets an image model's input to N×C×R×R and forgets the exported intermediate shapes (re-inferred from the input). */
function atResolution(model: Model): Model {
  if (resolution === undefined) return model;
  const input = model.graph.inputs[0]!;
  input.shape = [input.shape![0]!, input.shape![1]!, resolution, resolution];
  const keep = new Set([...model.graph.inputs, ...model.graph.outputs]);
  for (const v of model.graph.allValues()) if (v.constant === undefined && !keep.has(v)) v.shape = undefined;
  return model;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const all: [string, Model][] = [
  ['resnet-small', buildZooModel('resnet-small')],
  ['mobilenetv2-small', buildZooModel('mobilenetv2-small')],
  ['lenet5', buildZooModel('lenet5')],
  [`resnet18 (PyTorch, ${resolution ?? 64}x${resolution ?? 64})`, atResolution(await loadModel(join(import.meta.dirname, '../fixtures/pytorch/resnet18.onnx')))],
  // Structure-only torchvision export: seeded weights of the right scale (latency does not depend on their values).
  [`mobilenet_v2 (torchvision, ${resolution ?? 64}x${resolution ?? 64})`, atResolution(restoreStrippedWeights(await loadModel(join(import.meta.dirname, '../fixtures/torchvision/mobilenet_v2.onnx'))))],
];
const models = all.filter(([name]) => values.only === undefined || values.only.split(',').some((o) => name.startsWith(o)));
console.log('| model | MAC reduction target | MACs | params | file | batch 1 ms | batch 32 ms | speedup b1 / b32 | efficiency b1 / b32 | b1 efficiency range |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, dense] of models) {
  const d = await modelStats(dense, { shapes: 'static' });
  const variants: { label: string; model: Model; stats: typeof d }[] = [{ label: 'dense', model: dense, stats: d }];
  for (const red of [0.3, 0.5, 0.7]) {
    const pruned = await atMacs(dense, 1 - red);
    const s = await modelStats(pruned, { shapes: 'static' });
    variants.push({ label: `${Math.round(red * 100)}% (got ${((1 - s.macs / d.macs) * 100).toFixed(0)}%)`, model: pruned, stats: s });
  }
  const sessions: Session[] = [];
  for (const v of variants) sessions.push(await createSession(v.model, { threads: 1 }));
  // lat[variant][batch index][round]
  const lat = variants.map(() => [[], []] as number[][]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const rows = await benchLatency(sessions[i]!, { batchSizes: [1, 32], runs, warmup: 10 });
      lat[i]![0]!.push(rows[0]!.medianMs);
      lat[i]![1]!.push(rows[1]!.medianMs);
    }
  }
  for (const s of sessions) await s.release();
  variants.forEach((v, i) => {
    const macRed = 1 - v.stats.macs / d.macs;
    const speed = (b: number): number => median(lat[i]![b]!.map((t, r) => lat[0]![b]![r]! / t));
    const eff = (sp: number): string => (macRed > 0 ? ((1 - 1 / sp) / macRed).toFixed(2) : '-');
    const effs = lat[i]![0]!.map((t, r) => (1 - t / lat[0]![0]![r]!) / macRed);
    const range = macRed > 0 ? `${Math.min(...effs).toFixed(2)}–${Math.max(...effs).toFixed(2)}` : '-';
    console.log(`| ${name} | ${v.label} | ${(v.stats.macs / 1e6).toFixed(2)} M | ${v.stats.params.toLocaleString('en-US')} | ` +
      `${(encodeModel(v.model).byteLength / 1024).toFixed(0)} KiB | ${median(lat[i]![0]!).toFixed(3)} | ${median(lat[i]![1]!).toFixed(2)} | ` +
      `${speed(0).toFixed(2)}x / ${speed(1).toFixed(2)}x | ${eff(speed(0))} / ${eff(speed(1))} | ${range} |`);
  });
}
