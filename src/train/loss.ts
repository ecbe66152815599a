import { withLoss, type LossSpec } from '../autodiff/index.js';
import type { Model } from '../ir/graph.js';
import type { ResolvedDistill } from './distill.js';

/** Graph inputs and output of a training loss. */
export interface LossNames {
  readonly loss: string;
  /** The int32 labels input; undefined when no cross-entropy term needs labels (pure distillation). */
  readonly labels: string | undefined;
  /** The teacher-logits input of the KL term; undefined without one (α = 0 or no distillation). */
  readonly teacherLogits: string | undefined;
  /** One teacher-feature input per matched pair, aligned with `distill.features`. */
  readonly teacherFeatures: readonly string[];
}

/**
 * `model` with the trainer's loss on output `logits`: softmax cross-entropy with int32 labels (label smoothing), or
 * with `distill` α·T²·KL(teacher ‖ student) + (1 − α)·CE + Σ wᵢ·MSE(studentᵢ, teacherᵢ), terms of weight 0 left out.
 * Teacher outputs become graph inputs (named after free names), so one session computes loss and gradients.
 *
 * @example
 * ```ts
 * const { model: withKd, names } = trainingLoss(model, 'logits', { labelSmoothing: 0, distill: { alpha: 1, temperature: 4, features: [], teacherOutput: 'logits' } });
 * names.labels;          // undefined: pure distillation takes no labels
 * names.teacherLogits;   // 'teacher_logits'
 * ```
 */
export function trainingLoss(model: Model, logits: string, o: { readonly labelSmoothing: number; readonly distill?: ResolvedDistill | undefined }): { model: Model; names: LossNames } {
  const d = o.distill;
  const taken = new Set<string>();
  const free = (hint: string): string => {
    let name = hint;
    for (let k = 1; model.graph.value(name) || taken.has(name); k++) name = `${hint}_${k}`;
    taken.add(name);
    return name;
  };
  const alpha = d?.alpha ?? 0;
  const labels = alpha < 1 ? free('labels') : undefined;
  const teacherLogits = d && alpha > 0 ? free('teacher_logits') : undefined;
  const teacherFeatures = (d?.features ?? []).map((_, i) => free(`teacher_feature_${i}`));
  const terms: LossSpec[] = [];
  if (labels) terms.push({ kind: 'cross-entropy', logits, labels, labelType: 'int32', labelSmoothing: o.labelSmoothing, ...(d ? { weight: 1 - alpha } : {}) });
  if (d && teacherLogits) terms.push({ kind: 'distill-kl', student: logits, teacher: teacherLogits, temperature: d.temperature, weight: alpha });
  d?.features.forEach((f, i) => terms.push({ kind: 'mse', prediction: f.student, target: teacherFeatures[i]!, weight: f.weight }));
  const lm = withLoss(model, terms.length === 1 ? terms[0]! : terms, { name: free('loss') });
  return { model: lm.model, names: { loss: lm.loss, labels, teacherLogits, teacherFeatures } };
}
