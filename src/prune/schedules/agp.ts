/** The automated gradual pruning schedule (Zhu & Gupta 2017), as a pure function of the step. */

/** Parameters of {@link agpSparsity}. */
export interface AgpSchedule {
  /** Sparsity s_i at the first pruning step, in [0, 1). */
  readonly initial: number;
  /** Sparsity s_f reached at step t₀ + n·Δt, in [initial, 1). */
  readonly final: number;
  /** First pruning step t₀, an integer >= 0. */
  readonly startStep: number;
  /** Steps Δt between mask updates, an integer >= 1. */
  readonly frequency: number;
  /** Number n of pruning intervals, an integer >= 1. */
  readonly steps: number;
}

/** Every problem of an AGP schedule, as one RangeError (or nothing). */
export function checkAgp(s: AgpSchedule): void {
  const p: string[] = [];
  if (!(s.initial >= 0 && s.initial < 1)) p.push(`'initial' must be in [0, 1), got ${s.initial}`);
  if (!(s.final >= s.initial && s.final < 1)) p.push(`'final' must be in [initial, 1) = [${s.initial}, 1), got ${s.final}`);
  if (!Number.isSafeInteger(s.startStep) || s.startStep < 0) p.push(`'startStep' must be an integer >= 0, got ${s.startStep}`);
  if (!Number.isSafeInteger(s.frequency) || s.frequency < 1) p.push(`'frequency' must be an integer >= 1, got ${s.frequency}`);
  if (!Number.isSafeInteger(s.steps) || s.steps < 1) p.push(`'steps' must be an integer >= 1, got ${s.steps}`);
  if (p.length > 0) throw new RangeError(`AGP schedule: ${p.join('; ')}.`);
}

/**
 * The AGP sparsity in force at training step `step`: s_f + (s_i − s_f)·(1 − (t − t₀)/(n·Δt))³, where t is the last
 * mask update at or before `step` (t₀, t₀+Δt, …, t₀+n·Δt), so the value changes only every Δt steps and stays at
 * s_f from t₀ + n·Δt on. Before t₀ nothing is pruned (0).
 *
 * @throws RangeError listing every schedule parameter outside its interval, or a `step` that is not an integer >= 0.
 * @example
 * ```ts
 * const s = { initial: 0, final: 0.9, startStep: 0, frequency: 100, steps: 10 };
 * agpSparsity(0, s);      // 0
 * agpSparsity(550, s);    // 0.9 − 0.9·(1 − 500/1000)³ = 0.7875 (the update at step 500)
 * agpSparsity(5000, s);   // 0.9
 * ```
 */
export function agpSparsity(step: number, s: AgpSchedule): number {
  checkAgp(s);
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`agpSparsity: 'step' must be an integer >= 0, got ${step}.`);
  if (step < s.startStep) return 0;
  const k = Math.min(s.steps, Math.floor((step - s.startStep) / s.frequency));
  const left = 1 - k / s.steps;
  return s.final + (s.initial - s.final) * left * left * left;
}
