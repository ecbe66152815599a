/**
 * Histograms of activation magnitudes and the clipping thresholds chosen from them: a percentile of the values, or
 * the threshold whose quantized distribution diverges least from the original (KL divergence, the TensorRT
 * entropy calibration of Migacz, "8-bit Inference with TensorRT", GTC 2017).
 */

/**
 * Counts of magnitudes in `bins` equal bins over (0, top]: one side (positive values, or negated negative ones) of an
 * activation's distribution.
 *
 * @example
 * ```ts
 * const h = new MagnitudeHistogram(4, 2048);
 * h.add(0.5); h.add(3.9);
 * h.total;   // 2
 * ```
 */
export class MagnitudeHistogram {
  readonly counts: Float64Array;
  total = 0;

  constructor(readonly top: number, readonly bins: number) {
    if (!(top >= 0) || !Number.isFinite(top)) throw new RangeError(`histogram top must be finite and >= 0, got ${top}.`);
    if (!Number.isInteger(bins) || bins < 8) throw new RangeError(`histogram bins must be an integer >= 8, got ${bins}.`);
    this.counts = new Float64Array(bins);
  }

  /** Counts one magnitude (> 0); values beyond `top` land in the last bin. */
  add(m: number): void {
    if (!(m > 0) || this.top === 0) return;
    const b = Math.min(this.bins - 1, Math.floor((m / this.top) * this.bins));
    this.counts[b]! += 1;
    this.total++;
  }

  /** Upper edge of bin `i`. */
  edge(i: number): number {
    return ((i + 1) / this.bins) * this.top;
  }
}

/**
 * The smallest threshold T such that at most `tail` (a fraction of `all`, the count of every value of the tensor)
 * of the values lie beyond it; `top` when the histogram is empty.
 *
 * @example
 * ```ts
 * percentileThreshold(h, 1e-5, 10_000);   // clips the largest 0.001% of the values
 * ```
 */
export function percentileThreshold(h: MagnitudeHistogram, tail: number, all: number): number {
  const allowed = tail * all;
  let beyond = 0;
  for (let i = h.bins - 1; i >= 0; i--) {
    const c = h.counts[i]!;
    if (beyond + c > allowed) return h.edge(i);
    beyond += c;
  }
  return h.total > 0 ? h.edge(0) : h.top;
}

/**
 * TensorRT's entropy threshold: for candidates i (from `levels` bins to all of them), the first i bins with
 * everything beyond folded into the last (P) are compared with P quantized to `levels` levels and expanded back (Q);
 * the threshold is the upper edge of the candidate with the least KL(P ‖ Q). `levels` is how many integer levels the
 * side gets (128 for one side of int8, 256 for uint8 over [0, T]).
 *
 * @example
 * ```ts
 * const t = entropyThreshold(h, 256);   // <= h.top
 * ```
 */
export function entropyThreshold(h: MagnitudeHistogram, levels: number): number {
  const n = h.bins;
  if (h.total === 0 || levels >= n) return h.top;
  const q = Math.max(2, Math.floor(levels));
  const c = h.counts;
  const suffix = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + c[i]!;
  const kl = (i: number): number => klForCandidate(c, i, q, suffix[i]!);
  // Coarse pass every `stride` candidates, then every candidate around the best: the KL curve is smooth at that
  // scale, and the full O(bins²) scan took ~0.5 s per activation side.
  const stride = 16;
  let best = n;
  let bestKl = kl(n);
  for (let i = n - stride; i >= q; i -= stride) {
    const d = kl(i);
    if (d < bestKl) { bestKl = d; best = i; }
  }
  const lo = Math.max(q, best - stride + 1);
  const hi = Math.min(n, best + stride - 1);
  for (let i = hi; i >= lo; i--) {
    const d = kl(i);
    if (d < bestKl) { bestKl = d; best = i; }
  }
  return h.edge(best - 1);
}

/**
 * KL(P ‖ Q) for the first `i` bins, `beyond` being the count of bins i..n−1 (folded into P's last bin). Q spreads each
 * of the `levels` chunks' count evenly over the chunk's non-empty bins; empty bins of Q get a small mass `eps` taken
 * evenly from the others, so KL stays finite where P > 0 = Q. No allocation: this runs for every candidate.
 */
function klForCandidate(c: Float64Array, i: number, levels: number, beyond: number, eps = 1e-4): number {
  let sumP = beyond;
  let zeros = 0;
  for (let k = 0; k < i; k++) { sumP += c[k]!; if (c[k] === 0) zeros++; }
  const sumQ = sumP - beyond;
  if (sumP === 0) return 0;
  if (sumQ === 0 || zeros === i) return Infinity;
  const take = (eps * zeros) / (i - zeros);
  const per = i / levels;
  let kl = 0;
  for (let j = 0; j < levels; j++) {
    const start = Math.floor(j * per);
    const stop = j === levels - 1 ? i : Math.floor((j + 1) * per);
    let sum = 0;
    let nonzero = 0;
    for (let k = start; k < stop; k++) { sum += c[k]!; if (c[k]! > 0) nonzero++; }
    for (let k = start; k < stop; k++) {
      const pk = (k === i - 1 ? c[k]! + beyond : c[k]!) / sumP;
      if (pk <= 0) continue;
      const qk = c[k]! > 0 ? Math.max(sum / nonzero / sumQ - take, eps * eps) : eps;
      kl += pk * Math.log(pk / qk);
    }
  }
  return kl;
}
