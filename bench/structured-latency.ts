/**
 * The measured-latency target on the PyTorch resnet18 fixture (64x64 input): a per-layer latency lookup table
 * measured with onnxruntime, plans to fractions of the dense model's measured latency (L2 group scores, kept
 * channels rounded to 8), and each pruned model timed against the dense one. For comparison, the plan to the same
 * fraction of MACs.
 *
 *   npx tsx bench/structured-latency.ts [--targets 0.7,0.5,0.3] [--batch 1] [--threads 1] [--runs 200] [--cache FILE]
 *
 * "measured" = median of the pruned model / median of the dense model, timed in alternating rounds in this process
 * (`measureLatency`); "predicted" = the lookup table's prediction the planner met.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '../src/onnx/index.js';
import {
  applyStructuredPlan, buildDependencyGraph, latencyTable, measureLatency, planMacs, planToTarget, predictLatency, scoreGroups,
} from '../src/prune/structure/index.js';

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: '0.7,0.5,0.3' }, batch: { type: 'string', default: '1' }, threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '200' }, cache: { type: 'string' },
  },
});
const [batch, threads, runs] = [Number(values.batch), Number(values.threads), Number(values.runs)];
const model = await loadModel(join(import.meta.dirname, '../fixtures/pytorch/resnet18.onnx'));
const dg = buildDependencyGraph(model);
const scores = scoreGroups(dg, { criterion: 'l2' });
const macs = planMacs(dg);

let t = performance.now();
const { table, cached } = await latencyTable(model, dg, { batch, threads, roundTo: 8, ...(values.cache ? { cache: values.cache } : {}) });
const points = table.layers.reduce((n, l) => n + l.ms.flat().length, 0);
console.log(`resnet18 (PyTorch export, 64x64), batch ${batch}, ${threads} thread(s): lookup table ${cached ? 'from the cache' : 'measured'} in ` +
  `${((performance.now() - t) / 1000).toFixed(1)} s (${table.layers.length} layers, ${points} grid points); dense ${table.denseMs.toFixed(3)} ms when measured\n`);
console.log('| target | planned on | channel ratio | MACs | predicted latency | measured latency | dense / pruned ms (measured) |');
console.log('|---:|---|---:|---:|---:|---:|---:|');
for (const keep of values.targets.split(',').map(Number)) {
  const byLatency = planToTarget(dg, scores, { roundTo: 8, cost: (p) => predictLatency(table, dg, p).ms, target: keep * table.denseMs });
  const byMacs = planToTarget(dg, scores, { roundTo: 8, cost: (p) => macs.of(p), target: keep * macs.dense });
  for (const [label, r] of [['latency', byLatency], ['MACs', byMacs]] as const) {
    t = performance.now();
    const pruned = applyStructuredPlan(model, r.plan, { graph: dg });
    const m = await measureLatency(model, pruned, { batch, threads, runs, rounds: 5 });
    console.log(`| ${keep} | ${label}${r.reached ? '' : ' (unreachable)'} | ${r.ratio.toFixed(3)} | ${((macs.of(r.plan) / macs.dense) * 100).toFixed(1)}% | ` +
      `${(predictLatency(table, dg, r.plan).fraction * 100).toFixed(1)}% | ${(m.fraction * 100).toFixed(1)}% | ${m.denseMs.toFixed(3)} / ${m.prunedMs.toFixed(3)} |`);
  }
}
