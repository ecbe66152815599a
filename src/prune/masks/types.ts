/** Options of mask computation: granularity, scope, limits. All plain data. */
import type { LayerSelection, LayerSelector } from '../selectors.js';
import type { BlockShape } from './block.js';

/**
 * What a mask removes: single weights, N of every M consecutive input weights, or whole blocks of the
 * [out, in·k…] view.
 */
export type Granularity =
  | { readonly kind: 'element' }
  | { readonly kind: 'nm'; readonly n: number; readonly m: number }
  | ({ readonly kind: 'block' } & BlockShape);

/**
 * How scores are made comparable across layers in a global ranking: `none` (raw scores, as Han et al. rank
 * magnitudes), or each layer divided by its scores' `l2` norm (Molchanov et al. 2017 for Taylor), `mean` or `max`.
 */
export type GlobalNormalization = 'none' | 'l2' | 'mean' | 'max';

/**
 * How much each layer loses:
 * - `layer`: every selected layer at the same sparsity;
 * - `global`: one ranking across all selected layers, pruning `sparsity` of their weights together (element
 *   granularity, layer-wise comparison);
 * - `explicit`: a sparsity per layer name; selected layers not listed stay dense.
 */
export type PruneScope =
  | { readonly kind: 'layer'; readonly sparsity: number }
  | { readonly kind: 'global'; readonly sparsity: number; readonly normalize?: GlobalNormalization }
  | { readonly kind: 'explicit'; readonly sparsities: Readonly<Record<string, number>> };

/** Bounds on the sparsity of the layers `layers` picks (every selected layer when omitted). */
export interface SparsityLimit {
  readonly layers?: readonly LayerSelector[];
  /** In [0, 1); default 0. */
  readonly min?: number;
  /** In [0, 1]; default 1. */
  readonly max?: number;
}

/** Options of `computeMasks`. */
export interface MaskOptions extends LayerSelection {
  /** Required unless the granularity is N:M (which fixes each layer's sparsity). */
  readonly scope?: PruneScope;
  /** Default `{ kind: 'element' }`. */
  readonly granularity?: Granularity;
  /**
   * Element masks compare scores within the whole `layer`, or within each output `row` (every row then loses the
   * same number of weights, ±1). Default: the criterion's (`row` for wanda, else `layer`).
   */
  readonly compare?: 'layer' | 'row';
  /** Per-layer min/max sparsity; where several limits pick a layer, the tightest bound wins. */
  readonly limits?: readonly SparsityLimit[];
  /** The criterion the scores came from, recorded in the plan; default `magnitude`. */
  readonly criterion?: string;
}
