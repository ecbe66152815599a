/**
 * Wanda (Sun et al. 2023): score |W_ij|·‖X_j‖₂, where ‖X_j‖₂ is the L2 norm of input feature j over every
 * calibration sample (and every spatial / sequence position), compared within each output row. The norms come from
 * onnxruntime runs that expose each layer's input ({@link inputFeatureNorms}), streamed batch by batch.
 */
import type { Dataset } from '../../data/index.js';
import { SecateursError } from '../../errors.js';
import type { Model } from '../../ir/graph.js';
import { captureActivations, type Progress } from '../../runtime/index.js';
import type { PruneTarget } from '../targets.js';
import { checkInt, datasetProblems, failOn } from '../validate.js';

/** Number of input channels a target's norms cover: `in` (axis size), times the groups of a grouped Conv. */
export function inputChannels(t: PruneTarget): number {
  const n = t.shape[t.inputAxis]!;
  return t.opType === 'Conv' ? n * t.groups : n;
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/**
 * Wanda scores |w|·norms[channel], the channel being the element's input feature (for a grouped Conv, the input
 * channel of the element's group: group(o)·in/g + i).
 *
 * @example
 * ```ts
 * // Gemm transB=1 weight [2 out, 3 in]; input norms per in-feature
 * wandaScores(new Float32Array([1, -1, 2, 0, 3, -4]), target, new Float32Array([1, 10, 0.5]));
 * // Float32Array [1, 10, 1, 0, 30, 2]
 * ```
 */
export function wandaScores(weight: Float32Array, target: PruneTarget, norms: Float32Array): Float32Array {
  const want = inputChannels(target);
  if (norms.length !== want) {
    throw new SecateursError('PRUNE_ACTIVATIONS', `layer '${target.name}': ${norms.length} input norms given, expected ${want} (input channels).`);
  }
  const st = strides(target.shape);
  const inN = target.shape[target.inputAxis]!;
  const outN = target.shape[target.outputAxis]!;
  const perGroup = target.opType === 'Conv' && target.groups > 1 ? outN / target.groups : 0;
  const out = new Float32Array(weight.length);
  for (let e = 0; e < weight.length; e++) {
    const i = Math.floor(e / st[target.inputAxis]!) % inN;
    const g = perGroup > 0 ? Math.floor((Math.floor(e / st[target.outputAxis]!) % outN) / perGroup) : 0;
    out[e] = Math.abs(weight[e]!) * norms[g * inN + i]!;
  }
  return out;
}

/** Options of {@link inputFeatureNorms}. */
export interface NormOptions {
  /** Calibration batches to run (default: the whole dataset). */
  readonly batches?: number;
  /** Samples per batch; default 128. */
  readonly batchSize?: number;
  readonly progress?: boolean | Progress;
}

interface Reader { readonly target: PruneTarget; readonly value: string; readonly featureAxis: number }

function readersOf(model: Model, targets: readonly PruneTarget[]): { readers: Reader[]; problems: string[] } {
  const readers: Reader[] = [];
  const problems: string[] = [];
  for (const t of targets) {
    for (const u of t.uses) {
      const v = model.graph.node(u.node)?.input(u.activation?.slot ?? -1);
      if (!u.activation || !v) problems.push(`layer '${t.name}' (${u.opType} '${u.node}') has no activation input to measure (e.g. a recurrent R weight); exclude it`);
      else readers.push({ target: t, value: v.name, featureAxis: u.activation.featureAxis });
    }
  }
  return { readers, problems };
}

/**
 * ‖X_j‖₂ for every input feature/channel j of each target: the L2 norm of the layer's input over all samples and
 * positions (Gemm/MatMul: the feature axis is the last one, or as `transA` says; Conv: channel axis 1, norm over N,
 * H, W). A layer read by several nodes sums the squares over all of them. Streams: one batch in memory at a time.
 *
 * @throws SecateursError `PRUNE_BAD_INPUT` before any run when the dataset does not fit the model or a layer has no
 *   measurable input.
 * @example
 * ```ts
 * const norms = await inputFeatureNorms(model, calib, findTargets(model), { batches: 4, batchSize: 128 });
 * norms.get('fc1/weight')!.length;   // 784
 * ```
 */
export async function inputFeatureNorms(
  model: Model, dataset: Dataset, targets: readonly PruneTarget[], options: NormOptions = {},
): Promise<Map<string, Float32Array>> {
  const batchSize = options.batchSize ?? 128;
  checkInt(batchSize, 'batchSize', 1);
  if (options.batches !== undefined) checkInt(options.batches, 'batches', 1);
  const { readers, problems } = readersOf(model, targets);
  failOn([...datasetProblems(model, dataset), ...problems], 'inputFeatureNorms');
  const sums = new Map<string, Float64Array>();
  const byValue = new Map<string, Reader[]>();
  for (const r of readers) byValue.set(r.value, [...(byValue.get(r.value) ?? []), r]);
  for (const t of targets) sums.set(t.name, new Float64Array(inputChannels(t)));
  await captureActivations(model, dataset, [...byValue.keys()], {
    batchSize,
    ...(options.batches !== undefined ? { limit: options.batches * batchSize } : {}),
    ...(options.progress !== undefined ? { progress: options.progress } : {}),
    onBatch: (name, data, dims) => {
      for (const r of byValue.get(name) ?? []) addSquares(sums.get(r.target.name)!, data, dims, r, name);
    },
  });
  return new Map([...sums].map(([k, s]) => [k, Float32Array.from(s, Math.sqrt)]));
}

function addSquares(acc: Float64Array, data: Float32Array, dims: readonly number[], r: Reader, name: string): void {
  const axis = r.featureAxis < 0 ? dims.length + r.featureAxis : r.featureAxis;
  const c = dims[axis];
  if (c !== acc.length) {
    throw new SecateursError('PRUNE_ACTIVATIONS', `layer '${r.target.name}': input '${name}' has shape [${dims.join(', ')}]; expected ${acc.length} features on axis ${r.featureAxis}.`);
  }
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    acc[Math.floor(i / inner) % c]! += x * x;
  }
}
