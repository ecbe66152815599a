/**
 * Magnitude mask updates shared by the multi-round schedules: per layer, prune the smallest |w| among the weights a
 * mask still keeps, so a round never revives what an earlier round pruned.
 */
import type { Model } from '../../ir/graph.js';
import { layerPlan, type PrunePlan } from '../masks/plan.js';
import { selectTargets, type LayerSelection } from '../selectors.js';
import { findTargets, type PruneTarget } from '../targets.js';
import { failOn } from '../validate.js';

/** Masks by weight name (1 keeps, 0 prunes), in target order. */
export type MaskSet = Map<string, Uint8Array>;

/** The selected prunable layers of `model` (graph order), every selector problem reported together. */
export function scheduleTargets(model: Model, selection: LayerSelection, caller: string): PruneTarget[] {
  const { selected, problems } = selectTargets(model, findTargets(model), selection);
  failOn(problems, caller);
  return selected;
}

/** All-ones masks for `targets`. */
export function denseMasks(targets: readonly PruneTarget[]): MaskSet {
  return new Map(targets.map((t) => [t.name, new Uint8Array(t.size).fill(1)]));
}

/** A weight of `model` as float32. */
export function weightOf(model: Model, name: string): Float32Array {
  return model.graph.requireValue(name).constant!.toFloat32();
}

/** Elements a mask prunes. */
export function prunedCount(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) n++;
  return n;
}

/**
 * A copy of `mask` that also prunes the `extra` kept elements of smallest |w| (ties: lower index first), so exactly
 * `prunedCount(mask) + extra` elements are pruned.
 */
export function pruneMore(weight: Float32Array, mask: Uint8Array, extra: number): Uint8Array {
  const out = mask.slice();
  if (extra <= 0) return out;
  const kept: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) kept.push(i);
  kept.sort((a, b) => Math.abs(weight[a]!) - Math.abs(weight[b]!) || a - b);
  for (let k = 0; k < Math.min(extra, kept.length); k++) out[kept[k]!] = 0;
  return out;
}

/** Masks with each layer pruned up to round(sparsity · size) elements (never fewer than already pruned). */
export function pruneToSparsity(model: Model, masks: MaskSet, sparsity: number): MaskSet {
  return pruneWeightsToSparsity((name) => weightOf(model, name), masks, sparsity);
}

/** {@link pruneToSparsity} on weights given by name (e.g. a training run's current values). */
export function pruneWeightsToSparsity(weight: (name: string) => Float32Array, masks: MaskSet, sparsity: number): MaskSet {
  return new Map([...masks].map(([name, m]) => [name, pruneMore(weight(name), m, Math.round(sparsity * m.length) - prunedCount(m))]));
}

/**
 * Masks pruning the smallest surviving |w| across all layers together (Han's and SNIP's global ranking) until
 * round(sparsity · all weights) are pruned; layers end with different sparsities. Ties: layer order, then index.
 */
export function pruneWeightsGlobally(weight: (name: string) => Float32Array, masks: MaskSet, sparsity: number): MaskSet {
  const names = [...masks.keys()];
  const out = new Map(names.map((n) => [n, masks.get(n)!.slice()]));
  let size = 0;
  let pruned = 0;
  for (const m of masks.values()) { size += m.length; pruned += prunedCount(m); }
  const extra = Math.round(sparsity * size) - pruned;
  if (extra <= 0) return out;
  const kept: { layer: number; index: number; mag: number }[] = [];
  names.forEach((n, layer) => {
    const w = weight(n);
    const m = masks.get(n)!;
    for (let i = 0; i < m.length; i++) if (m[i] === 1) kept.push({ layer, index: i, mag: Math.abs(w[i]!) });
  });
  kept.sort((a, b) => a.mag - b.mag || a.layer - b.layer || a.index - b.index);
  for (let k = 0; k < Math.min(extra, kept.length); k++) out.get(names[kept[k]!.layer]!)![kept[k]!.index] = 0;
  return out;
}

/** A plan recording `masks` (magnitude, element, layer scope). */
export function planOf(model: Model, masks: MaskSet, sparsity: number, scope: 'layer' | 'global' = 'layer'): PrunePlan {
  return {
    format: 'secateurs/prune-plan', version: 1, criterion: 'magnitude', granularity: { kind: 'element' },
    scope: { kind: scope, sparsity },
    layers: [...masks].map(([name, m]) => layerPlan(name, model.graph.requireValue(name).constant!.dims, m)),
  };
}

/** Fraction of the masked weights kept. */
export function remainingFraction(masks: MaskSet): number {
  let size = 0;
  let kept = 0;
  for (const m of masks.values()) { size += m.length; kept += m.length - prunedCount(m); }
  return size > 0 ? kept / size : 1;
}
