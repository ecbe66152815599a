/**
 * The recipe format: one YAML or JSON document describing a whole compression job. The JSON Schema below is the
 * single source of truth for its shape (ajv checks it, reporting every problem at once); the TypeScript types mirror
 * it. Order rules and file checks that a schema cannot express live in `check.ts`.
 */

/** Criteria of an unstructured `prune` stage. */
export const PRUNE_CRITERIA = ['magnitude', 'random', 'taylor', 'taylor-squared', 'fisher', 'snip', 'wanda'] as const;
import { GROUP_CRITERIA, GROUP_KINDS, type GroupCriterion, type GroupKind, type GroupNormalization } from '../../prune/structure/index.js';
/** Stage kinds, in the order a recipe may use them (see `check.ts`). */
export const STAGE_KINDS = ['prune', 'structured', 'finetune', 'distill', 'recalibrate', 'quantize', 'export'] as const;

export type StageKind = (typeof STAGE_KINDS)[number];

/** Training settings shared by the stages that train. */
export interface TrainSettings {
  readonly epochs: number;
  /** Default `adam`. */
  readonly optimizer?: 'sgd' | 'adam' | 'adamw';
  /** Default 2e-4 for fine-tuning a trained model. */
  readonly lr?: number;
  /** Default `constant`. */
  readonly schedule?: 'constant' | 'cosine';
  /** Default 64. */
  readonly batchSize?: number;
  /** Train on the first `limit` training samples only (after the calibration hold-out). */
  readonly limit?: number;
  /** Data augmentation: translate each training image by up to this many pixels; default 0. */
  readonly shift?: number;
}

/** Unstructured pruning: weights zeroed in place (element, N:M or block patterns). */
export interface PruneStage {
  readonly kind: 'prune';
  /** Default `magnitude`. */
  readonly criterion?: (typeof PRUNE_CRITERIA)[number];
  /** `element` (default), `N:M` (e.g. `2:4`, along the input dimension) or `block:RxC` (e.g. `block:1x4`). */
  readonly granularity?: string;
  /**
   * `layer`: the same sparsity per layer; `global`: one ranking over all layers; `sensitivity`: per-layer sparsities
   * allocated from a sensitivity analysis on the calibration data (least predicted loss). Default `global`.
   */
  readonly scope?: 'layer' | 'global' | 'sensitivity';
  /** Fraction of the selected weights removed, in [0, 1). Ignored by N:M, which fixes it at (M−N)/M. */
  readonly sparsity?: number;
  /** Sensitivity levels (scope `sensitivity`); default 0, 0.5, 0.7, 0.8, 0.9, 0.95. */
  readonly levels?: readonly number[];
  /** `oneshot` (default) or `agp`: gradual magnitude pruning during `train.epochs` of training (Zhu & Gupta). */
  readonly schedule?: 'oneshot' | 'agp';
  /** AGP: steps between mask updates; default 100. */
  readonly frequency?: number;
  /** AGP's training run. */
  readonly train?: TrainSettings;
  /** Layer-name regular expressions left dense. */
  readonly exclude?: readonly string[];
  readonly keepClassifier?: boolean;
  readonly keepFirst?: boolean;
}

/** Structured pruning: coupled channel groups physically removed. */
export interface StructuredStage {
  readonly kind: 'structured';
  /** Default `l2`. `taylor`, `fisher` and `activation` use the calibration hold-out. */
  readonly criterion?: GroupCriterion;
  /** Group kinds pruned; default all (`channels`, `neurons`, `heads`). */
  readonly groups?: readonly GroupKind[];
  /** Exactly one target: a fraction of every group's channels removed, ... */
  readonly ratio?: number;
  /** ... the fraction of the dense model's parameters to keep, in (0, 1), ... */
  readonly targetParams?: number;
  /** ... the fraction of the dense model's MACs to keep, in (0, 1), ... */
  readonly targetMacs?: number;
  /** ... or the fraction of its measured onnxruntime latency (batch 1, one thread) to keep, in (0, 1). */
  readonly targetLatency?: number;
  /** Keep channel counts multiples of this (faster kernels). */
  readonly roundTo?: number;
  /** `layer` (default): the same fraction of every group; `global`: one ranking of all channels (pair with `normalize`). */
  readonly scope?: 'layer' | 'global';
  /** Per-group rescaling of the scores before planning (`none` default, `sum`, `mean`, `max`, `standardize`). */
  readonly normalize?: GroupNormalization;
  /** Regular expression of layers whose channels are protected (input stem, classifier). */
  readonly protect?: string;
  /**
   * Refit the layers that read removed channels by least squares on the calibration hold-out, so their outputs match
   * the original's (Kwon 2022 / ThiNet; no training). Default false.
   */
  readonly lsq?: boolean;
}

/** Fine-tuning with the pruned weights held at exactly zero. */
export interface FinetuneStage extends TrainSettings {
  readonly kind: 'finetune';
}

/** Knowledge distillation from a teacher (the original model by default), pruned weights held at zero. */
export interface DistillStage extends TrainSettings {
  readonly kind: 'distill';
  /** `original` (default: the recipe's input model) or an ONNX file, relative to the recipe. */
  readonly teacher?: string;
  /** Weight of the KL term, in [0, 1]; default 0.9. 1 distills without labels. */
  readonly alpha?: number;
  /** Softmax temperature, > 0; default 4. */
  readonly temperature?: number;
  /** Intermediate feature matching: MSE between these student and teacher tensors (equal shapes), weighted. */
  readonly features?: readonly { readonly student: string; readonly teacher: string; readonly weight?: number }[];
}

/** Gradient-free repair: BatchNorm running statistics recomputed from calibration data. */
export interface RecalibrateStage {
  readonly kind: 'recalibrate';
  /** Calibration samples used; default all of the hold-out. */
  readonly samples?: number;
}

/** int8 / fp16 quantization. */
export interface QuantizeStage {
  readonly kind: 'quantize';
  /** `static` (QDQ with calibration, default), `dynamic`, `fp16` or `weight-only`. */
  readonly mode?: 'static' | 'dynamic' | 'fp16' | 'weight-only';
  /** Static: activation range calibration; default `minmax`. */
  readonly calibrate?: 'minmax' | 'percentile' | 'entropy';
  /** Per-channel weight scales; default true. */
  readonly perChannel?: boolean;
  /** Weight-only: 8 or 4 bits; default 8. */
  readonly bits?: 8 | 4;
  /** Node-name regular expressions left in float. */
  readonly exclude?: readonly string[];
}

/** The file written for the final model. */
export interface ExportStage {
  readonly kind: 'export';
  /** Default `auto`: the smallest gzip download among the formats that fit the model. */
  readonly format?: 'auto' | 'dense' | 'sparse' | 'int8' | 'int8-sparse';
  /** int8 encodings: values on a ±(2^(bits−1) − 1) grid, 2 to 8 (default 8); fewer bits compress further under gzip. */
  readonly bits?: number;
}

export type Stage = PruneStage | StructuredStage | FinetuneStage | DistillStage | RecalibrateStage | QuantizeStage | ExportStage;

/** Accuracy floors checked after every stage that is not followed by a recovery stage, and at the end. */
export interface VerifySettings {
  /** Lowest acceptable top-1 on the test samples, in [0, 1]. */
  readonly minTop1?: number;
  /** Largest acceptable top-1 drop from the original, in [0, 1]. */
  readonly maxDrop?: number;
}

/** A whole compression job. */
export interface Recipe {
  readonly version: 1;
  readonly name?: string;
  /** An ONNX file (relative to the recipe) or `zoo:NAME`. */
  readonly model: string;
  readonly data: {
    /** `mnist`, `fashion-mnist` or an .npz file (relative to the recipe). */
    readonly dataset: string;
    /** Training samples held out for calibration and sensitivity (never the test split); default 2000. */
    readonly calibration?: number;
    /** Score on the first `testLimit` test samples; default all. */
    readonly testLimit?: number;
  };
  readonly stages: readonly Stage[];
  readonly verify?: VerifySettings;
  readonly outputs?: {
    /** Run folder (relative to the recipe); default `runs/<name>`. */
    readonly dir?: string;
    /** File name of the final model inside the run folder; default `<name>.onnx`. */
    readonly model?: string;
  };
  /** Seed of every random choice; default 0. */
  readonly seed?: number;
}

const fraction = { type: 'number', minimum: 0, exclusiveMaximum: 1 } as const;
const unit = { type: 'number', minimum: 0, maximum: 1 } as const;
const posInt = { type: 'integer', minimum: 1 } as const;
const openUnit = { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 } as const;
const patterns = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const trainProps = {
  epochs: posInt,
  optimizer: { enum: ['sgd', 'adam', 'adamw'] },
  lr: { type: 'number', exclusiveMinimum: 0 },
  schedule: { enum: ['constant', 'cosine'] },
  batchSize: posInt,
  limit: posInt,
  shift: { type: 'integer', minimum: 0 },
} as const;
const stage = (kind: StageKind, properties: Record<string, unknown>, required: readonly string[] = []) => ({
  type: 'object',
  properties: { kind: { const: kind }, ...properties },
  required: ['kind', ...required],
  additionalProperties: false,
});

/** JSON Schema (draft 2020-12) of a recipe; `kind` discriminates the stages. */
export const RECIPE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://secateurs.dev/schema/recipe-v1.json',
  title: 'Secateurs recipe',
  type: 'object',
  properties: {
    version: { const: 1 },
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
    model: { type: 'string', minLength: 1 },
    data: {
      type: 'object',
      properties: { dataset: { type: 'string', minLength: 1 }, calibration: posInt, testLimit: posInt },
      required: ['dataset'],
      additionalProperties: false,
    },
    stages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: { kind: { enum: STAGE_KINDS } },
        required: ['kind'],
        discriminator: { propertyName: 'kind' },
        oneOf: [
          stage('prune', {
            criterion: { enum: PRUNE_CRITERIA }, granularity: { type: 'string', pattern: '^(element|[0-9]+:[0-9]+|block:[0-9]+x[0-9]+)$' },
            scope: { enum: ['layer', 'global', 'sensitivity'] }, sparsity: fraction, levels: { type: 'array', items: fraction, minItems: 2 },
            schedule: { enum: ['oneshot', 'agp'] }, frequency: posInt,
            train: { type: 'object', properties: trainProps, required: ['epochs'], additionalProperties: false },
            exclude: patterns, keepClassifier: { type: 'boolean' }, keepFirst: { type: 'boolean' },
          }),
          stage('structured', {
            criterion: { enum: GROUP_CRITERIA }, groups: { type: 'array', items: { enum: GROUP_KINDS }, minItems: 1, uniqueItems: true },
            ratio: fraction, targetParams: openUnit, targetMacs: openUnit, scope: { enum: ['layer', 'global'] }, normalize: { enum: ['none', 'sum', 'mean', 'max', 'standardize'] }, targetLatency: openUnit, roundTo: posInt, protect: { type: 'string' }, lsq: { type: 'boolean' },
          }),
          stage('finetune', trainProps, ['epochs']),
          stage('distill', {
            ...trainProps, teacher: { type: 'string', minLength: 1 }, alpha: unit, temperature: { type: 'number', exclusiveMinimum: 0 },
            features: {
              type: 'array',
              items: {
                type: 'object', required: ['student', 'teacher'], additionalProperties: false,
                properties: { student: { type: 'string', minLength: 1 }, teacher: { type: 'string', minLength: 1 }, weight: { type: 'number', exclusiveMinimum: 0 } },
              },
            },
          }, ['epochs']),
          stage('recalibrate', { samples: posInt }),
          stage('quantize', {
            mode: { enum: ['static', 'dynamic', 'fp16', 'weight-only'] }, calibrate: { enum: ['minmax', 'percentile', 'entropy'] },
            perChannel: { type: 'boolean' }, bits: { enum: [8, 4] }, exclude: patterns,
          }),
          stage('export', { format: { enum: ['auto', 'dense', 'sparse', 'int8', 'int8-sparse'] }, bits: { type: 'integer', minimum: 2, maximum: 8 } }),
        ],
      },
    },
    verify: { type: 'object', properties: { minTop1: unit, maxDrop: unit }, additionalProperties: false },
    outputs: {
      type: 'object',
      properties: { dir: { type: 'string', minLength: 1 }, model: { type: 'string', pattern: '^[^/\\\\]+\\.onnx$' } },
      additionalProperties: false,
    },
    seed: { type: 'integer', minimum: 0 },
  },
  required: ['version', 'model', 'data', 'stages'],
  additionalProperties: false,
} as const;
