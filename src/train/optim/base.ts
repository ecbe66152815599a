import { SecateursError } from '../../errors.js';
import { Arena, FIRST_STATE_SLOT, GRAD_SLOT, MASK_SLOT, WEIGHT_SLOT, type KernelBackend } from './arena.js';
import type { CommonOptions, Optimizer, OptimizerKind, OptimizerState, StepInfo } from './types.js';

/** Options every arena optimizer takes (see {@link CommonOptions}). */
export interface ArenaOptions extends CommonOptions {
  /** Which kernels run the update; default `auto` (WebAssembly SIMD when available, else JS loops). */
  readonly backend?: KernelBackend;
}

/**
 * What the optimizers share: the arena, masks, gradient norm and clipping, the finiteness check, and state
 * snapshots. A subclass names its buffers and writes `update` for one parameter.
 */
export abstract class ArenaOptimizer implements Optimizer {
  abstract readonly kind: OptimizerKind;
  protected arena: Arena | undefined;
  protected t = 0;
  private masks: readonly (Uint8Array | undefined)[] | undefined;
  private readonly backend: KernelBackend;
  protected readonly weightDecay: number;
  private readonly clipNorm: number | undefined;

  constructor(private readonly bufferNames: readonly string[], o: ArenaOptions) {
    this.weightDecay = nonNegative('weightDecay', o.weightDecay ?? 0);
    this.clipNorm = o.clipNorm === undefined ? undefined : positive('clipNorm', o.clipNorm);
    this.backend = o.backend ?? 'auto';
    this.masks = o.masks && checkMasks(o.masks);
  }

  get steps(): number {
    return this.t;
  }

  /** Which kernels run ('wasm' or 'js'); undefined before the first step or bind. */
  get kernelBackend(): 'wasm' | 'js' | undefined {
    return this.arena?.kernels.backend;
  }

  /** Hyper-parameters, recorded in {@link state}. */
  protected abstract hyper(): Record<string, number | boolean>;

  /** Updates parameter `k` (its slots in `this.arena`) for step `this.t` (already incremented). */
  protected abstract update(k: number, lr: number, gradScale: number): void;

  bind(initial: readonly Float32Array[]): Float32Array[] {
    const arena = this.ensureArena(initial.map((p) => p.length));
    const views = initial.map((p, k) => {
      const view = arena.view(WEIGHT_SLOT, k);
      if (!arena.isView(p, WEIGHT_SLOT, k)) view.set(p);
      return view;
    });
    this.writeMasks(arena); // pruned weights start at 0, not only after the first step
    return views;
  }

  gradientViews(): Float32Array[] {
    const a = this.arena;
    if (!a) throw new RangeError('gradientViews() needs bind() first.');
    return a.sizes.map((_, k) => a.view(GRAD_SLOT, k));
  }

  step(params: readonly Float32Array[], grads: readonly Float32Array[], lr: number): StepInfo {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new RangeError(`'lr' must be a finite number >= 0, got ${lr}.`);
    if (grads.length !== params.length) throw new RangeError(`step() got ${params.length} parameters but ${grads.length} gradients.`);
    const arena = this.ensureArena(params.map((p) => p.length));
    params.forEach((p, k) => {
      if (grads[k]!.length !== p.length) throw new RangeError(`gradient ${k} has ${grads[k]!.length} elements; its parameter has ${p.length}.`);
      if (!arena.isView(p, WEIGHT_SLOT, k)) arena.view(WEIGHT_SLOT, k).set(p);
      if (!arena.isView(grads[k]!, GRAD_SLOT, k)) arena.view(GRAD_SLOT, k).set(grads[k]!);
    });
    const gradNorm = Math.sqrt(this.sumOfSquares(arena));
    if (!Number.isFinite(gradNorm)) return { gradNorm, clipScale: 1, applied: false };
    const coef = this.clipNorm === undefined ? 1 : this.clipNorm / (gradNorm + 1e-6);
    const clipScale = coef < 1 ? coef : 1;
    this.t++;
    for (let k = 0; k < params.length; k++) this.update(k, lr, clipScale);
    params.forEach((p, k) => { if (!arena.isView(p, WEIGHT_SLOT, k)) p.set(arena.view(WEIGHT_SLOT, k)); });
    return { gradNorm, clipScale, applied: true };
  }

  /** Mask offset of parameter `k` for the kernels, or −1 when it has no mask. */
  protected maskAt(k: number): number {
    return this.masks?.[k] ? this.arena!.at(MASK_SLOT, k) : -1;
  }

  private sumOfSquares(arena: Arena): number {
    let s = 0;
    for (let k = 0; k < arena.sizes.length; k++) s += arena.kernels.sumsq(arena.at(GRAD_SLOT, k), this.maskAt(k), arena.padded(k));
    return s;
  }

  setMasks(masks: readonly (Uint8Array | undefined)[] | undefined): void {
    this.masks = masks && checkMasks(masks);
    if (this.arena) this.writeMasks(this.arena);
  }

  /** Copies masks into the arena as 0/1 floats and zeroes weights and buffers at pruned positions. */
  private writeMasks(arena: Arena): void {
    const masks = this.masks;
    if (masks && masks.length !== arena.sizes.length) throw new RangeError(`got ${masks.length} masks for ${arena.sizes.length} parameters.`);
    for (let k = 0; k < arena.sizes.length; k++) {
      const mask = masks?.[k];
      // An unmasked parameter's mask region is never read (maskAt gives −1), so it is left untouched: WebAssembly
      // memory is zero pages until written, and this keeps one parameter-sized copy out of resident memory.
      if (!mask) continue;
      const kv = arena.view(MASK_SLOT, k);
      if (mask.length !== arena.sizes[k]) throw new RangeError(`mask ${k} has ${mask.length} elements; its parameter has ${arena.sizes[k]}.`);
      kv.set(mask);
      for (let s = 0; s < arena.slots; s++) {
        if (s === MASK_SLOT) continue;
        const v = arena.view(s, k);
        for (let i = 0; i < mask.length; i++) if (mask[i] === 0) v[i] = 0;
      }
    }
  }

  private ensureArena(sizes: readonly number[]): Arena {
    if (this.arena) {
      const a = this.arena;
      if (sizes.length !== a.sizes.length || sizes.some((n, k) => n !== a.sizes[k])) {
        throw new RangeError(`the optimizer was set up for parameters of sizes [${a.sizes.join(', ')}]; got [${sizes.join(', ')}].`);
      }
      return a;
    }
    this.arena = new Arena(sizes, FIRST_STATE_SLOT + this.bufferNames.length, this.backend);
    this.writeMasks(this.arena);
    return this.arena;
  }

  state(): OptimizerState {
    const a = this.arena;
    const buffers: Record<string, Float32Array[]> = {};
    if (a) this.bufferNames.forEach((b, j) => { buffers[b] = a.sizes.map((_, k) => a.view(FIRST_STATE_SLOT + j, k).slice()); });
    return { kind: this.kind, steps: this.t, hyper: this.hyper(), buffers };
  }

  loadState(state: OptimizerState): void {
    if (state.kind !== this.kind) throw new SecateursError('TRAIN_STATE_MISMATCH', `optimizer state is for '${state.kind}', not '${this.kind}'.`);
    if (!Number.isSafeInteger(state.steps) || state.steps < 0) throw new RangeError(`optimizer state 'steps' must be an integer >= 0, got ${state.steps}.`);
    const first = state.buffers[this.bufferNames[0] ?? ''];
    if (first) {
      const arena = this.ensureArena(first.map((b) => b.length));
      this.bufferNames.forEach((b, j) => {
        const bufs = state.buffers[b];
        if (!bufs || bufs.length !== arena.sizes.length) throw new SecateursError('TRAIN_STATE_MISMATCH', `optimizer state lacks buffer '${b}' for ${arena.sizes.length} parameters.`);
        bufs.forEach((src, k) => arena.view(FIRST_STATE_SLOT + j, k).set(checkedBuffer(src, arena.sizes[k]!, `${b}[${k}]`)));
      });
      this.writeMasks(arena);
    }
    this.t = state.steps;
  }
}

function checkedBuffer(src: Float32Array, n: number, what: string): Float32Array {
  if (src.length !== n) throw new SecateursError('TRAIN_STATE_MISMATCH', `optimizer buffer ${what} has ${src.length} elements; its parameter has ${n}.`);
  return src;
}

function checkMasks(masks: readonly (Uint8Array | undefined)[]): readonly (Uint8Array | undefined)[] {
  masks.forEach((m, k) => {
    if (!m) return;
    if (!(m instanceof Uint8Array)) throw new TypeError(`mask ${k} must be a Uint8Array.`);
    const bad = m.findIndex((x) => x > 1);
    if (bad >= 0) throw new RangeError(`mask ${k}: values must be 0 or 1, found ${m[bad]} at index ${bad}.`);
  });
  return [...masks];
}

/** Validates a hyper-parameter that must be a finite number >= 0. */
export function nonNegative(name: string, v: number): number {
  if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`'${name}' must be a finite number >= 0, got ${v}.`);
  return v;
}

/** Validates a hyper-parameter that must be a finite number > 0. */
export function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`'${name}' must be a finite number > 0, got ${v}.`);
  return v;
}

/** Validates a coefficient in [0, 1). */
export function unitInterval(name: string, v: number): number {
  if (!(v >= 0 && v < 1)) throw new RangeError(`'${name}' must be in [0, 1), got ${v}.`);
  return v;
}
