/**
 * Structured-pruning analysis and planning at ResNet-50 scale: a ResNet-50-shaped graph (bottleneck blocks [3, 4, 6, 3],
 * widths 64..512 x4, 224x224x3 input, 1000 classes; 25.6M parameters, seeded random weights) built with the zoo
 * helpers; then the dependency graph, group scores and a plan to 50% of the MACs (bisection on predicted MACs,
 * kept channels rounded to 8). Targets: analysis + planning under 10 s, peak memory under 3x the model's size.
 *
 *   node --expose-gc --import tsx bench/structured-planning.ts [--criterion l2] [--repeat 3]
 *
 * Peak memory is Linux's VmHWM (peak resident set) of this process, reset just before the timed work by writing 5 to
 * /proc/self/clear_refs, after a forced GC. `process.resourceUsage().maxRSS` cannot be reset, so it would report
 * the peak of building the model (random weights drawn into temporary arrays) instead of the analysis; it is printed
 * for reference. "Model + analysis" is the peak minus the RSS of the process before the model existed (Node, tsx and
 * the loaded modules); "analysis" is the peak minus the RSS with the model built.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Model, Value } from '../src/ir/graph.js';
import {
  applyStructuredPlan, buildDependencyGraph, GROUP_CRITERIA, planMacs, planToTarget, scoreGroups, type GroupCriterion,
} from '../src/prune/structure/index.js';
import { batchNorm, conv, finishModel, globalPool, linear, relu, startModel, type ZooContext, type ZooInfo } from '../src/zoo/common.js';

const { values } = parseArgs({ options: { criterion: { type: 'string', default: 'l2' }, repeat: { type: 'string', default: '3' } } });
const criterion = GROUP_CRITERIA.find((c) => c === values.criterion && !['taylor', 'fisher', 'activation'].includes(c)) as GroupCriterion | undefined;
if (!criterion) throw new RangeError(`'--criterion' must be one of l1, l2, bn-scale, random (the data criteria need a dataset), got '${values.criterion}'.`);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/structured-planning.ts');

const INFO: ZooInfo = { name: 'resnet50', description: 'ResNet-50 shape, random weights', inputShape: [3, 224, 224], dataset: 'mnist' };

function convBn(ctx: ZooContext, name: string, x: Value, inC: number, outC: number, kernel: number, stride: number): Value {
  return ctx.b.scope(name, () => {
    const y = ctx.b.scope('conv', () => conv(ctx, x, { inC, outC, kernel, stride, pad: (kernel - 1) / 2, bias: false }));
    return ctx.b.scope('bn', () => batchNorm(ctx, y, outC));
  });
}

function bottleneck(ctx: ZooContext, x: Value, inC: number, width: number, stride: number): Value {
  const h = relu(ctx, convBn(ctx, 'conv2', relu(ctx, convBn(ctx, 'conv1', x, inC, width, 1, 1)), width, width, 3, stride));
  const y = convBn(ctx, 'conv3', h, width, 4 * width, 1, 1);
  const shortcut = stride !== 1 || inC !== 4 * width ? convBn(ctx, 'downsample', x, inC, 4 * width, 1, stride) : x;
  return relu(ctx, ctx.b.op('Add', [y, shortcut]));
}

function resnet50(): Model {
  const ctx = startModel(INFO, { numClasses: 1000, seed: 0 });
  let x = ctx.b.scope('stem', () => relu(ctx, convBn(ctx, 'conv', ctx.input, 3, 64, 7, 2)));
  x = ctx.b.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  let inC = 64;
  ([[3, 64, 1], [4, 128, 2], [6, 256, 2], [3, 512, 2]] as const).forEach(([blocks, width, stride], s) => {
    for (let j = 0; j < blocks; j++) {
      const [xi, ci] = [x, inC];
      x = ctx.b.scope(`layer${s + 1}.${j}`, () => bottleneck(ctx, xi, ci, width, j === 0 ? stride : 1));
      inC = 4 * width;
    }
  });
  return finishModel(ctx, INFO, ctx.b.scope('fc', () => linear(ctx, globalPool(ctx, x), 2048, 1000)), { numClasses: 1000 });
}

const MiB = 2 ** 20;
const status = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) * 1024;
const resetPeak = (): void => { gc(); writeFileSync('/proc/self/clear_refs', '5'); };
const ms = (t0: number): string => `${(performance.now() - t0).toFixed(0)} ms`;

resetPeak();
const before = status('VmRSS');
let t = performance.now();
const model = resnet50();
const built = ms(t);
const params = model.graph.initializers.reduce((n, v) => n + (v.constant?.size ?? 0), 0);
const bytes = model.graph.initializers.reduce((n, v) => n + (v.constant?.byteLength ?? 0), 0);
console.log(`model: ${model.graph.nodes.length} nodes, ${(params / 1e6).toFixed(2)}M parameters incl. BN statistics, ${(bytes / MiB).toFixed(1)} MiB; built in ${built}`);
const rows: string[] = [];
const notes: string[] = [];
for (let run = 1; run <= Number(values.repeat); run++) {
  resetPeak();
  const withModel = status('VmRSS');
  const t0 = performance.now();
  t = t0;
  const dg = buildDependencyGraph(model);
  const analysis = ms(t);
  t = performance.now();
  const scores = scoreGroups(dg, { criterion });
  const scoring = ms(t);
  t = performance.now();
  const macs = planMacs(dg);
  const r = planToTarget(dg, scores, { cost: (p) => macs.of(p), target: 0.5 * macs.dense, roundTo: 8 });
  const planning = ms(t);
  const total = performance.now() - t0;
  const peak = status('VmHWM');
  rows.push(`| ${run} | ${analysis} | ${scoring} | ${planning} | ${(total / 1000).toFixed(2)} s | ${(peak / MiB).toFixed(0)} MiB | ${((peak - before) / MiB).toFixed(0)} MiB | ` +
    `${((peak - withModel) / MiB).toFixed(0)} MiB | ${((peak - before) / bytes).toFixed(2)}x |`);
  if (run === 1) notes.push(`${dg.groups.length} groups (${dg.groups.filter((g) => !g.blocked).length} prunable); plan: ratio ${r.ratio.toFixed(4)}, MACs ${(r.cost / 1e9).toFixed(2)} G of ${(macs.dense / 1e9).toFixed(2)} G (${((r.cost / macs.dense) * 100).toFixed(1)}%)`);
}
// Applying the plan (after the timed runs: it slices ~50 MiB of new tensors, which would inflate later runs' baselines).
t = performance.now();
const dg = buildDependencyGraph(model);
const macs = planMacs(dg);
const plan = planToTarget(dg, scoreGroups(dg, { criterion }), { cost: (p) => macs.of(p), target: 0.5 * macs.dense, roundTo: 8 }).plan;
const t1 = performance.now();
const pruned = applyStructuredPlan(model, plan, { graph: dg });
notes.push(`apply (not part of the target): ${(performance.now() - t1).toFixed(0)} ms, ${(pruned.graph.initializers.reduce((n, v) => n + (v.constant?.size ?? 0), 0) / 1e6).toFixed(2)}M parameters left (${ms(t)} with analysis and planning)`);
console.log(`\nRSS before the model: ${(before / MiB).toFixed(0)} MiB\n`);
console.log(`| run | analysis | scores (${criterion}) | plan to 50% MACs | total | peak RSS | model + analysis | analysis alone | (model + analysis) / model |`);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
console.log(`\n${notes.join('\n')}`);
console.log(`process.resourceUsage().maxRSS (whole run, includes building the model): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
