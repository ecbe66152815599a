/** Where the first non-finite value of a list of tensors is. */
export interface NonFinite {
  /** Index of the tensor in the list. */
  readonly tensor: number;
  /** Index of the element within it. */
  readonly index: number;
  readonly value: number;
}

/**
 * The first NaN or ±Infinity in `arrays` (list order, then element order), or undefined when all are finite.
 *
 * @example
 * ```ts
 * firstNonFinite([new Float32Array([1, 2]), new Float32Array([0, NaN])]);   // { tensor: 1, index: 1, value: NaN }
 * ```
 */
export function firstNonFinite(arrays: readonly Float32Array[]): NonFinite | undefined {
  for (let t = 0; t < arrays.length; t++) {
    const a = arrays[t]!;
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      // x − x is 0 for every finite x and NaN for NaN and ±Infinity: one compare per element.
      if (x - x !== 0) return { tensor: t, index: i, value: x };
    }
  }
  return undefined;
}
