/**
 * Learning-rate schedules: pure functions of the step number (0-based: the step about to be taken), so a resumed run
 * gets exactly the rates of an uninterrupted one.
 */

/**
 * A schedule after warm-up, evaluated at `s = step − warmupSteps`:
 * - `constant`: lr;
 * - `step`: lr·γ^⌊s / every⌋ (PyTorch's StepLR, counted in steps);
 * - `cosine`: minLr + (lr − minLr)·(1 + cos(π·min(s, T)/T))/2 with T = totalSteps − warmupSteps (CosineAnnealingLR
 *   without restarts), then minLr.
 */
export type Schedule =
  | { readonly kind: 'constant' }
  | { readonly kind: 'step'; readonly every: number; readonly gamma: number }
  | { readonly kind: 'cosine'; readonly totalSteps: number; readonly minLr?: number };

/** A schedule plus linear warm-up: during the first `warmupSteps` steps the rate rises as lr·(step + 1)/warmupSteps. */
export interface LrPlan {
  readonly lr: number;
  readonly schedule: Schedule;
  readonly warmupSteps?: number;
}

/**
 * The learning rate of step `step` (0-based).
 *
 * @example
 * ```ts
 * const plan: LrPlan = { lr: 0.1, warmupSteps: 100, schedule: { kind: 'cosine', totalSteps: 1000, minLr: 0 } };
 * lrAt(plan, 0);     // 0.001
 * lrAt(plan, 99);    // 0.1
 * lrAt(plan, 1000);  // 0
 * ```
 */
export function lrAt(plan: LrPlan, step: number): number {
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`'step' must be an integer >= 0, got ${step}.`);
  const warm = plan.warmupSteps ?? 0;
  if (step < warm) return (plan.lr * (step + 1)) / warm;
  const s = step - warm;
  const sched = plan.schedule;
  switch (sched.kind) {
    case 'constant': return plan.lr;
    case 'step': return plan.lr * sched.gamma ** Math.floor(s / sched.every);
    case 'cosine': {
      const min = sched.minLr ?? 0;
      const span = sched.totalSteps - warm;
      if (span <= 0) return min;
      return min + ((plan.lr - min) * (1 + Math.cos((Math.PI * Math.min(s, span)) / span))) / 2;
    }
    default: throw new RangeError(`unknown schedule kind '${(sched as { kind: string }).kind}'.`);
  }
}

/**
 * Checks a plan, collecting every problem into one RangeError: lr finite >= 0, warm-up an integer >= 0, step
 * `every` an integer >= 1 and γ in (0, 1], cosine `totalSteps` an integer >= 1 and minLr in [0, lr].
 *
 * @example
 * ```ts
 * checkPlan({ lr: 0.1, schedule: { kind: 'step', every: 0, gamma: 0.5 } });   // RangeError: 'every' ...
 * ```
 */
export function checkPlan(plan: LrPlan): LrPlan {
  const p: string[] = [];
  if (!(plan.lr >= 0) || !Number.isFinite(plan.lr)) p.push(`'lr' must be a finite number >= 0, got ${plan.lr}`);
  const warm = plan.warmupSteps ?? 0;
  if (!Number.isSafeInteger(warm) || warm < 0) p.push(`'warmupSteps' must be an integer >= 0, got ${warm}`);
  const s = plan.schedule;
  switch (s.kind) {
    case 'constant': break;
    case 'step':
      if (!Number.isSafeInteger(s.every) || s.every < 1) p.push(`step schedule: 'every' must be an integer >= 1, got ${s.every}`);
      if (!(s.gamma > 0 && s.gamma <= 1)) p.push(`step schedule: 'gamma' must be in (0, 1], got ${s.gamma}`);
      break;
    case 'cosine': {
      if (!Number.isSafeInteger(s.totalSteps) || s.totalSteps < 1) p.push(`cosine schedule: 'totalSteps' must be an integer >= 1, got ${s.totalSteps}`);
      const min = s.minLr ?? 0;
      if (!(min >= 0 && min <= plan.lr)) p.push(`cosine schedule: 'minLr' must be in [0, ${plan.lr}], got ${min}`);
      break;
    }
    default: p.push(`schedule kind must be one of constant, step, cosine; got '${(s as { kind: string }).kind}'`);
  }
  if (p.length > 0) throw new RangeError(`learning-rate plan: ${p.join('; ')}.`);
  return plan;
}
