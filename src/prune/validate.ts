/**
 * Checks of user input made before any work starts. Each returns problem lines (collected, then thrown together as
 * one `PRUNE_BAD_INPUT` error) or throws a RangeError for a number outside its interval.
 */
import { checkInputShape, type Dataset } from '../data/index.js';
import { throwAll } from '../errors.js';
import type { Model } from '../ir/graph.js';

/**
 * Throws a RangeError unless `s` is a sparsity in [0, 1).
 *
 * @example
 * ```ts
 * checkSparsity(1.2, 'sparsity');   // RangeError: 'sparsity' is 1.2, out of range [0, 1).
 * ```
 */
export function checkSparsity(s: number, what: string): void {
  if (!(typeof s === 'number' && s >= 0 && s < 1)) throw new RangeError(`'${what}' is ${s}, out of range [0, 1).`);
}

/** Throws a RangeError unless `n` is an integer in [min, max]. */
export function checkInt(n: number, what: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new RangeError(`'${what}' is ${n}, out of range [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞)' : `${max}]`}.`);
  }
}

/**
 * Problems feeding `dataset` to the model's data input (the one graph input that is not an initializer), checked
 * with `checkInputShape`.
 */
export function datasetProblems(model: Model, dataset: Dataset): string[] {
  const inputs = model.graph.inputs.filter((v) => !v.constant);
  if (inputs.length !== 1) {
    return [`the model has ${inputs.length} data inputs (${inputs.map((v) => `'${v.name}'`).join(', ')}); pruning with a dataset needs exactly one`];
  }
  const input = inputs[0]!;
  const check = checkInputShape(dataset, input.shape ?? [], input.name);
  return check.ok ? [] : [check.message];
}

/**
 * Throws every problem at once as a SecateursError `PRUNE_BAD_INPUT`.
 *
 * @example
 * ```ts
 * failOn(['exclude /x/ matches no prunable layer; ...'], 'planPruning');
 * ```
 */
export function failOn(problems: readonly string[], subject: string): void {
  throwAll('PRUNE_BAD_INPUT', subject, problems);
}
