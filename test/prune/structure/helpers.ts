/**
 * Test helpers of structured pruning: the zero-channel reference (the original model with the removed channels'
 * sink columns zeroed — what the pruned model must compute), random plans, random inputs, onnxruntime runs and
 * the exact parameter count a plan must leave.
 */
import { isFloat } from '../../../src/ir/dtype.js';
import { cloneModel } from '../../../src/ir/clone.js';
import type { Model, Value } from '../../../src/ir/graph.js';
import { Tensor } from '../../../src/ir/tensor.js';
import { findParameters } from '../../../src/metrics/index.js';
import { createSession, type Feeds } from '../../../src/runtime/index.js';
import { Rng } from '../../../src/util/rng.js';
import { constantTensor, expandPositions } from '../../../src/prune/structure/tensors.js';
import type { DependencyGraph, StructuredPlan } from '../../../src/prune/structure/index.js';

function setConstant(v: Value, t: Tensor): void {
  if (v.constant) v.constant = t;
  else v.producer!.attributes.set('value', { type: 'tensor', value: t });
}

/**
 * A copy whose float vectors (biases, BatchNorm and LayerNorm parameters, running statistics) are drawn from
 * U(0.5, 1.5), so a mis-sliced per-channel vector changes the outputs (zoo models start BN at the identity).
 */
export function randomizeVectors(model: Model, seed = 1): Model {
  const copy = cloneModel(model);
  const rng = new Rng(seed);
  const params = new Set(findParameters(copy.graph).map((p) => p.name));
  for (const v of copy.graph.allValues()) {
    const t = constantTensor(v);
    if (!t || !params.has(v.name) || t.dims.length !== 1 || t.size < 2 || !isFloat(t.dtype)) continue;
    setConstant(v, Tensor.fromArray(t.dtype, t.dims, Array.from({ length: t.size }, () => 0.5 + rng.next())));
  }
  return copy;
}

/** A plan removing a random `fraction` of the channels of every unblocked group (at least 1, never all). */
export function randomPlan(dg: DependencyGraph, seed = 0, fraction = 0.5, only?: readonly number[]): StructuredPlan {
  const rng = new Rng(seed);
  const groups = dg.groups.filter((g) => !g.blocked && g.channels > 1 && (!only || only.includes(g.id))).map((g) => {
    const k = Math.min(g.channels - 1, Math.max(1, Math.floor(g.channels * fraction)));
    const order = Array.from({ length: g.channels }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return { id: g.id, prune: order.slice(0, k).sort((a, b) => a - b) };
  });
  return { groups };
}

/**
 * The zero-channel reference: a copy of the original where every sink-side weight column of the removed channels
 * is zero, so those channels reach nothing; the pruned model must compute exactly this.
 */
export function zeroSinks(model: Model, dg: DependencyGraph, plan: StructuredPlan): Model {
  const copy = cloneModel(model);
  for (const e of plan.groups) {
    for (const m of dg.groups[e.id]!.members) {
      if (m.role !== 'sink') continue;
      const v = copy.graph.requireValue(m.tensor);
      const t = constantTensor(v)!;
      const perPeriod = new Set(e.prune.flatMap((c) => [...(m.indexMap.positions[c] ?? [])]));
      const len = t.dims[m.axis]!;
      const zero = new Uint8Array(len);
      for (const p of expandPositions(perPeriod, m.indexMap.period, len)) zero[p] = 1;
      const data = t.toFloat32();
      const inner = t.dims.slice(m.axis + 1).reduce((a, b) => a * b, 1);
      for (let i = 0; i < data.length; i++) if (zero[Math.floor(i / inner) % len] === 1) data[i] = 0;
      setConstant(v, Tensor.fromTyped('float32', t.dims, data));
    }
  }
  return copy;
}

/** Seeded normal inputs for every graph input, symbolic dims set to `batch`. */
export function randomFeeds(model: Model, batch = 3, seed = 7): Feeds {
  const rng = new Rng(seed);
  const feeds: Record<string, Feeds[string]> = {};
  for (const v of model.graph.inputs) {
    if (v.constant) continue;
    const dims = (v.shape ?? []).map((d) => (typeof d === 'number' ? d : batch));
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[v.name] = { dtype: 'float32', dims, data: Float32Array.from({ length: n }, () => rng.normal()) };
  }
  return feeds;
}

/** Every output of a model for the feeds, by name, with dims. */
export async function runModel(model: Model, feeds: Feeds): Promise<Record<string, { dims: readonly number[]; data: Float32Array }>> {
  const s = await createSession(model);
  try {
    const out = await s.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: t.dims, data: t.data as Float32Array }]));
  } finally {
    await s.release();
  }
}

/** Largest |a - b| over all outputs, and the largest |a|. */
export async function maxDiff(a: Model, b: Model, feeds: Feeds): Promise<{ diff: number; ref: number; shapesEqual: boolean }> {
  const [ra, rb] = [await runModel(a, feeds), await runModel(b, feeds)];
  let diff = 0;
  let ref = 0;
  let shapesEqual = Object.keys(ra).join() === Object.keys(rb).join();
  for (const [k, x] of Object.entries(ra)) {
    const y = rb[k];
    if (!y || x.dims.join() !== y.dims.join()) { shapesEqual = false; continue; }
    for (let i = 0; i < x.data.length; i++) {
      diff = Math.max(diff, Math.abs(x.data[i]! - y.data[i]!));
      ref = Math.max(ref, Math.abs(x.data[i]!));
    }
  }
  return { diff, ref, shapesEqual };
}

/** Parameter elements (findParameters' 'param' kind) a model has. */
export function paramCount(model: Model): number {
  return findParameters(model.graph).filter((p) => p.kind === 'param').reduce((n, p) => n + p.tensor.size, 0);
}

/** The parameter count the plan must leave: every param tensor's size with the removed positions of each axis gone. */
export function expectedParams(model: Model, dg: DependencyGraph, plan: StructuredPlan): number {
  const removed = new Map<string, Map<number, number>>();
  for (const e of plan.groups) {
    for (const m of dg.groups[e.id]!.members) {
      if (m.kind !== 'param') continue;
      const len = m.indexMap.length as number;
      const n = e.prune.reduce((s, c) => s + (m.indexMap.positions[c]?.length ?? 0), 0) * (len / m.indexMap.period);
      const byAxis = removed.get(m.tensor) ?? new Map<number, number>();
      byAxis.set(m.axis, (byAxis.get(m.axis) ?? 0) + n);
      removed.set(m.tensor, byAxis);
    }
  }
  return findParameters(model.graph).filter((p) => p.kind === 'param').reduce((total, p) => {
    const byAxis = removed.get(p.name);
    return total + p.tensor.dims.reduce((prod, d, axis) => prod * (d - (byAxis?.get(axis) ?? 0)), 1);
  }, 0);
}

/** What an equivalence run found. */
export interface Equivalence {
  readonly diff: number;
  readonly ref: number;
  readonly shapesEqual: boolean;
  readonly params: number;
  readonly expectedParams: number;
  readonly pruned: Model;
}

/**
 * Prunes `model` by `plan` and compares it with the zero-channel reference on random inputs.
 */
export async function equivalence(model: Model, dg: DependencyGraph, plan: StructuredPlan, batch = 3): Promise<Equivalence> {
  const { applyStructuredPlan } = await import('../../../src/prune/structure/index.js');
  const pruned = applyStructuredPlan(model, plan, { graph: dg });
  const r = await maxDiff(zeroSinks(model, dg, plan), pruned, randomFeeds(model, batch));
  return { ...r, params: paramCount(pruned), expectedParams: expectedParams(model, dg, plan), pruned };
}
