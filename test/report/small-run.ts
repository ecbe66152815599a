/**
 * A real, small pipeline run for report tests: the bundled trained LeNet-5, a sensitivity sweep, magnitude pruning
 * to 80% with the allocated per-layer sparsities, then 50% of the channels of every prunable group removed. Every
 * stage is measured with `measureModel` (500 MNIST test images, short latency runs) and saved; the run folder gets a
 * `run.json` and a `sensitivity.json` the way pipelines write them.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist, take } from '../../src/data/index.js';
import type { Model } from '../../src/ir/graph.js';
import { loadModel, saveModel } from '../../src/onnx/index.js';
import { BUNDLED_MODEL } from '../../src/pipeline/demo.js';
import { allocateSparsity, analyzeSensitivity, applyMasks, planPruning, type SensitivityResult } from '../../src/prune/index.js';
import { writeSensitivity } from '../../src/prune/sensitivity-output.js';
import { applyStructuredPlan, buildDependencyGraph, planByRatio, scoreGroups } from '../../src/prune/structure/index.js';
import { measureModel, type Measurement } from '../../src/report/measure.js';
import { RUN_RECORD_VERSION, writeRunRecord, type RunRecord } from '../../src/report/run-record.js';
import { blockedGroups, measuredStage, stageModel, toolInfo } from '../../src/report/run-stage.js';

/** A run folder and the record written into it. */
export interface SmallRun {
  readonly dir: string;
  readonly record: RunRecord;
  /** What the run's sensitivity.json holds. */
  readonly sensitivity: SensitivityResult;
}

/** Builds the run in a new temporary folder (a few seconds on 2 cores). The caller removes `dir`. */
export async function makeSmallRun(): Promise<SmallRun> {
  const dir = await mkdtemp(join(tmpdir(), 'secateurs-run-'));
  const model = await loadModel(BUNDLED_MODEL);
  const test = take(await loadMnist({ split: 'test' }), 500);
  const calib = take(await loadMnist({ split: 'train' }), 300);
  const measure = (m: Model): Promise<Measurement> => measureModel(m, test, { runs: 8, batchSizes: [1, 16] });
  const timed = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
    const t0 = performance.now();
    const r = await f();
    return [r, (performance.now() - t0) / 1000];
  };

  const original = measuredStage({ name: 'original', kind: 'original', measurement: await measure(model) });
  const [sensitivity, sensS] = await timed(() => analyzeSensitivity(model, calib, { levels: [0, 0.5, 0.8, 0.95], metric: 'labels', workers: 0 }));
  const allocation = allocateSparsity(sensitivity, { kind: 'sparsity', value: 0.8 }).sparsities;
  const [pruned, pruneS] = await timed(async () => applyMasks(model, await planPruning(model, { criterion: 'magnitude', scope: { kind: 'explicit', sparsities: allocation } })));
  await saveModel(pruned, join(dir, 'pruned.onnx'), { sparse: 'all' });
  const prune = measuredStage({
    name: 'prune 80%', kind: 'prune', measurement: await measure(pruned), previous: original, durationS: sensS + pruneS,
    model: await stageModel(dir, join(dir, 'pruned.onnx')), notes: ['Magnitude pruning, per-layer sparsity allocated from the sensitivity curves.'],
  });

  const [slim, slimS] = await timed(() => {
    const dg = buildDependencyGraph(pruned);
    const plan = planByRatio(dg, scoreGroups(dg, { criterion: 'l2' }), { ratio: 0.5, roundTo: 2 });
    return { model: applyStructuredPlan(pruned, plan, { graph: dg }), blocked: blockedGroups(dg) };
  });
  await saveModel(slim.model, join(dir, 'structured.onnx'), { sparse: 'all' });
  const structured = measuredStage({
    name: 'structured 50%', kind: 'structured', measurement: await measure(slim.model), previous: prune, durationS: slimS,
    blocked: slim.blocked, model: await stageModel(dir, join(dir, 'structured.onnx')), notes: ['Half the channels of every prunable group removed (L2 norm), no fine-tuning.'],
  });

  await writeSensitivity(sensitivity, dir);
  const record: RunRecord = {
    version: RUN_RECORD_VERSION,
    title: 'LeNet-5: prune 80%, then remove half the channels',
    createdAt: new Date().toISOString(),
    tool: toolInfo(),
    source: { path: BUNDLED_MODEL, params: original.metrics.params, macs: original.metrics.macs },
    data: { name: test.name, split: test.split, count: test.count },
    stages: [original, prune, structured],
    sensitivity: { source: 'file', path: 'sensitivity.json', allocation },
  };
  await writeRunRecord(dir, record);
  return { dir, record, sensitivity };
}

/** Text that breaks HTML and Markdown if written unescaped. */
export const HOSTILE = `<img src=x onerror="document.title='pwned'"> & <script>window.pwned=1</script> | *b* [l](x)`;

/**
 * The run's record with every name and free text replaced by {@link HOSTILE} variants, sensitivity embedded, written
 * to `dir/run.json`: what a report must show literally.
 */
export async function writeHostileRun(dir: string, run: SmallRun): Promise<RunRecord> {
  const sensitivity = run.sensitivity;
  const layer = (name: string): string => `${HOSTILE} ${name}`;
  const record: RunRecord = {
    ...run.record,
    title: `Title ${HOSTILE}`,
    source: { ...run.record.source, path: `models/${HOSTILE}.onnx` },
    data: { ...run.record.data, name: `data ${HOSTILE}` },
    stages: run.record.stages.map((s, i) => ({
      ...s,
      name: i === 0 ? 'original' : `${HOSTILE} stage ${i}`,
      layers: s.layers.map((l) => ({ ...l, name: layer(l.name), ...(l.weight ? { weight: layer(l.weight) } : {}) })),
      blocked: s.blocked.map((b) => ({ group: layer(b.group), node: layer(b.node), op: `Op${HOSTILE}`, reason: `because ${HOSTILE}` })),
      notes: [`note ${HOSTILE}`],
    })),
    sensitivity: {
      source: 'embedded',
      result: { ...sensitivity, layers: sensitivity.layers.map(layer), rows: sensitivity.rows.map((r) => ({ ...r, layer: layer(r.layer) })) },
      allocation: Object.fromEntries(Object.entries(run.record.sensitivity?.allocation ?? {}).map(([k, v]) => [layer(k), v])),
    },
  };
  await writeRunRecord(dir, record);
  return record;
}
