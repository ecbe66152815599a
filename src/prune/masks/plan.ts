/**
 * The PrunePlan: masks as plain, JSON-serializable data. Each layer's mask is stored as the sorted list of pruned
 * element indices or as a base64 bitmap (bit i, LSB first, set where element i is pruned), whichever is shorter, so
 * a plan replays exactly on any copy of the model with the same layer names and shapes.
 */
import { SecateursError } from '../../errors.js';
import type { Granularity, PruneScope } from './types.js';

/** A layer's mask, encoded. */
export type MaskEncoding =
  | { readonly encoding: 'indices'; readonly indices: readonly number[] }
  | { readonly encoding: 'bitmap'; readonly bits: string };

/** One layer of a plan. */
export interface LayerPlan {
  /** The weight (initializer) name. */
  readonly name: string;
  readonly shape: readonly number[];
  /** Elements pruned. */
  readonly pruned: number;
  /** pruned / size. */
  readonly sparsity: number;
  readonly mask: MaskEncoding;
}

/** A replayable pruning decision. Only {@link applyMasks} turns it into a model. */
export interface PrunePlan {
  readonly format: 'secateurs/prune-plan';
  readonly version: 1;
  readonly criterion: string;
  readonly granularity: Granularity;
  /** The scope the plan was computed with (undefined for N:M). */
  readonly scope: PruneScope | undefined;
  readonly layers: readonly LayerPlan[];
}

/**
 * Encodes a mask (1 keep, 0 prune) in its shorter form.
 *
 * @example
 * ```ts
 * encodeMask(Uint8Array.from([1, 0, 1, 1]));   // { encoding: 'indices', indices: [1] }
 * ```
 */
export function encodeMask(mask: Uint8Array): MaskEncoding {
  const indices: number[] = [];
  let digits = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) { indices.push(i); digits += String(i).length + 1; }
  }
  const bitmapChars = Math.ceil(Math.ceil(mask.length / 8) / 3) * 4;
  if (digits <= bitmapChars) return { encoding: 'indices', indices };
  const bytes = new Uint8Array(Math.ceil(mask.length / 8));
  for (const i of indices) bytes[i >> 3]! |= 1 << (i & 7);
  return { encoding: 'bitmap', bits: Buffer.from(bytes).toString('base64') };
}

/**
 * The mask (1 keep, 0 prune) of a plan layer.
 *
 * @throws SecateursError `PRUNE_PLAN_MALFORMED` for indices out of range or a bitmap of the wrong length.
 * @example
 * ```ts
 * decodeMask(plan.layers[0]!);   // Uint8Array, one entry per weight element
 * ```
 */
export function decodeMask(layer: LayerPlan): Uint8Array {
  const n = layer.shape.reduce((a, b) => a * b, 1);
  const mask = new Uint8Array(n).fill(1);
  const m = layer.mask;
  switch (m.encoding) {
    case 'indices':
      for (const i of m.indices) {
        if (!Number.isSafeInteger(i) || i < 0 || i >= n) throw malformed(`layer '${layer.name}': pruned index ${i} is out of range [0, ${n}).`);
        mask[i] = 0;
      }
      return mask;
    case 'bitmap': {
      const bytes = Buffer.from(m.bits, 'base64');
      if (bytes.length !== Math.ceil(n / 8)) throw malformed(`layer '${layer.name}': bitmap has ${bytes.length} bytes, expected ${Math.ceil(n / 8)}.`);
      for (let i = 0; i < n; i++) if ((bytes[i >> 3]! >> (i & 7)) & 1) mask[i] = 0;
      return mask;
    }
    default:
      throw malformed(`layer '${layer.name}': unknown mask encoding '${String((m as { encoding?: unknown }).encoding)}'.`);
  }
}

function malformed(message: string): SecateursError {
  return new SecateursError('PRUNE_PLAN_MALFORMED', message);
}

/**
 * A plan layer from a mask.
 *
 * @example
 * ```ts
 * layerPlan('fc/weight', [2, 2], Uint8Array.from([1, 0, 1, 1])).sparsity;   // 0.25
 * ```
 */
export function layerPlan(name: string, shape: readonly number[], mask: Uint8Array): LayerPlan {
  let pruned = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) pruned++;
  return { name, shape: [...shape], pruned, sparsity: mask.length > 0 ? pruned / mask.length : 0, mask: encodeMask(mask) };
}

/**
 * The plan as JSON text (compact: masks can be long).
 *
 * @example
 * ```ts
 * const again = planFromJson(planToJson(plan));   // deep-equal to plan
 * ```
 */
export function planToJson(plan: PrunePlan): string {
  return JSON.stringify(plan);
}

/**
 * Parses and checks a plan written by {@link planToJson}.
 *
 * @throws SecateursError `PRUNE_PLAN_MALFORMED` naming what is wrong.
 */
export function planFromJson(text: string): PrunePlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw malformed(`prune plan is not JSON: ${(e as Error).message}`);
  }
  const p = raw as Partial<PrunePlan> | null;
  if (!p || p.format !== 'secateurs/prune-plan') throw malformed(`not a prune plan (format must be 'secateurs/prune-plan').`);
  if (p.version !== 1) throw malformed(`prune plan version ${String(p.version)} is not supported (expected 1).`);
  if (!Array.isArray(p.layers)) throw malformed(`prune plan has no 'layers' list.`);
  const problems = p.layers.flatMap((l: Partial<LayerPlan>, i: number) => layerProblems(l, i));
  if (problems.length > 0) throw malformed(`prune plan: ${problems.join('; ')}.`);
  for (const l of p.layers) decodeMask(l);
  return p as PrunePlan;
}

function layerProblems(l: Partial<LayerPlan>, i: number): string[] {
  const out: string[] = [];
  if (typeof l.name !== 'string') out.push(`layer ${i} has no name`);
  if (!Array.isArray(l.shape) || !l.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) out.push(`layer ${i} has no valid shape`);
  if (!l.mask || (l.mask.encoding === 'indices' ? !Array.isArray(l.mask.indices) : typeof (l.mask as { bits?: unknown }).bits !== 'string')) {
    out.push(`layer ${i} has no valid mask`);
  }
  return out;
}
