import type { Node } from '../../ir/graph.js';

/** What a MAC rule may read: concrete dims of the node's inputs and outputs (undefined when unknown). */
export interface MacContext {
  readonly node: Node;
  input(i: number): readonly number[] | undefined;
  output(i: number): readonly number[] | undefined;
}

/**
 * A MAC rule: multiply-accumulates of one node, or undefined when a needed shape is unknown. Pure; ~10 lines.
 */
export type MacRule = (ctx: MacContext) => number | undefined;

/** Product of dims (1 for a scalar). */
export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
