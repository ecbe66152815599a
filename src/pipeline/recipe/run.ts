/**
 * `secateurs run RECIPE`: executes a recipe's stages in order inside one run folder. After every stage the model is
 * saved (atomically), loaded by onnxruntime, compared with the original on test samples, measured (accuracy, size,
 * parameters, MACs, latency) and the run record (`run.json`) rewritten, so an interrupted run resumes after its last
 * finished stage, and a training stage resumes from its own checkpoint. A stage that leaves accuracy below the
 * recipe's floor stops the run with a report.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDataset, splitTrainVal, take, type Dataset } from '../../data/index.js';
import { SecateursError } from '../../errors.js';
import type { Model } from '../../ir/graph.js';
import { loadModel, saveModel } from '../../onnx/index.js';
import { sensitivityToJson } from '../../prune/sensitivity-output.js';
import { measureModel } from '../../report/measure.js';
import { readRunRecord, writeRunRecord, type RunRecord, type RunStage } from '../../report/run-record.js';
import { measuredStage, stageModel, toolInfo } from '../../report/run-stage.js';
import { compareModels } from '../../runtime/index.js';
import { writeFileAtomic } from '../../util/fs.js';
import type { StepReport } from '../../train/index.js';
import { buildZooModel } from '../../zoo/index.js';
import type { LoadedRecipe } from './check.js';
import type { Recipe, Stage } from './schema.js';
import { runStage, stageLabel, type StageOutput } from './stages.js';

/** Options of {@link runRecipe}. */
export interface RunRecipeOptions {
  /** Run folder; default the recipe's `outputs.dir`, else `runs/<name>` beside the recipe. */
  readonly dir?: string;
  /** Discard a previous run in the folder instead of resuming it. */
  readonly restart?: boolean;
  readonly progress?: boolean;
  readonly log?: (line: string) => void;
  /** Aborting stops a training stage after its current step (writing a checkpoint) and rejects with `TRAIN_ABORTED`. */
  readonly signal?: AbortSignal;
  /** Called after every optimizer step of a training stage (`stage`: its 0-based index in the recipe). */
  readonly onStep?: (stage: number, report: StepReport) => void;
}

/** What {@link runRecipe} returns. */
export interface RecipeRun {
  readonly dir: string;
  readonly record: RunRecord;
  /** The final model file. */
  readonly model: string;
  /** Stages skipped because an earlier attempt had finished them. */
  readonly resumed: number;
}

/** Which stages repair accuracy: a floor is checked only after the stage before them has been repaired. */
const RECOVERY: ReadonlySet<Stage['kind']> = new Set(['finetune', 'distill', 'recalibrate']);
const STATE_FILE = 'recipe-state.json';
/** Test samples compared output by output with the original after every stage. */
const COMPARE_SAMPLES = 2000;

interface RunState { readonly format: 'secateurs/recipe-state'; readonly recipeSha256: string; readonly done: number }

/**
 * Runs a checked recipe (see `loadRecipe`).
 *
 * @throws CheckFailed-style SecateursError `RECIPE_FLOOR` when a stage ends below `verify.minTop1` or drops more than
 *   `verify.maxDrop` (the record up to that stage is written first); `RECIPE_CHANGED` when the folder holds a run of
 *   another recipe (pass `restart`); `TRAIN_ABORTED` after `signal` fires; what the stages throw.
 * @example
 * ```ts
 * const r = await runRecipe(await loadRecipe('recipes/lenet5-deploy.yaml'));
 * r.record.stages.map((s) => [s.name, s.metrics.top1, s.metrics.gzipBytes]);
 * ```
 */
export async function runRecipe(loaded: LoadedRecipe, options: RunRecipeOptions = {}): Promise<RecipeRun> {
  const { recipe, resolvePath } = loaded;
  const log = options.log ?? (() => undefined);
  const name = recipe.name ?? 'run';
  const dir = options.dir ?? resolvePath(recipe.outputs?.dir ?? join('runs', name));
  const sha = createHash('sha256').update(loaded.text).digest('hex');
  if (options.restart) await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'stages'), { recursive: true });
  const state = await readState(dir, sha);

  const original = recipe.model.startsWith('zoo:') ? buildZooModel(recipe.model.slice(4), { seed: recipe.seed ?? 0 }) : await loadModel(resolvePath(recipe.model));
  const data = await splitData(recipe, resolvePath);
  const measure = (m: Model) => measureModel(m, data.test, { progress: false });

  let record: RunRecord;
  let model = original;
  if (state.done > 0) {
    record = await readRunRecord(dir);
    const last = record.stages[state.done];
    if (!last?.model) throw new SecateursError('RECIPE_CHANGED', `${dir}: run.json does not list the model of stage ${state.done}; pass --restart.`);
    model = await loadModel(join(dir, last.model.path));
    record = { ...record, stages: record.stages.slice(0, state.done + 1) };
    log(state.done === recipe.stages.length ? `all ${state.done} stages already finished (${dir}); nothing to do`
      : `resuming after stage ${state.done} of ${recipe.stages.length} (${last.name})`);
  } else {
    log(`measuring ${recipe.model}`);
    const m = await measure(original);
    record = {
      version: 1, title: name, createdAt: new Date().toISOString(), tool: toolInfo(),
      source: { path: recipe.model, params: m.summary.params, macs: m.summary.macs },
      data: { name: data.test.name, split: data.test.split, count: m.eval?.count ?? data.test.count },
      stages: [measuredStage({ name: 'original', kind: 'original', measurement: m })],
    };
    await writeRunRecord(dir, record);
  }
  const baseTop1 = record.stages[0]!.metrics.top1 ?? 0;

  for (let i = state.done; i < recipe.stages.length; i++) {
    const stage = recipe.stages[i]!;
    const label = `${i + 1} ${stageLabel(stage)}`;
    const workDir = join(dir, 'stages', `${String(i + 1).padStart(2, '0')}-${stage.kind}`);
    log(`stage ${label}`);
    const t0 = performance.now();
    const out = await runStage(stage, model, {
      original, trainSet: data.train, calib: data.calib, workDir, seed: recipe.seed ?? 0, resolvePath,
      progress: options.progress ?? false, log, signal: options.signal, onStep: options.onStep && ((r: StepReport) => options.onStep!(i, r)),
    });
    const seconds = (performance.now() - t0) / 1000;
    const file = i === recipe.stages.length - 1 ? join(dir, recipe.outputs?.model ?? `${name}.onnx`) : `${workDir}.onnx`;
    if (out.write) await out.write(file);
    else await saveModel(out.model, file, { sparse: 'all' });
    model = out.model;
    log(`  verifying: onnxruntime loads it, outputs vs the original on ${Math.min(COMPARE_SAMPLES, data.test.count)} test samples, measuring`);
    const agreement = await compareModels(original, await loadModel(file), data.test, { limit: COMPARE_SAMPLES });
    const measured = await measure(model);
    // An export's file is its own encoding: its sizes are the file's, not those of the model re-encoded densely.
    const m = out.size ? { ...measured, summary: { ...measured.summary, fileBytes: out.size.raw, gzipBytes: out.size.gzip } } : measured;
    const notes = [...out.notes, `top-1 agreement with the original ${(100 * agreement.top1Agreement).toFixed(2)}%, KL ${agreement.klDivergence.toPrecision(3)}`];
    const rs = measuredStage({
      name: label, kind: stage.kind, measurement: m, previous: record.stages[record.stages.length - 1], durationS: seconds,
      model: await stageModel(dir, file), notes, ...(out.blocked ? { blocked: out.blocked } : {}),
    });
    record = { ...record, stages: [...record.stages, rs], ...(await sensitivityRef(dir, out)) };
    await writeRunRecord(dir, record);
    await writeState(dir, sha, i + 1);
    await rm(join(workDir, 'checkpoint'), { recursive: true, force: true });
    log(`  top-1 ${pct(m.eval?.top1)}, ${m.summary.nonzeroParams.toLocaleString('en-US')} nonzero params, gzip ${(m.summary.gzipBytes / 1024).toFixed(1)} KiB (${seconds.toFixed(1)} s)`);
    const next = recipe.stages[i + 1];
    if (!(next && RECOVERY.has(next.kind))) checkFloor(recipe, rs, baseTop1, dir);
  }
  const final = record.stages[record.stages.length - 1]!;
  return { dir, record, model: join(dir, final.model?.path ?? ''), resumed: state.done };
}

/** The data a recipe names: a calibration hold-out from the train split, the rest for training, and the test split. */
async function splitData(recipe: Recipe, resolvePath: (p: string) => string): Promise<{ train: Dataset; calib: Dataset; test: Dataset }> {
  const spec = recipe.data.dataset.endsWith('.npz') ? resolvePath(recipe.data.dataset) : recipe.data.dataset;
  const [full, test] = [await loadDataset(spec, 'train'), await loadDataset(spec, 'test')];
  const { train, val } = splitTrainVal(full, { valCount: recipe.data.calibration ?? 2000, seed: recipe.seed ?? 0, stratified: true });
  return { train, calib: val, test: recipe.data.testLimit !== undefined ? take(test, recipe.data.testLimit) : test };
}

function checkFloor(recipe: Recipe, s: RunStage, baseTop1: number, dir: string): void {
  const v = recipe.verify;
  const top1 = s.metrics.top1;
  if (!v || top1 === undefined) return;
  const problems: string[] = [];
  if (v.minTop1 !== undefined && top1 < v.minTop1) problems.push(`top-1 ${pct(top1)} is below the floor verify.minTop1 ${pct(v.minTop1)}`);
  if (v.maxDrop !== undefined && baseTop1 - top1 > v.maxDrop) problems.push(`top-1 dropped ${pct(baseTop1 - top1)} from the original's ${pct(baseTop1)}, more than verify.maxDrop ${pct(v.maxDrop)}`);
  if (problems.length > 0) {
    throw new SecateursError('RECIPE_FLOOR', `stage ${s.name}: ${problems.join('; ')}. The run stopped; ${join(dir, 'run.json')} records every stage so far (secateurs report ${dir}).`);
  }
}

async function sensitivityRef(dir: string, out: StageOutput): Promise<Pick<RunRecord, 'sensitivity'> | Record<string, never>> {
  if (!out.sensitivity) return {};
  await writeFileAtomic(join(dir, 'sensitivity.json'), sensitivityToJson(out.sensitivity.result));
  return { sensitivity: { source: 'file', path: 'sensitivity.json', allocation: out.sensitivity.allocation } };
}

async function readState(dir: string, sha: string): Promise<{ done: number }> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch {
    return { done: 0 };
  }
  const s = JSON.parse(text) as RunState;
  if (s.recipeSha256 !== sha) {
    throw new SecateursError('RECIPE_CHANGED', `${dir} holds a run of a different recipe (the file changed since that run started); pass --restart to discard it, or choose another output folder.`);
  }
  return { done: s.done };
}

async function writeState(dir: string, sha: string, done: number): Promise<void> {
  const s: RunState = { format: 'secateurs/recipe-state', recipeSha256: sha, done };
  await writeFileAtomic(join(dir, STATE_FILE), `${JSON.stringify(s, null, 2)}\n`);
}

const pct = (v: number | undefined): string => (v === undefined ? 'n/a' : `${(100 * v).toFixed(2)}%`);
