/**
 * Row-wise bookkeeping on model outputs read back from onnxruntime: ranks of labels, log-softmax based cross-entropy
 * and KL divergence, cosine similarity. All sums are in float64; nothing here is a tensor kernel a graph could run,
 * only per-row reductions over outputs that are already in JS memory.
 */

/**
 * The 0-based rank of `label` in row `r` of `rows` × `k` logits: how many classes score strictly higher, plus those
 * scoring equal with a lower index (the stable descending order). A NaN score ranks last (`k`). Top-k correct ⇔ rank < k.
 *
 * @example
 * ```ts
 * labelRank(new Float32Array([0.1, 0.7, 0.2]), 0, 3, 2);   // 1
 * ```
 */
export function labelRank(logits: Float32Array, r: number, k: number, label: number): number {
  const off = r * k;
  const v = logits[off + label]!;
  if (Number.isNaN(v)) return k;
  let rank = 0;
  for (let j = 0; j < k; j++) {
    const u = logits[off + j]!;
    if (u > v || (u === v && j < label)) rank++;
  }
  return rank;
}

/**
 * log Σ exp(row), computed stably (shifted by the row maximum).
 *
 * @example
 * ```ts
 * logSumExp(new Float32Array([0, 0]), 0, 2);   // Math.log(2)
 * ```
 */
export function logSumExp(logits: Float32Array, r: number, k: number): number {
  const off = r * k;
  let m = -Infinity;
  for (let j = 0; j < k; j++) m = Math.max(m, logits[off + j]!);
  if (m === -Infinity || m === Infinity || Number.isNaN(m)) return m;
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.exp(logits[off + j]! - m);
  return m + Math.log(s);
}

/**
 * Cross-entropy of one row of logits against `label`: `logSumExp(row) - row[label]` (= −log softmax(row)[label]).
 *
 * @example
 * ```ts
 * crossEntropy(new Float32Array([2, 0]), 0, 2, 0);   // Math.log(1 + Math.exp(-2))
 * ```
 */
export function crossEntropy(logits: Float32Array, r: number, k: number, label: number): number {
  return logSumExp(logits, r, k) - logits[r * k + label]!;
}

/**
 * KL(softmax(a_r) ‖ softmax(b_r)) for row `r` of two `k`-wide logit matrices, from their log-softmaxes. Exactly 0 for
 * identical rows.
 *
 * @example
 * ```ts
 * klDivergence(new Float32Array([1, 2]), new Float32Array([1, 2]), 0, 2);   // 0
 * ```
 */
export function klDivergence(a: Float32Array, b: Float32Array, r: number, k: number): number {
  const la = logSumExp(a, r, k);
  const lb = logSumExp(b, r, k);
  const off = r * k;
  let kl = 0;
  for (let j = 0; j < k; j++) {
    const pa = a[off + j]! - la;
    const p = Math.exp(pa);
    if (p > 0) kl += p * (pa - (b[off + j]! - lb));
  }
  return Math.max(0, kl);
}

/**
 * Cosine similarity of row `r` of two `k`-wide matrices; 1 when both rows are zero, 0 when only one is.
 *
 * @example
 * ```ts
 * cosine(new Float32Array([1, 0]), new Float32Array([0, 1]), 0, 2);   // 0
 * ```
 */
export function cosine(a: Float32Array, b: Float32Array, r: number, k: number): number {
  const off = r * k;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let j = 0; j < k; j++) {
    const x = a[off + j]!;
    const y = b[off + j]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa === 0 && bb === 0) return 1;
  if (aa === 0 || bb === 0) return 0;
  return ab / Math.sqrt(aa * bb);
}

/**
 * Index of the largest value of row `r` (first one on ties; NaN never wins unless the row is all NaN).
 *
 * @example
 * ```ts
 * argmax(new Float32Array([3, 9, 9]), 0, 3);   // 1
 * ```
 */
export function argmax(x: Float32Array, r: number, k: number): number {
  const off = r * k;
  let best = 0;
  let bv = -Infinity;
  for (let j = 0; j < k; j++) {
    const v = x[off + j]!;
    if (v > bv) {
      bv = v;
      best = j;
    }
  }
  return best;
}
