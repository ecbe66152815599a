/** Iterative magnitude pruning with rewinding: the lottery ticket procedure (Frankle & Carbin 2019). */
import { epochOrder } from '../../data/batch.js';
import { subset } from '../../data/split.js';
import type { Dataset } from '../../data/types.js';
import type { Model } from '../../ir/graph.js';
import { evaluate } from '../../runtime/index.js';
import { exportTrained, train } from '../../train/index.js';
import { Rng } from '../../util/rng.js';
import type { LayerSelection } from '../selectors.js';
import { denseMasks, prunedCount, pruneMore, scheduleTargets, weightOf, type MaskSet } from './magnitude.js';
import type { FinetuneOptions } from './retrain.js';

/** Options of {@link lotteryTicket}. */
export interface LotteryOptions extends LayerSelection {
  /** Pruning rounds after the dense run, an integer >= 1. */
  readonly rounds: number;
  /** Fraction of the remaining weights pruned per round in every selected layer but the last; default 0.2. */
  readonly rateHidden?: number;
  /** Fraction pruned per round in the output layer (the last selected prunable layer); default 0.1. */
  readonly rateOutput?: number;
  /**
   * Where survivors are reset: `init` (θ₀, default) or `{ step: k }` (θ_k: θ₀ trained for k steps on the first k
   * batches of the seeded order, once, before the dense run; every round then trains from it).
   */
  readonly rewind?: 'init' | { readonly step: number };
  /** Training epochs of each round. */
  readonly trainEpochs: number;
  readonly train?: FinetuneOptions;
  /** Where test accuracy is measured after each round. */
  readonly testSet: Dataset;
  /** `random-reinit` (default): also train each round's mask from a fresh random init; `none` skips it. */
  readonly control?: 'random-reinit' | 'none';
  /** Seed of the control's re-initialization; default 0. */
  readonly seed?: number;
  /** Called after each round. */
  readonly onRound?: (round: LotteryRound, detail: { readonly masks: MaskSet; readonly reset: Model; readonly trained: Model }) => void;
}

/** One row of {@link lotteryTicket}'s result. */
export interface LotteryRound {
  /** 0 for the dense run. */
  readonly round: number;
  /** Fraction of the selected weights kept. */
  readonly remaining: number;
  /** Top-1 test accuracy of the ticket (rewound survivors, retrained). */
  readonly testAcc: number;
  /** Top-1 of the same mask trained from a fresh random init; undefined for round 0 or with `control: 'none'`. */
  readonly controlAcc: number | undefined;
}

/** What {@link lotteryTicket} returns. */
export interface LotteryResult {
  readonly rounds: readonly LotteryRound[];
  /** The last round's trained ticket. */
  readonly model: Model;
  readonly masks: MaskSet;
  /** The weights survivors are reset to (θ₀ or θ_k). */
  readonly rewound: Model;
}

/**
 * `theta` with every masked weight's pruned entries set to 0 and its survivors equal to `theta`'s, bit for bit
 * (other tensors unchanged).
 *
 * @example
 * ```ts
 * const ticket = rewindWeights(theta0, masks);   // the next round's starting point
 * ```
 */
export function rewindWeights(theta: Model, masks: MaskSet): Model {
  return exportTrained(theta, new Map([...masks].map(([name, m]) => {
    const w = weightOf(theta, name);
    for (let i = 0; i < w.length; i++) if (m[i] === 0) w[i] = 0;
    return [name, w];
  })));
}

/**
 * A fresh random init with θ₀'s distribution: each masked weight's θ₀ values in a seeded random order (biases and
 * other tensors keep θ₀), so any init scheme is matched without knowing it.
 */
export function shuffledInit(theta0: Model, masks: MaskSet, seed: number): Model {
  const rng = new Rng(seed);
  return exportTrained(theta0, new Map([...masks.keys()].map((name) => {
    const w = weightOf(theta0, name);
    for (let i = w.length - 1; i > 0; i--) { const j = rng.nextInt(i + 1); const t = w[i]!; w[i] = w[j]!; w[j] = t; }
    return [name, w];
  })));
}

/**
 * The next round's masks: each layer loses round(rate × its remaining weights), the smallest |w| of `trained`
 * among survivors; the last layer of `masks` (the output layer) uses `rateOutput`.
 */
export function lotteryPrune(trained: Model, masks: MaskSet, rateHidden: number, rateOutput: number): MaskSet {
  const names = [...masks.keys()];
  return new Map(names.map((name, k) => {
    const m = masks.get(name)!;
    const rate = k === names.length - 1 ? rateOutput : rateHidden;
    return [name, pruneMore(weightOf(trained, name), m, Math.round(rate * (m.length - prunedCount(m))))];
  }));
}

function checkOptions(o: LotteryOptions): void {
  const p: string[] = [];
  const rate = (v: number | undefined, name: string): void => { if (v !== undefined && !(v >= 0 && v < 1)) p.push(`'${name}' must be in [0, 1), got ${v}`); };
  if (!Number.isSafeInteger(o.rounds) || o.rounds < 1) p.push(`'rounds' must be an integer >= 1, got ${o.rounds}`);
  if (!Number.isSafeInteger(o.trainEpochs) || o.trainEpochs < 1) p.push(`'trainEpochs' must be an integer >= 1, got ${o.trainEpochs}`);
  rate(o.rateHidden, 'rateHidden');
  rate(o.rateOutput, 'rateOutput');
  if (typeof o.rewind === 'object' && (!Number.isSafeInteger(o.rewind.step) || o.rewind.step < 1)) p.push(`'rewind.step' must be an integer >= 1, got ${o.rewind.step}`);
  if (p.length > 0) throw new RangeError(`lotteryTicket: ${p.join('; ')}.`);
}

/** θ_k: θ₀ trained for k full batches, the first k of the seeded epoch-0 order. */
async function rewindPoint(model: Model, trainSet: Dataset, o: LotteryOptions, step: number): Promise<Model> {
  const bs = o.train?.batchSize ?? 64;
  if (step * bs > trainSet.count) throw new RangeError(`lotteryTicket: 'rewind.step' ${step} needs ${step * bs} samples, the training set has ${trainSet.count}.`);
  const order = epochOrder(trainSet.count, { shuffle: true, seed: o.train?.seed ?? 0, epoch: 0 }).subarray(0, step * bs);
  const { valSet: _v, earlyStopping: _e, ...rest } = o.train ?? {};
  return (await train(model, subset(trainSet, order), { ...rest, epochs: 1, batchSize: bs, dropLast: true })).model;
}

/**
 * Iterative magnitude pruning with rewinding (Frankle & Carbin 2019): train densely from the rewind point; then per
 * round prune `rateHidden` of the remaining weights of every selected layer but the last and `rateOutput` of the
 * last (smallest trained |w|), reset survivors to θ₀ (or θ_k) bit for bit, and retrain with the masks held. After
 * n rounds (rounding aside) a layer keeps (1 − rate)ⁿ of its weights: for LeNet-300-100,
 * (265,200·0.8ⁿ + 1,000·0.9ⁿ)/266,200. The control trains each mask from {@link shuffledInit} instead.
 *
 * @throws RangeError listing every bad option; SecateursError `PRUNE_BAD_INPUT` for selectors that match nothing;
 *   what `train` and `evaluate` throw.
 * @example
 * ```ts
 * const r = await lotteryTicket(buildZooModel('lenet-300-100'), trainSet, { rounds: 3, trainEpochs: 1, testSet,
 *   train: { optimizer: 'adam', lr: 1.2e-3, batchSize: 60 } });
 * r.rounds.map((x) => [x.remaining, x.testAcc, x.controlAcc]);
 * ```
 */
export async function lotteryTicket(model: Model, trainSet: Dataset, o: LotteryOptions): Promise<LotteryResult> {
  checkOptions(o);
  let masks = denseMasks(scheduleTargets(model, o, 'lotteryTicket'));
  const rewound = typeof o.rewind === 'object' ? await rewindPoint(model, trainSet, o, o.rewind.step) : model;
  const fit = async (start: Model): Promise<{ trained: Model; acc: number }> => {
    const trained = (await train(start, trainSet, { ...o.train, epochs: o.trainEpochs, masks })).model;
    return { trained, acc: (await evaluate(trained, o.testSet)).top1 };
  };
  const rows: LotteryRound[] = [];
  let last = model;
  for (let r = 0; r <= o.rounds; r++) {
    if (r > 0) masks = lotteryPrune(last, masks, o.rateHidden ?? 0.2, o.rateOutput ?? 0.1);
    const reset = rewindWeights(rewound, masks);
    const ticket = await fit(reset);
    const control = r > 0 && (o.control ?? 'random-reinit') === 'random-reinit'
      ? await fit(rewindWeights(shuffledInit(model, masks, (o.seed ?? 0) + r), masks)) : undefined;
    let kept = 0;
    let size = 0;
    for (const m of masks.values()) { size += m.length; kept += m.length - prunedCount(m); }
    const row: LotteryRound = { round: r, remaining: kept / size, testAcc: ticket.acc, controlAcc: control?.acc };
    rows.push(row);
    o.onRound?.(row, { masks, reset, trained: ticket.trained });
    last = ticket.trained;
  }
  return { rounds: rows, model: last, masks, rewound };
}
