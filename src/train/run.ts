import { join } from 'node:path';
import { updateRunningStats } from '../autodiff/index.js';
import { batches, type Batch } from '../data/batch.js';
import type { Dataset } from '../data/types.js';
import { SecateursError } from '../errors.js';
import type { Model } from '../ir/graph.js';
import type { Progress } from '../runtime/index.js';
import { Rng } from '../util/rng.js';
import { bookFromJson, epochStats, newBook, recordBest, zeroSums, type RunBook } from './book.js';
import { saveCheckpoint, type Checkpoint, type CheckpointTensor } from './checkpoint.js';
import type { Teacher } from './distill.js';
import { firstNonFinite } from './guard.js';
import type { Optimizer } from './optim/types.js';
import { entriesOf, type ResolvedOptions, type TrainOptions } from './options.js';
import type { ParamInfo } from './params.js';
import type { Reclaimer } from './reclaim.js';
import { lrAt } from './schedule.js';
import type { GradientRunner, StepOutput } from './step.js';
import type { Validation, Validator } from './validate.js';

/** A tensor the run keeps but does not train (BatchNorm running statistics). */
export interface StatTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** Everything a run is made of, fixed at its start. */
export interface RunParts {
  readonly model: Model;
  readonly ds: Dataset;
  readonly options: TrainOptions;
  readonly o: ResolvedOptions;
  readonly params: readonly ParamInfo[];
  /** Parameter values: views into the optimizer's memory, fed to onnxruntime as they are. */
  readonly arrays: readonly Float32Array[];
  readonly stats: readonly StatTensor[];
  readonly optimizer: Optimizer;
  readonly runner: GradientRunner;
  readonly progress: Progress;
  readonly stepsPerEpoch: number;
  /** The options that shaped the run, stored in checkpoints and compared on resume. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The masks at the start, one entry per parameter. */
  readonly masks: readonly (Uint8Array | undefined)[];
  /** The teacher, when distilling. */
  readonly teacher: Teacher | undefined;
  /** Scores `valSet` with the current arrays (created when there is a `valSet`). */
  readonly validator: Validator | undefined;
  /** Frees the steps' output buffers (see reclaim.ts). */
  readonly reclaimer: Reclaimer;
}

/** Checkpoint file names inside `checkpointDir`. */
export const LAST_CHECKPOINT = 'checkpoint.npz';
export const BEST_CHECKPOINT = 'best.npz';

/** The mutable state of one training run: position, generator, bookkeeping, best weights. */
export class TrainingRun {
  step = 0;
  epoch = 0;
  batchInEpoch = 0;
  book: RunBook = newBook();
  rng: Rng;
  /** The best epoch's values, held in memory when there is no checkpoint folder to hold them (`best.npz`). */
  bestValues: Map<string, Float32Array> | undefined;
  /** Where the best epoch's values were written, when they are on disk instead of in memory. */
  bestFile: string | undefined;
  /** The masks in force, one entry per parameter (changed by `maskUpdate`). */
  masks: (Uint8Array | undefined)[];
  private readonly updateAt: ReadonlySet<number>;

  constructor(readonly parts: RunParts) {
    this.rng = new Rng(parts.o.seed);
    this.masks = [...parts.masks];
    this.updateAt = new Set(parts.options.maskUpdate?.at ?? []);
  }

  /** Trains until the last epoch or early stopping. */
  async runEpochs(): Promise<void> {
    while (this.epoch < this.parts.o.epochs && !this.book.stoppedEarly) {
      await this.trainEpoch();
      await this.endEpoch();
    }
  }

  private async trainEpoch(): Promise<void> {
    const { ds, o, options } = this.parts;
    const skip = this.batchInEpoch;
    let index = 0;
    // Epoch time covers batch assembly and the steps; checkpoint writes and validation are left out.
    let mark = performance.now();
    for (const b of batches(ds, { batchSize: o.batchSize, shuffle: true, seed: o.seed, epoch: this.epoch, reuseBuffers: true, dropLast: o.dropLast, shift: o.shift })) {
      if (index++ < skip) { mark = performance.now(); continue; }
      await this.trainStep(b);
      // The step's outputs are unreferenced now: the place to free them.
      this.parts.reclaimer.collectIfDue();
      this.batchInEpoch++;
      this.book.sums.seconds += (performance.now() - mark) / 1000;
      const every = o.checkpointEvery;
      if (every !== undefined && this.step % every === 0) await this.saveLast();
      if (options.signal?.aborted) await this.abort(options.signal);
      mark = performance.now();
    }
  }

  private async trainStep(b: Batch): Promise<void> {
    const { runner, optimizer, arrays, options, o, teacher, reclaimer } = this.parts;
    if (this.updateAt.has(this.step)) this.updateMasks();
    const lr = lrAt(o.plan, this.step);
    const taught = teacher ? await teacher.run(b.x, b.size) : undefined;
    const out = await runner.run(b.x, b.y, b.size, taught);
    reclaimer.note(out.bytes + (taught?.bytes ?? 0));
    if (!Number.isFinite(out.loss)) throw this.nonFinite(`the loss is ${out.loss}`);
    const info = optimizer.step(arrays, out.grads, lr);
    if (!info.applied) {
      const bad = firstNonFinite(out.grads);
      const where = bad ? `gradient '${runner.gradName(bad.tensor)}' is ${bad.value} at index ${bad.index}` : `the gradient norm is ${info.gradNorm}`;
      throw this.nonFinite(where);
    }
    this.updateRunningStats(out.bnStats, b.size);
    this.step++;
    const s = this.book.sums;
    s.loss += out.loss * b.size;
    s.correct += out.correct;
    s.labelled += out.labelled;
    s.agree += out.agree ?? 0;
    s.samples += b.size;
    s.lr = lr;
    const stepSeed = this.rng.nextU32();
    options.onStep?.({ step: this.step, epoch: this.epoch, batch: this.batchInEpoch, loss: out.loss, lr, gradNorm: info.gradNorm, stepSeed });
    const acc = s.labelled > 0 ? ` acc ${((100 * s.correct) / s.labelled).toFixed(2)}%` : '';
    const agree = teacher ? ` agree ${((100 * s.agree) / s.samples).toFixed(2)}%` : '';
    this.parts.progress.update(this.samplesDone(), this.samplesTotal(), `epoch ${this.epoch + 1}/${this.parts.o.epochs} loss ${(s.loss / s.samples).toFixed(4)}${acc}${agree}`);
  }

  /** Asks `maskUpdate` for the masks from this step on and hands them to the optimizer (which zeroes the pruned). */
  private updateMasks(): void {
    const { params, arrays, optimizer, options } = this.parts;
    const current = new Map(params.map((p, k) => [p.name, this.masks[k]]));
    const weights = new Map(params.map((p, k) => [p.name, arrays[k]!]));
    const next = new Map(entriesOf(options.maskUpdate!.update(this.step, weights, current)));
    const unknown = [...next.keys()].filter((n) => !current.has(n));
    if (unknown.length > 0) {
      throw new SecateursError('TRAIN_OPTIONS', `maskUpdate at step ${this.step} returned masks for ${unknown.map((n) => `'${n}'`).join(', ')}, not trainable parameters.`);
    }
    this.masks = params.map((p, k) => next.get(p.name) ?? this.masks[k]);
    optimizer.setMasks(this.masks);
  }

  /** PyTorch's running-statistics update (momentum 0.1 ↔ ONNX 0.9; unbiased batch variance) for every BatchNorm. */
  private updateRunningStats(batch: StepOutput['bnStats'], n: number): void {
    const { runner, stats } = this.parts;
    runner.batchNorms.forEach((bn, k) => {
      const mean = stats.find((s) => s.name === bn.runningMean);
      const variance = stats.find((s) => s.name === bn.runningVar);
      if (!mean || !variance) return;
      updateRunningStats({ mean: mean.data, var: variance.data }, batch[k]!, { momentum: bn.momentum, count: n * bn.spatialSize! });
    });
  }

  private samplesPerEpoch(): number {
    const { ds, o } = this.parts;
    return o.dropLast ? this.parts.stepsPerEpoch * o.batchSize : ds.count;
  }

  private samplesDone(): number {
    return this.epoch * this.samplesPerEpoch() + this.book.sums.samples;
  }

  private samplesTotal(): number {
    return this.parts.o.epochs * this.samplesPerEpoch();
  }

  private async endEpoch(): Promise<void> {
    const { options, o } = this.parts;
    const val = options.valSet ? await this.validate(options.valSet) : undefined;
    const stats = epochStats(this.epoch, this.book.sums, val, this.parts.teacher !== undefined);
    this.book.history.push(stats);
    if (recordBest(this.book, stats, o.valMetric, o.early)) {
      if (options.checkpointDir) {
        // On disk, the best values need not also be held in memory (one parameter-sized copy less).
        this.bestFile = join(options.checkpointDir, BEST_CHECKPOINT);
        this.bestValues = undefined;
        await saveCheckpoint(this.bestFile, this.checkpoint(false));
      } else {
        this.bestValues = new Map([...this.values()].map(([k, v]) => [k, v.slice()]));
      }
    }
    this.epoch++;
    this.batchInEpoch = 0;
    this.book.sums = zeroSums();
    await this.saveLast();
  }

  private async validate(valSet: Dataset): Promise<Validation> {
    const { validator, teacher, o } = this.parts;
    // At the training batch size, a validation pass (forward only) needs less memory than a training step.
    return validator!.run(valSet, o.batchSize, teacher);
  }

  /** Current values of every parameter and statistic, by initializer name (views, not copies). */
  values(): Map<string, Float32Array> {
    const m = new Map<string, Float32Array>();
    this.parts.params.forEach((p, k) => m.set(p.name, this.parts.arrays[k]!));
    for (const s of this.parts.stats) m.set(s.name, s.data);
    return m;
  }

  /** A checkpoint of the current state (`withOptimizer` false: weights only, for best.npz). */
  checkpoint(withOptimizer = true): Checkpoint {
    const { params, arrays, stats, optimizer, config } = this.parts;
    const tensors: CheckpointTensor[] = [
      ...params.map((p, k) => ({ name: p.name, dims: p.dims, role: 'param' as const, data: arrays[k]! })),
      ...stats.map((s) => ({ name: s.name, dims: s.dims, role: 'stat' as const, data: s.data })),
      ...(this.parts.options.maskUpdate ? this.maskTensors() : []),
    ];
    const opt = optimizer.state();
    return {
      step: this.step, epoch: this.epoch, batchInEpoch: this.batchInEpoch, rng: this.rng.state(), tensors,
      optimizer: withOptimizer ? opt : { ...opt, buffers: {} }, config,
      run: { ...this.book },
    };
  }

  /** The current masks as 0/1 float tensors (parameters without a mask are left out). */
  private maskTensors(): CheckpointTensor[] {
    return this.parts.params.flatMap((p, k) => {
      const m = this.masks[k];
      return m ? [{ name: p.name, dims: p.dims, role: 'mask' as const, data: Float32Array.from(m) }] : [];
    });
  }

  /** Writes `checkpoint.npz` when a checkpoint folder is set; refuses to store non-finite weights. */
  async saveLast(): Promise<string | undefined> {
    const dir = this.parts.options.checkpointDir;
    if (!dir) return undefined;
    const bad = firstNonFinite(this.parts.arrays);
    if (bad) throw this.nonFinite(`parameter '${this.parts.params[bad.tensor]!.name}' became ${bad.value} at index ${bad.index}`);
    const path = join(dir, LAST_CHECKPOINT);
    await saveCheckpoint(path, this.checkpoint());
    return path;
  }

  /** Restores position, generator, bookkeeping and values (the optimizer state is restored by the caller). */
  restore(c: Checkpoint, file: string): void {
    this.step = c.step;
    this.epoch = c.epoch;
    this.batchInEpoch = c.batchInEpoch;
    this.rng = Rng.fromState(c.rng);
    this.book = bookFromJson(c.run, file);
    const stored = new Map(c.tensors.filter((t) => t.role === 'mask').map((t) => [t.name, t.data]));
    if (stored.size > 0) {
      this.masks = this.parts.params.map((p, k) => { const m = stored.get(p.name); return m ? Uint8Array.from(m) : this.masks[k]; });
      this.parts.optimizer.setMasks(this.masks);
    }
  }

  private async abort(signal: AbortSignal): Promise<never> {
    const path = await this.saveLast();
    const where = `after step ${this.step} (epoch ${this.epoch + 1}, batch ${this.batchInEpoch})`;
    const resume = path ? `; checkpoint written to ${path}: pass { resume: '${path}' } to continue` : '; no checkpointDir, so nothing was saved';
    throw new SecateursError('TRAIN_ABORTED', `training aborted ${where}${resume}.`, { cause: signal.reason });
  }

  private nonFinite(what: string): SecateursError {
    const dir = this.parts.options.checkpointDir;
    const ckpt = dir ? `the last good checkpoint is ${join(dir, LAST_CHECKPOINT)} (if one was written)` : 'no checkpointDir was set';
    return new SecateursError('TRAIN_NONFINITE',
      `step ${this.step + 1} (epoch ${this.epoch + 1}, batch ${this.batchInEpoch + 1}): ${what}; the update was not applied and ${ckpt}. Lower the learning rate or set 'clipNorm'.`);
  }
}
