/** The optimizers the trainer knows, by name. */
export type OptimizerKind = 'sgd' | 'adam' | 'adamw';

/**
 * Everything an optimizer needs to continue exactly where it stopped: its kind, how many updates it has made, its
 * hyper-parameters (for a mismatch check on resume) and its per-parameter buffers (momentum, first and second
 * moments), each aligned with the parameter list. Buffers are allocated on the first step, so a fresh optimizer has
 * none.
 */
export interface OptimizerState {
  readonly kind: OptimizerKind;
  /** Updates made so far (Adam's bias correction depends on it). */
  readonly steps: number;
  readonly hyper: Readonly<Record<string, number | boolean>>;
  /** Buffer name → one Float32Array per parameter. */
  readonly buffers: Readonly<Record<string, readonly Float32Array[]>>;
}

/**
 * A first-order optimizer updating float32 parameters in place.
 *
 * Masks (one per parameter, `undefined` for none; 1 keeps, 0 prunes) are honoured on every update: the gradient is
 * masked before use and the weight after, so pruned weights stay exactly +0 and their optimizer buffers stay 0.
 *
 * @example
 * ```ts
 * const opt = createOptimizer('adamw', { weightDecay: 0.01 });
 * opt.step([w], [g], 1e-3);
 * const saved = opt.state();          // goes into a checkpoint
 * createOptimizer('adamw', { weightDecay: 0.01 }).loadState(saved);
 * ```
 */
export interface Optimizer {
  readonly kind: OptimizerKind;
  /** Updates made so far. */
  readonly steps: number;
  /**
   * One update of every parameter with its gradient at learning rate `lr`, in place. The gradients' global norm is
   * computed first (masked, before clipping); when it is not finite nothing is updated and `applied` is false.
   */
  step(params: readonly Float32Array[], grads: readonly Float32Array[], lr: number): StepInfo;
  /**
   * Copies `initial` into the optimizer's own memory (pruned entries zeroed) and returns views of it, one per
   * parameter. Stepping with these views updates them in place with no copies; feed them to onnxruntime as they are
   * (zero-copy). Other arrays work too, copied in and out on every step.
   */
  bind(initial: readonly Float32Array[]): Float32Array[];
  /**
   * Views of the optimizer's own gradient memory, one per parameter, after {@link bind}: a producer that writes the
   * gradients there (onnxruntime, as pre-allocated outputs) and passes these views to {@link step} saves a copy.
   * Their contents are the optimizer's between steps (it may overwrite them while updating).
   */
  gradientViews?(): Float32Array[];
  /** Sets (or clears, with `undefined` entries) the masks; zeroes the buffers at masked positions. */
  setMasks(masks: readonly (Uint8Array | undefined)[] | undefined): void;
  state(): OptimizerState;
  /** Restores a {@link state} snapshot (copied); a SecateursError names what does not fit. */
  loadState(state: OptimizerState): void;
}

/** What one {@link Optimizer.step} did. */
export interface StepInfo {
  /** Global L2 norm of the (masked) gradients before clipping; NaN or Infinity when some gradient is not finite. */
  readonly gradNorm: number;
  /** Factor the gradients were scaled by (1 unless clipped). */
  readonly clipScale: number;
  /** False when the step was skipped because the gradients were not finite. */
  readonly applied: boolean;
}

/** Options shared by every optimizer. */
export interface CommonOptions {
  /** Clip the gradients to this global L2 norm (PyTorch's `clip_grad_norm_`: scale by max/(norm + 1e-6) when < 1). */
  readonly clipNorm?: number;
  /** Weight decay; default 0. SGD and Adam add `weightDecay·w` to the gradient (L2); AdamW decays the weight. */
  readonly weightDecay?: number;
  /** Masks, one per parameter in the order `step` receives them; 1 keeps a weight, 0 prunes it. */
  readonly masks?: readonly (Uint8Array | undefined)[];
}
