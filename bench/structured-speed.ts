/**
 * Structured pruning: MACs, parameters, file size and onnxruntime latency before and after removing channels, at
 * 30/50/70% MAC reduction (kept channels rounded to multiples of 8), for the zoo CNNs and the PyTorch resnet18.
 *
 *   npx tsx bench/structured-speed.ts [--runs 50] [--only resnet18,mobilenet_v2]
 *
 * Latency: 1 intra-op thread, batch 1 and 32, median of `--runs` timed runs after warm-up, every variant timed in the
 * same process. Speedup = dense median / pruned median; "efficiency" = latency reduction / MAC reduction at that point.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Model } from '../src/ir/graph.js';
import { modelStats } from '../src/metrics/index.js';
import { encodeModel, loadModel } from '../src/onnx/index.js';
import { restoreStrippedWeights } from '../test/helpers/weights.js';
import { applyStructuredPlan, buildDependencyGraph, planByRatio, scoreGroups } from '../src/prune/structure/index.js';
import { benchLatency } from '../src/runtime/index.js';
import { buildZooModel } from '../src/zoo/index.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '50' }, only: { type: 'string' } } });
const runs = Number(values.runs);

async function atMacs(model: Model, keep: number): Promise<Model> {
  const dg = buildDependencyGraph(model);
  const scores = scoreGroups(dg, { criterion: 'l2' });
  const macs = async (m: Model): Promise<number> => (await modelStats(m, { shapes: 'static' })).macs;
  const dense = await macs(model);
  let [lo, hi] = [0, 0.99];
  for (let i = 0; i < 12; i++) {
    const mid = (lo + hi) / 2;
    if ((await macs(applyStructuredPlan(model, planByRatio(dg, scores, { ratio: mid, roundTo: 8 }), { graph: dg }))) / dense > keep) lo = mid;
    else hi = mid;
  }
  return applyStructuredPlan(model, planByRatio(dg, scores, { ratio: hi, roundTo: 8 }), { graph: dg });
}

const all: [string, Model][] = [
  ['resnet-small', buildZooModel('resnet-small')],
  ['mobilenetv2-small', buildZooModel('mobilenetv2-small')],
  ['lenet5', buildZooModel('lenet5')],
  ['resnet18 (PyTorch, 64x64)', await loadModel(join(import.meta.dirname, '../fixtures/pytorch/resnet18.onnx'))],
  // Structure-only torchvision export: seeded weights of the right scale (latency does not depend on their values).
  ['mobilenet_v2 (torchvision, 64x64)', restoreStrippedWeights(await loadModel(join(import.meta.dirname, '../fixtures/torchvision/mobilenet_v2.onnx')))],
];
const models = all.filter(([name]) => values.only === undefined || values.only.split(',').some((o) => name.startsWith(o)));
console.log('| model | MAC reduction target | MACs | params | file | batch 1 ms | batch 32 ms | speedup b1 / b32 | efficiency b1 / b32 |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, dense] of models) {
  const base = await benchLatency(dense, { batchSizes: [1, 32], runs, warmup: 10, threads: 1 });
  const d = await modelStats(dense, { shapes: 'static' });
  const row = (label: string, s: typeof d, bytes: number, lat: typeof base): string => {
    const [b1, b32] = [lat[0]!.medianMs, lat[1]!.medianMs];
    const macRed = 1 - s.macs / d.macs;
    const eff = (l: number, b: number): string => (macRed > 0 ? ((1 - l / b) / macRed).toFixed(2) : '-');
    return `| ${name} | ${label} | ${(s.macs / 1e6).toFixed(2)} M | ${s.params.toLocaleString('en-US')} | ${(bytes / 1024).toFixed(0)} KiB | ${b1.toFixed(3)} | ${b32.toFixed(2)} | ` +
      `${(base[0]!.medianMs / b1).toFixed(2)}x / ${(base[1]!.medianMs / b32).toFixed(2)}x | ${eff(b1, base[0]!.medianMs)} / ${eff(b32, base[1]!.medianMs)} |`;
  };
  console.log(row('dense', d, encodeModel(dense).byteLength, base));
  for (const red of [0.3, 0.5, 0.7]) {
    const pruned = await atMacs(dense, 1 - red);
    const s = await modelStats(pruned, { shapes: 'static' });
    console.log(row(`${Math.round(red * 100)}% (got ${((1 - s.macs / d.macs) * 100).toFixed(0)}%)`, s, encodeModel(pruned).byteLength,
      await benchLatency(pruned, { batchSizes: [1, 32], runs, warmup: 10, threads: 1 })));
  }
}
