/**
 * The update loops, as tight typed-array loops over one Float32Array "arena" (element offsets, no allocation per
 * element), and the same loops as WebAssembly SIMD (see wasm.ts) behind one interface. One arena array instead of one
 * array per buffer matters in V8: it re-checks every typed array it touches on each iteration.
 */
import type { WasmKernels } from './wasm.js';

/** Scalars of the SGD update (see {@link Kernels.sgd}). */
export interface SgdScalars {
  readonly gradScale: number;
  readonly lr: number;
  readonly wd: number;
  readonly mu: number;
  readonly damp: number;
  /** Weight of the gradient in the step (1 with Nesterov, else 0). */
  readonly cg: number;
  /** Weight of the momentum buffer in the step (momentum with Nesterov, else 1). */
  readonly cb: number;
}

/** Scalars of the Adam/AdamW update (see {@link Kernels.adam}). */
export interface AdamScalars {
  readonly gradScale: number;
  readonly b1: number;
  readonly b2: number;
  /** 1 − β1 and 1 − β2. */
  readonly c1: number;
  readonly c2: number;
  /** lr / (1 − β1ᵗ). */
  readonly step: number;
  /** 1 / √(1 − β2ᵗ). */
  readonly inv: number;
  readonly eps: number;
  /** L2 coefficient added to the gradient (Adam's weight decay; 0 for AdamW). */
  readonly l2: number;
  /** Factor applied to the weight before the step (1 − lr·wd for AdamW; 1 for Adam). */
  readonly decay: number;
}

/**
 * The kernels, on element offsets into the arena; `k` is the mask's offset or −1 for none; `n` elements, a multiple
 * of 4 (the SIMD width; the arena pads every parameter to it, and padding stays zero).
 */
export interface Kernels {
  readonly backend: 'wasm' | 'js';
  /** g' = (g·gradScale + wd·w)·k; b = mu·b + damp·g'; w = (w − lr·(cg·g' + cb·b))·k. */
  sgd(w: number, g: number, b: number, k: number, n: number, s: SgdScalars): void;
  /** g' = (g·gradScale + l2·w)·k; m, v moments; w = (w·decay − step·m / (√v·inv + eps))·k. */
  adam(w: number, g: number, m: number, v: number, k: number, n: number, s: AdamScalars): void;
  /** Σ (g·k)², in float64. */
  sumsq(g: number, k: number, n: number): number;
}

/** The JS kernels over arena `F`. */
export function jsKernels(F: Float32Array): Kernels {
  return {
    backend: 'js',
    sgd: (w, g, b, k, n, s) => (k < 0 ? sgdDense(F, w, g, b, n, s) : sgdMasked(F, w, g, b, k, n, s)),
    adam: (w, g, m, v, k, n, s) => (k < 0 ? adamDense(F, w, g, m, v, n, s) : adamMasked(F, w, g, m, v, k, n, s)),
    sumsq: (g, k, n) => sumsqJs(F, g, k, n),
  };
}

/** The wasm kernels over the same arena (`F` views the module's memory from byte 0). */
export function wasmKernels(x: WasmKernels): Kernels {
  return {
    backend: 'wasm',
    sgd: (w, g, b, k, n, s) => (k < 0 ? x.sgd : x.sgd_masked)(4 * w, 4 * g, 4 * b, 4 * Math.max(k, 0), 4 * n, s.gradScale, s.lr, s.wd, s.mu, s.damp, s.cg, s.cb),
    adam: (w, g, m, v, k, n, s) => (k < 0 ? x.adam : x.adam_masked)(4 * w, 4 * g, 4 * m, 4 * v, 4 * Math.max(k, 0), 4 * n, s.gradScale, s.b1, s.b2, s.c1, s.c2, s.step, s.inv, s.eps, s.l2, s.decay),
    sumsq: (g, k, n) => (k < 0 ? x.sumsq : x.sumsq_masked)(4 * g, 4 * Math.max(k, 0), 4 * n),
  };
}

function sgdDense(F: Float32Array, w: number, g: number, b: number, n: number, s: SgdScalars): void {
  const { gradScale, lr, wd, mu, damp, cg, cb } = s;
  for (let i = 0; i < n; i++) {
    const x = F[w + i]!;
    const gi = F[g + i]! * gradScale + wd * x;
    const bi = mu * F[b + i]! + damp * gi;
    F[b + i] = bi;
    F[w + i] = x - lr * (cg * gi + cb * bi);
  }
}

function sgdMasked(F: Float32Array, w: number, g: number, b: number, k: number, n: number, s: SgdScalars): void {
  const { gradScale, lr, wd, mu, damp, cg, cb } = s;
  for (let i = 0; i < n; i++) {
    const x = F[w + i]!;
    const keep = F[k + i]!;
    const gi = (F[g + i]! * gradScale + wd * x) * keep;
    const bi = mu * F[b + i]! + damp * gi;
    F[b + i] = bi;
    F[w + i] = (x - lr * (cg * gi + cb * bi)) * keep + 0; // + 0 turns a pruned −0 into +0
  }
}

function adamDense(F: Float32Array, w: number, g: number, m: number, v: number, n: number, s: AdamScalars): void {
  const { gradScale, b1, b2, c1, c2, step, inv, eps, l2, decay } = s;
  for (let i = 0; i < n; i++) {
    const x = F[w + i]!;
    const gi = F[g + i]! * gradScale + l2 * x;
    const mi = b1 * F[m + i]! + c1 * gi;
    const vi = b2 * F[v + i]! + c2 * gi * gi;
    F[m + i] = mi;
    F[v + i] = vi;
    F[w + i] = x * decay - (step * mi) / (Math.sqrt(vi) * inv + eps);
  }
}

function adamMasked(F: Float32Array, w: number, g: number, m: number, v: number, k: number, n: number, s: AdamScalars): void {
  const { gradScale, b1, b2, c1, c2, step, inv, eps, l2, decay } = s;
  for (let i = 0; i < n; i++) {
    const x = F[w + i]!;
    const keep = F[k + i]!;
    const gi = (F[g + i]! * gradScale + l2 * x) * keep;
    const mi = b1 * F[m + i]! + c1 * gi;
    const vi = b2 * F[v + i]! + c2 * gi * gi;
    F[m + i] = mi;
    F[v + i] = vi;
    F[w + i] = (x * decay - (step * mi) / (Math.sqrt(vi) * inv + eps)) * keep + 0;
  }
}

/** Four accumulators break the add dependency chain (about 3x faster than one); `n` is a multiple of 4. */
function sumsqJs(F: Float32Array, g: number, k: number, n: number): number {
  let a = 0, b = 0, c = 0, d = 0;
  if (k < 0) {
    for (let i = 0; i < n; i += 4) {
      const x = F[g + i]!, y = F[g + i + 1]!, z = F[g + i + 2]!, u = F[g + i + 3]!;
      a += x * x; b += y * y; c += z * z; d += u * u;
    }
  } else {
    for (let i = 0; i < n; i += 4) {
      const x = F[g + i]! * F[k + i]!, y = F[g + i + 1]! * F[k + i + 1]!;
      const z = F[g + i + 2]! * F[k + i + 2]!, u = F[g + i + 3]! * F[k + i + 3]!;
      a += x * x; b += y * y; c += z * z; d += u * u;
    }
  }
  return a + b + c + d;
}
