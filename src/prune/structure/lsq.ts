/**
 * Least-squares recovery after channel removal (ThiNet, Luo et al. 2017; the layer-wise reconstruction of Kwon et
 * al. 2022): every consumer (sink) of a pruned group gets new weights and bias that make its output on the pruned
 * model's activations match the original consumer's output on the original activations, over calibration data:
 *
 *   min_{W,b} ‖P·W + 1·bᵀ − Y‖² + λ‖W‖²,   λ = ridge · mean(diag(PᵀP))
 *
 * P holds the consumer's inputs in the pruned model (Gemm/MatMul features, Conv im2col patches), Y the original
 * consumer's outputs (only the output channels the plan keeps). onnxruntime forms PᵀP and PᵀY in float64 batch by
 * batch (`lsq-gram.ts`); the normal equations are solved by Cholesky in Float64. Consumers are processed in graph
 * order, each on the activations of the model as reconstructed so far. Supported: Conv (group 1), Gemm (transA 0),
 * MatMul with a constant 2-D right-hand side; every other consumer is skipped and reported with the reason. A
 * Conv or Gemm without a bias gets one (it absorbs the mean of the removed channels' contribution); MatMul is fitted
 * without.
 * @module
 */
import { cloneModel } from '../../ir/clone.js';
import type { Model, Node, Value } from '../../ir/graph.js';
import { Tensor } from '../../ir/tensor.js';
import { captureActivations, createSession, type SampleSource, type Session } from '../../runtime/index.js';
import { solveSpd } from './linalg.js';
import { GRAM_OUTPUTS, gramModel, type GramLayout } from './lsq-gram.js';
import { removalTable } from './removal.js';
import { constantTensor, expandPositions } from './tensors.js';
import type { DependencyGraph, StructuredPlan } from './types.js';

/** Options of {@link reconstructConsumers}. */
export interface LsqOptions {
  /** Calibration samples; default 1024 (or the data's size). A Gemm/MatMul consumer gets one row per sample, so keep
   * well above its input features. */
  readonly samples?: number;
  /** Samples per onnxruntime run; default 32. */
  readonly batchSize?: number;
  /** Ridge strength relative to the mean diagonal of PᵀP, >= 0; default 1e-3. */
  readonly ridge?: number;
  /** onnxruntime intra-op threads; default 1. */
  readonly threads?: number;
  readonly log?: (line: string) => void;
}

/** What happened to one consumer. Errors are ‖Ŷ − Y‖² / ‖Y − mean(Y)‖² over the calibration rows. */
export interface LsqLayer {
  readonly node: string;
  readonly opType: string;
  readonly status: 'solved' | 'skipped';
  /** Why a consumer was skipped. */
  readonly reason?: string;
  /** Unknowns per output channel (inputs, plus 1 with a bias) and output channels. */
  readonly unknowns?: number;
  readonly outputs?: number;
  /** Rows (output positions) of the system. */
  readonly rows?: number;
  /** Relative output error with the weights as removal left them, and after the least-squares fit. */
  readonly errorBefore?: number;
  readonly errorAfter?: number;
}

/** The reconstructed model and a report per consumer. */
export interface LsqResult {
  readonly model: Model;
  readonly layers: readonly LsqLayer[];
}

/**
 * Refits the consumers of the plan's pruned groups (see the module notes). `pruned` is `applyStructuredPlan(original,
 * plan, { graph: dg })`; neither model is modified.
 *
 * @throws RangeError for bad options; SecateursError `PRUNE_LSQ` when a system is not positive definite.
 * @example
 * ```ts
 * const pruned = applyStructuredPlan(model, plan, { graph: dg });
 * const { model: recovered, layers } = await reconstructConsumers(model, pruned, dg, plan, take(trainSet, 256));
 * layers.map((l) => [l.node, l.status, l.errorBefore, l.errorAfter]);
 * ```
 */
export async function reconstructConsumers(original: Model, pruned: Model, dg: DependencyGraph, plan: StructuredPlan,
  data: SampleSource, options: LsqOptions = {}): Promise<LsqResult> {
  const o = checkOptions(options);
  const work = cloneModel(pruned);
  const sinks = new Set(plan.groups.filter((e) => e.prune.length > 0).flatMap((e) => dg.groups[e.id]?.sinks ?? []));
  const consumers = work.graph.nodes.filter((n) => sinks.has(n.name));
  const layers: LsqLayer[] = [];
  for (const node of consumers) {
    const problem = unsupported(node);
    if (problem) {
      o.log?.(`lsq: skipping '${node.name}' (${node.opType}): ${problem}`);
      layers.push({ node: node.name, opType: node.opType, status: 'skipped', reason: problem });
      continue;
    }
    layers.push(await refit(original, work, node, dg, plan, data, o));
  }
  return { model: work, layers };
}

type Checked = Required<Omit<LsqOptions, 'log'>> & Pick<LsqOptions, 'log'>;

function checkOptions(o: LsqOptions): Checked {
  const int = (name: string, v: number): number => {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`'${name}' must be an integer >= 1, got ${v}.`);
    return v;
  };
  const ridge = o.ridge ?? 1e-3;
  if (!(Number.isFinite(ridge) && ridge >= 0)) throw new RangeError(`'ridge' must be a finite number >= 0, got ${ridge}.`);
  return { samples: int('samples', o.samples ?? 1024), batchSize: int('batchSize', o.batchSize ?? 32), ridge, threads: o.threads ?? 1, log: o.log };
}

/** Why a consumer cannot be refitted, or undefined. */
function unsupported(node: Node): string | undefined {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return `domain '${node.domain}' is not supported (Conv, Gemm and MatMul of ai.onnx are)`;
  const x = node.input(0);
  const w = node.input(1);
  const t = w ? constantTensor(w) : undefined;
  if (!x || constantTensor(x)) return 'its input 0 is not an activation';
  if (!w || !t || t.dtype !== 'float32') return 'its weight (input 1) is not a float32 constant';
  if (w.uses.length > 1) return `its weight '${w.name}' is shared with ${w.uses.length - 1} other node(s)`;
  switch (node.opType) {
    case 'Conv': return (node.attrInt('group', 1) ?? 1) !== 1 ? `group ${node.attrInt('group', 1)} (grouped and depthwise convs are not supported)` : undefined;
    case 'Gemm': return node.attrInt('transA', 0) ? 'transA=1 is not supported' : undefined;
    case 'MatMul': return t.dims.length !== 2 ? `its weight has rank ${t.dims.length} (a 2-D right-hand side is supported)` : undefined;
    default: return `op '${node.opType}' has no least-squares rule (Conv, Gemm and MatMul do)`;
  }
}

/** Current parameters as Θ (rows: inputs in patch order, then the bias when fitted; columns: outputs). */
interface Layout {
  readonly gram: GramLayout;
  readonly inputs: number;
  readonly outputs: number;
  readonly bias: boolean;
  /** Axis of the outputs on Y. */
  readonly yAxis: number;
  /** Weight element of Θ[k, o]. */
  readonly at: (k: number, o: number) => number;
  readonly scale: number;
  readonly biasScale: number;
}

function layoutOf(node: Node): Layout {
  const w = constantTensor(node.input(1)!)!;
  const d = w.dims;
  switch (node.opType) {
    case 'Conv': {
      const taps = d.slice(2).reduce((a, b) => a * b, 1);
      const k = d[1]! * taps;
      return { gram: { kind: 'conv', channels: d[1]!, kernel: d.slice(2), attributes: node.attributes }, inputs: k, outputs: d[0]!, bias: true, yAxis: 1, at: (i, o) => o * k + i, scale: 1, biasScale: 1 };
    }
    case 'Gemm': {
      const transB = node.attrInt('transB', 0) !== 0;
      const [k, m] = transB ? [d[1]!, d[0]!] : [d[0]!, d[1]!];
      const beta = node.attributes.get('beta')?.value as number | undefined ?? 1;
      return { gram: { kind: 'rows', features: k }, inputs: k, outputs: m, bias: beta !== 0, yAxis: 1, at: transB ? (i, o) => o * k + i : (i, o) => i * m + o, scale: node.attributes.get('alpha')?.value as number | undefined ?? 1, biasScale: beta };
    }
    default: {
      const [k, m] = [d[0]!, d[1]!];
      return { gram: { kind: 'rows', features: k }, inputs: k, outputs: m, bias: false, yAxis: -1, at: (i, o) => i * m + o, scale: 1, biasScale: 1 };
    }
  }
}

/** Output positions the plan keeps on the consumer's output axis (all when none go). */
function keptOutputs(dg: DependencyGraph, plan: StructuredPlan, y: string, axis: number, length: number): number[] {
  const r = removalTable(dg, plan).get(y)?.get(axis);
  if (!r) return Array.from({ length }, (_, i) => i);
  const keep = new Set<number>();
  for (let p = 0; p < r.period; p++) if (!r.removed.has(p)) keep.add(p);
  return expandPositions(keep, r.period, length);
}

async function refit(original: Model, work: Model, node: Node, dg: DependencyGraph, plan: StructuredPlan, data: SampleSource, o: Checked): Promise<LsqLayer> {
  const l = layoutOf(node);
  const x = node.input(0)!.name;
  const y = node.output(0)!.name;
  const capture = { limit: o.samples, batchSize: o.batchSize, session: { threads: o.threads } };
  const targets = new Map<number, { data: Float32Array; dims: number[] }>();
  let kept: number[] | undefined;
  let yAxis = l.yAxis;
  await captureActivations(original, data, [y], {
    ...capture,
    onBatch: (_n, values, dims, batch) => {
      yAxis = yAxis < 0 ? dims.length + yAxis : yAxis;
      kept ??= keptOutputs(dg, plan, y, yAxis, dims[yAxis]!);
      targets.set(batch.start, selectAxis(values, dims, yAxis, kept));
    },
  });
  const n = l.inputs + (l.bias ? 1 : 0);
  const m = l.outputs;
  const sums = { a: new Float64Array(n * n), b: new Float64Array(n * m), yy: new Float64Array(m), sy: new Float64Array(m), rows: 0 };
  let session: Session | undefined;
  try {
    await captureActivations(work, data, [x], {
      ...capture,
      onBatch: async (_n, values, dims, batch) => {
        const t = targets.get(batch.start)!;
        session ??= await createSession(gramModel(l.gram, dims.length, t.dims.length, yAxis, m), { threads: o.threads });
        const r = await session.run({ x: { dtype: 'float32', dims, data: values }, y: { dtype: 'float32', dims: t.dims, data: t.data } }, GRAM_OUTPUTS);
        accumulate(sums, l, r as Record<string, { data: Float64Array }>, t.dims.reduce((a, b) => a * b, 1) / m);
      },
    });
  } finally {
    await session?.release();
  }
  const ridge = o.ridge * meanDiagonal(sums.a, n, l.inputs);
  const reg = Float64Array.from(sums.a);
  for (let i = 0; i < l.inputs; i++) reg[i * n + i]! += ridge;
  const theta = solveSpd(reg, n, sums.b, m);
  const before = currentTheta(node, l, n);
  const spread = sums.yy.reduce((s, v, c) => s + v - (sums.sy[c]! * sums.sy[c]!) / sums.rows, 0);
  const err = (t: Float64Array): number => residual(sums, t, n, m) / spread;
  writeTheta(work, node, l, theta, n);
  const report = { node: node.name, opType: node.opType, status: 'solved' as const, unknowns: n, outputs: m, rows: sums.rows, errorBefore: err(before), errorAfter: err(theta) };
  o.log?.(`lsq: '${node.name}' ${n} unknowns x ${m} outputs over ${sums.rows} rows: relative output error ${report.errorBefore.toPrecision(3)} -> ${report.errorAfter.toPrecision(3)}`);
  return report;
}

/** The elements at positions `kept` of `axis`, as a new tensor. */
function selectAxis(values: Float32Array, dims: readonly number[], axis: number, kept: readonly number[]): { data: Float32Array; dims: number[] } {
  const len = dims[axis]!;
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(outer * kept.length * inner);
  let at = 0;
  for (let i = 0; i < outer; i++) for (const k of kept) { out.set(values.subarray((i * len + k) * inner, (i * len + k + 1) * inner), at); at += inner; }
  const d = [...dims];
  d[axis] = kept.length;
  return { data: out, dims: d };
}

/** Adds one batch's sums into the augmented system [[PᵀP, Pᵀ1], [1ᵀP, rows]] · Θ = [[PᵀY], [1ᵀY]]. */
function accumulate(s: { a: Float64Array; b: Float64Array; yy: Float64Array; sy: Float64Array; rows: number }, l: Layout,
  r: Record<string, { data: Float64Array }>, rows: number): void {
  const n = l.inputs + (l.bias ? 1 : 0);
  const m = l.outputs;
  const k = l.inputs;
  const [ptp, pty, sp, sy, yy] = GRAM_OUTPUTS.map((name) => r[name]!.data);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) s.a[i * n + j]! += ptp![i * k + j]!;
  for (let i = 0; i < k; i++) for (let j = 0; j < m; j++) s.b[i * m + j]! += pty![i * m + j]!;
  if (l.bias) {
    for (let i = 0; i < k; i++) { s.a[i * n + k]! += sp![i]!; s.a[k * n + i]! += sp![i]!; }
    s.a[k * n + k]! += rows;
    for (let j = 0; j < m; j++) s.b[k * m + j]! += sy![j]!;
  }
  for (let j = 0; j < m; j++) { s.yy[j]! += yy![j]!; s.sy[j]! += sy![j]!; }
  s.rows += rows;
}

function meanDiagonal(a: Float64Array, n: number, k: number): number {
  let d = 0;
  for (let i = 0; i < k; i++) d += a[i * n + i]!;
  return k > 0 ? d / k : 0;
}

/** ‖PΘ − Y‖² = Σ_o (yᵀy − 2θᵀb + θᵀAθ) from the sums (A without the ridge). */
function residual(s: { a: Float64Array; b: Float64Array; yy: Float64Array }, t: Float64Array, n: number, m: number): number {
  const at = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = s.a[i * n + j]!;
      if (a === 0) continue;
      for (let o = 0; o < m; o++) at[i * m + o]! += a * t[j * m + o]!;
    }
  }
  let e = 0;
  for (let o = 0; o < m; o++) {
    let q = s.yy[o]!;
    for (let i = 0; i < n; i++) q += t[i * m + o]! * (at[i * m + o]! - 2 * s.b[i * m + o]!);
    e += q;
  }
  return Math.max(0, e);
}

function currentTheta(node: Node, l: Layout, n: number): Float64Array {
  const w = constantTensor(node.input(1)!)!.toFloat32();
  const bias = l.bias && node.input(2) ? constantTensor(node.input(2)!) : undefined;
  const bv = bias?.toFloat32();
  const t = new Float64Array(n * l.outputs);
  for (let k = 0; k < l.inputs; k++) for (let o = 0; o < l.outputs; o++) t[k * l.outputs + o] = w[l.at(k, o)]! * l.scale;
  if (bv) for (let o = 0; o < l.outputs; o++) t[l.inputs * l.outputs + o] = (bv.length === 1 ? bv[0]! : bv[o]!) * l.biasScale;
  return t;
}

/** New weight (and bias) tensors from Θ; a bias input is added to a Conv or Gemm that had none. */
function writeTheta(model: Model, node: Node, l: Layout, t: Float64Array, n: number): void {
  const wv = node.input(1)!;
  const wt = constantTensor(wv)!;
  const w = new Float32Array(wt.size);
  for (let k = 0; k < l.inputs; k++) for (let o = 0; o < l.outputs; o++) w[l.at(k, o)] = t[k * l.outputs + o]! / l.scale;
  setConstant(wv, Tensor.fromTyped('float32', wt.dims, w));
  if (!l.bias) return;
  const b = Float32Array.from({ length: l.outputs }, (_, o) => t[(n - 1) * l.outputs + o]! / l.biasScale);
  const bt = Tensor.fromTyped('float32', [l.outputs], b);
  const bv = node.input(2);
  if (bv && bv.uses.length === 1 && constantTensor(bv)) setConstant(bv, bt, [l.outputs]);
  else node.setInput(2, model.graph.addInitializer(`${node.name}/lsq_bias`, bt));
}

function setConstant(v: Value, t: Tensor, shape?: number[]): void {
  if (v.constant) v.constant = t;
  else v.producer!.attributes.set('value', { type: 'tensor', value: t });
  if (shape) v.shape = shape;
}
