import { SecateursError } from '../../errors.js';
import type { DataType } from '../dtype.js';
import type { Dim, Node } from '../graph.js';

/**
 * The contents of a small tensor whose values are known before running the model (shape arithmetic, constant axes,
 * Reshape targets). Elements are `Dim`s so a `Shape` of `['N', 16, 64]` keeps its symbol: a number is a known
 * element, a string a symbolic one, `null` an unknown one. Data is row-major; `dims` is the tensor's shape.
 */
export interface KnownValue {
  readonly dims: readonly number[];
  readonly data: readonly Dim[];
}

/** What a shape rule says about one output. Omitted fields stay unknown. */
export interface OutputInfo {
  readonly dtype?: DataType | undefined;
  readonly shape?: readonly Dim[] | undefined;
  /** Known contents, for small (<= FOLD_LIMIT elements) numeric results. */
  readonly value?: KnownValue | undefined;
}

/** What a rule may read about the node it infers: its inputs' types, shapes and known values. */
export interface ShapeContext {
  readonly node: Node;
  /** The opset version of the node's domain in this model. */
  readonly opset: number;
  /** True when input slot `i` is present (not omitted). */
  has(i: number): boolean;
  dtype(i: number): DataType | undefined;
  shape(i: number): readonly Dim[] | undefined;
  /** Known contents of input `i` (a small constant or folded shape arithmetic), if any. */
  value(i: number): KnownValue | undefined;
  /** Throws a SecateursError ('SHAPE_INVALID') naming the node, op and opset. */
  fail(message: string): never;
}

/**
 * A shape rule: pure, reads the context, returns one entry per node output (undefined = unknown). A rule never
 * guesses: when an input it needs is unknown, the affected outputs stay unknown.
 */
export type ShapeRule = (ctx: ShapeContext) => readonly (OutputInfo | undefined)[];

/** Results larger than this many elements are not folded into known values. */
export const FOLD_LIMIT = 4096;

/** The error a rule raises for a model that cannot be valid (mismatched dims, axis out of range). */
export function shapeError(node: Node, opset: number, message: string): SecateursError {
  const domain = node.domain === '' ? 'ai.onnx' : node.domain;
  return new SecateursError('SHAPE_INVALID', `node '${node.name}' (${domain} ${node.opType}, opset ${opset}): ${message}`);
}
