import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist, splitTrainVal, take } from '../data/index.js';
import type { Model } from '../ir/graph.js';
import { loadModel, saveModel } from '../onnx/index.js';
import { allocateSparsity, analyzeSensitivity, applyMasks, planPruning, pruneReport, type PruneReport, type SensitivityResult } from '../prune/index.js';
import { measureModel, type Measurement } from '../report/measure.js';
import { RUN_RECORD_VERSION, writeRunRecord, type RunRecord, type RunStage, type StageModel } from '../report/run-record.js';
import { measuredStage, stageModel, toolInfo } from '../report/run-stage.js';
import { writeSensitivity } from '../prune/sensitivity-output.js';
import { train, zeroMasks } from '../train/index.js';
import { buildZooModel } from '../zoo/index.js';

/** The bundled default: LeNet-5-Caffe trained on MNIST by `secateurs train` (see models/README.md). */
export const BUNDLED_MODEL = fileURLToPath(new URL('../../models/lenet5-mnist.onnx', import.meta.url));

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** An .onnx path or `zoo:NAME`; default the bundled trained LeNet-5. */
  readonly model?: string;
  /** Global sparsity to reach; default 0.9. */
  readonly sparsity?: number;
  /** Training samples used for the fine-tuning epoch; default 30,000. */
  readonly finetuneSamples?: number;
  /** Evaluate on the first `limit` MNIST test images; default all 10,000. */
  readonly limit?: number;
  /** Write the pruned model here (sparse initializers where smaller). */
  readonly out?: string;
  /**
   * Write the run record (`run.json`, for `secateurs report`) and the sensitivity results (`sensitivity.json`, `.csv`,
   * `.svg`) into this folder; default the folder of `out` when `out` is given, nowhere otherwise.
   */
  readonly runDir?: string;
  /** Show progress bars. */
  readonly progress?: boolean;
  /** Receives one line per step. */
  readonly log?: ((line: string) => void) | undefined;
}

/** Everything the demo measured. */
export interface DemoReport {
  readonly model: string;
  readonly before: Measurement;
  readonly after: Measurement;
  readonly sensitivity: SensitivityResult;
  /** Per-layer sparsity chosen from the sensitivity curves. */
  readonly allocation: Readonly<Record<string, number>>;
  readonly report: PruneReport;
  readonly out: string | undefined;
  /** Size on disk of the saved pruned model (sparse initializers where smaller). */
  readonly outBytes: number | undefined;
  /** The run's record: stages original, prune and finetune (sensitivity embedded when no run folder was written). */
  readonly record: RunRecord;
  /** Where the record was written, if anywhere. */
  readonly recordPath: string | undefined;
  readonly seconds: number;
}

/**
 * The main job on the bundled default: measure the trained LeNet-5; run a sensitivity analysis (each layer pruned
 * alone at several levels, scored on 2,000 held-out training images, never on the test set); allocate per-layer
 * sparsity reaching 90% overall with the least predicted loss; prune by magnitude; fine-tune one epoch with the pruned
 * weights held at zero; measure again (accuracy on MNIST test, parameters, MACs, raw/gzip size, latency). With a run
 * folder (`runDir`, or the folder of `out`), writes `run.json` (stages original, prune, finetune; see `RunRecord`) and
 * the sensitivity results beside it, for `secateurs report`.
 *
 * @example
 * ```ts
 * const r = await runDemo({ limit: 2000 });
 * console.log(r.before.eval?.top1, '->', r.after.eval?.top1, r.report.compressionRatio);
 * ```
 */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoReport> {
  const t0 = performance.now();
  const createdAt = new Date().toISOString();
  const spec = opts.model ?? BUNDLED_MODEL;
  const log = opts.log ?? (() => undefined);
  const runDir = opts.runDir ?? (opts.out ? dirname(opts.out) : undefined);
  if (runDir !== undefined && opts.out !== undefined && relative(runDir, opts.out).split(sep)[0] === '..') {
    throw new RangeError(`'out' (${opts.out}) must be inside 'runDir' (${runDir}): the run record references the model by a relative path.`);
  }
  const model: Model = spec.startsWith('zoo:') ? buildZooModel(spec.slice(4), { seed: 0 }) : await loadModel(spec);
  const [full, test] = [await loadMnist({ split: 'train' }), await loadMnist({ split: 'test' })];
  const { train: trainSet, val } = splitTrainVal(full, { valCount: 2000, seed: 0, stratified: true });
  const testSet = opts.limit !== undefined ? take(test, opts.limit) : test;
  const measure = (m: Model): Promise<Measurement> => measureModel(m, testSet, { progress: opts.progress ?? false });
  log(`measuring ${spec}`);
  const before = await measure(model);
  const tPrune = performance.now();
  log('sensitivity analysis: each layer pruned alone at 0-95%, on 2,000 held-out training images');
  const sensitivity = await analyzeSensitivity(model, val, { levels: [0, 0.5, 0.7, 0.8, 0.9, 0.95], metric: 'labels', workers: 2, progress: opts.progress ?? false });
  const sensitivityS = (performance.now() - tPrune) / 1000;
  const sparsity = opts.sparsity ?? 0.9;
  const allocation = allocateSparsity(sensitivity, { kind: 'sparsity', value: sparsity }).sparsities;
  log(`allocated: ${Object.entries(allocation).map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(', ')}`);
  const pruned = applyMasks(model, await planPruning(model, { criterion: 'magnitude', scope: { kind: 'explicit', sparsities: allocation } }));
  const pruneS = (performance.now() - tPrune) / 1000;
  log('measuring the pruned model');
  const afterPrune = await measure(pruned);
  log('fine-tuning one epoch with the pruned weights held at zero');
  const tTune = performance.now();
  const tuneSet = take(trainSet, opts.finetuneSamples ?? 30_000);
  const tuned = await train(pruned, tuneSet, {
    epochs: 1, optimizer: 'adam', lr: 2e-4, masks: zeroMasks(pruned), progress: opts.progress ?? false,
  });
  const tuneS = (performance.now() - tTune) / 1000;
  if (opts.out) {
    await mkdir(dirname(opts.out), { recursive: true });
    await saveModel(tuned.model, opts.out, { sparse: 'all' });
  }
  log('measuring the fine-tuned model');
  const after = await measure(tuned.model);
  const outBytes = opts.out ? (await stat(opts.out)).size : undefined;
  const stages = demoStages({
    sparsity, allocation, sensitivity, before, afterPrune, after, pruneS, sensitivityS, tuneS, tuneCount: tuneSet.count, outBytes,
    model: opts.out && runDir ? await stageModel(runDir, opts.out) : undefined,
  });
  const { record, recordPath } = await recordDemo({
    spec, createdAt, sparsity, data: { name: testSet.name, split: testSet.split, count: before.eval?.count ?? testSet.count },
    before, stages, sensitivity, allocation, runDir,
  });
  if (recordPath) log(`wrote the run record ${recordPath}: 'secateurs report ${runDir}' renders it`);
  return {
    model: spec, before, after, sensitivity, allocation, report: await pruneReport(tuned.model), out: opts.out,
    outBytes, record, recordPath,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * The run record of the demo; with a run folder, writes the sensitivity results (referenced by path) and `run.json`
 * there, otherwise embeds the sensitivity results and writes nothing.
 */
async function recordDemo(d: {
  readonly spec: string; readonly createdAt: string; readonly sparsity: number; readonly data: RunRecord['data']; readonly before: Measurement;
  readonly stages: readonly RunStage[]; readonly sensitivity: SensitivityResult; readonly allocation: Readonly<Record<string, number>>;
  readonly runDir: string | undefined;
}): Promise<{ record: RunRecord; recordPath: string | undefined }> {
  const sensitivityFile = d.runDir ? (await writeSensitivity(d.sensitivity, d.runDir)).json : undefined;
  const record: RunRecord = {
    version: RUN_RECORD_VERSION,
    title: `Demo: ${d.spec.startsWith('zoo:') ? d.spec : basename(d.spec)} pruned to ${(d.sparsity * 100).toFixed(0)}% sparsity and fine-tuned`,
    createdAt: d.createdAt,
    tool: toolInfo(),
    source: { path: d.spec, params: d.before.summary.params, macs: d.before.summary.macs },
    data: d.data,
    stages: d.stages,
    sensitivity: sensitivityFile && d.runDir
      ? { source: 'file', path: relative(d.runDir, sensitivityFile).split(sep).join('/'), allocation: d.allocation }
      : { source: 'embedded', result: d.sensitivity, allocation: d.allocation },
  };
  return { record, recordPath: d.runDir ? await writeRunRecord(d.runDir, record) : undefined };
}

interface DemoStagesInput {
  readonly sparsity: number;
  readonly allocation: Readonly<Record<string, number>>;
  readonly sensitivity: SensitivityResult;
  readonly before: Measurement;
  readonly afterPrune: Measurement;
  readonly after: Measurement;
  readonly sensitivityS: number;
  readonly pruneS: number;
  readonly tuneS: number;
  readonly tuneCount: number;
  readonly outBytes: number | undefined;
  readonly model: StageModel | undefined;
}

/** The run record's stages: the original model, after pruning, after fine-tuning (the saved model). */
function demoStages(d: DemoStagesInput): RunStage[] {
  const allocated = Object.entries(d.allocation).map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(', ');
  const original = measuredStage({ name: 'original', kind: 'original', measurement: d.before });
  const prune = measuredStage({
    name: `prune ${Math.round(d.sparsity * 100)}%`, kind: 'prune', measurement: d.afterPrune, previous: original, durationS: d.pruneS,
    notes: [
      `Magnitude pruning with per-layer sparsity allocated from the sensitivity curves to reach ${(d.sparsity * 100).toFixed(0)}% overall: ${allocated}.`,
      `The duration includes the sensitivity analysis: ${d.sensitivity.rows.length} cells on ${d.sensitivity.dataset.count.toLocaleString('en-US')} held-out training images, ${d.sensitivityS.toFixed(1)} s.`,
    ],
  });
  const finetune = measuredStage({
    name: 'finetune', kind: 'finetune', measurement: d.after, previous: prune, durationS: d.tuneS,
    ...(d.model ? { model: d.model } : {}),
    notes: [
      `1 epoch of Adam (lr 2e-4) on ${d.tuneCount.toLocaleString('en-US')} training images, pruned weights held at zero.`,
      ...(d.outBytes !== undefined ? [`Saved with sparse initializers: ${d.outBytes.toLocaleString('en-US')} bytes on disk (dense encoding: ${d.after.summary.fileBytes.toLocaleString('en-US')} bytes).`] : []),
    ],
  });
  return [original, prune, finetune];
}
