/**
 * Building run-record stages from what pipelines already have: a {@link Measurement} of the stage's model, the
 * dependency graph of a structured stage, the file it saved.
 */
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import type { LayerStats } from '../metrics/index.js';
import type { DependencyGraph } from '../prune/structure/index.js';
import type { Measurement } from './measure.js';
import type { BlockedGroup, LayerRow, RunStage, RunStageKind, StageModel } from './run-record.js';

/** What {@link measuredStage} turns into a {@link RunStage}. */
export interface StageInput {
  readonly name: string;
  readonly kind: RunStageKind;
  /** The model after the stage, measured with `measureModel`. */
  readonly measurement: Measurement;
  /** The stage before this one: its layers' channels become this stage's `channelsBefore`. */
  readonly previous?: RunStage;
  /** Seconds the stage's work took; default 0. */
  readonly durationS?: number;
  readonly model?: StageModel;
  readonly blocked?: readonly BlockedGroup[];
  readonly notes?: readonly string[];
}

/** Output channels (features) of a layer: dim 1 of a Conv output, the last dim of a Gemm/MatMul output. */
function channelsOf(l: LayerStats): number | undefined {
  const shape = l.outputShape;
  if (l.weight === undefined || !shape || shape.length < 2) return undefined;
  return l.opType === 'Conv' || l.opType === 'ConvTranspose' ? shape[1] : shape[shape.length - 1];
}

function layerRow(l: LayerStats, before: ReadonlyMap<string, LayerRow>): LayerRow {
  const after = channelsOf(l);
  const prev = before.get(l.node)?.channelsAfter;
  return {
    name: l.node, op: l.opType, ...(l.weight !== undefined ? { weight: l.weight } : {}),
    params: l.params, nonzero: l.nonzero, sparsity: l.sparsity,
    ...(prev !== undefined ? { channelsBefore: prev } : {}),
    ...(after !== undefined ? { channelsAfter: after } : {}),
  };
}

/**
 * A stage from a measurement: whole-model metrics (accuracy, parameters, MACs, raw/gzip size, median latency per
 * batch) and one row per layer, with channel counts before (from `previous`) and after.
 *
 * @example
 * ```ts
 * const original = measuredStage({ name: 'original', kind: 'original', measurement: await measureModel(model, test) });
 * const pruned = measuredStage({ name: 'prune', kind: 'prune', measurement: await measureModel(p, test), previous: original, durationS: 3.2 });
 * ```
 */
export function measuredStage(input: StageInput): RunStage {
  const { summary, eval: ev, latency } = input.measurement;
  const before = new Map((input.previous?.layers ?? []).map((l) => [l.name, l]));
  return {
    name: input.name,
    kind: input.kind,
    metrics: {
      ...(ev ? { top1: ev.top1, loss: ev.loss } : {}),
      params: summary.params,
      nonzero: summary.nonzeroParams,
      macs: summary.macs,
      nonzeroMacs: summary.nonzeroMacs,
      bytes: summary.fileBytes,
      gzipBytes: summary.gzipBytes,
      latency: [...latency].sort((a, b) => a.batch - b.batch).map((l) => ({ batch: l.batch, medianMs: l.medianMs })),
      durationS: input.durationS ?? 0,
    },
    layers: summary.layers.filter((l) => l.params > 0 || l.macs > 0).map((l) => layerRow(l, before)),
    blocked: input.blocked ?? [],
    ...(input.model ? { model: input.model } : {}),
    notes: input.notes ?? [],
  };
}

/**
 * The blocked groups of a dependency graph, for a structured stage.
 *
 * @example
 * ```ts
 * blockedGroups(buildDependencyGraph(model));
 * // [{ group: 'fc2/Gemm', node: 'fc2/Gemm', op: 'Gemm', reason: "reaches graph output 'logits': its shape would change" }]
 * ```
 */
export function blockedGroups(dg: DependencyGraph): BlockedGroup[] {
  return dg.groups.flatMap((g) => (g.blocked ? [{ group: g.name, node: g.blocked.node, op: g.blocked.opType, reason: g.blocked.reason }] : []));
}

/**
 * A saved model file as a stage references it: its path relative to the run folder (with `/`) and its size on disk.
 *
 * @throws RangeError when the file is not inside the run folder.
 * @example
 * ```ts
 * await stageModel('runs/demo', 'runs/demo/lenet5-pruned90.onnx');   // { path: 'lenet5-pruned90.onnx', bytes: 172634 }
 * ```
 */
export async function stageModel(runDir: string, file: string): Promise<StageModel> {
  const rel = relative(runDir, file);
  if (rel === '' || isAbsolute(rel) || rel.split(sep)[0] === '..') {
    throw new RangeError(`model file '${file}' is not inside the run folder '${runDir}'.`);
  }
  return { path: rel.split(sep).join('/'), bytes: (await stat(file)).size };
}

let version: string | undefined;

/**
 * This tool's name and version (from its package.json), for `RunRecord.tool`.
 *
 * @example
 * ```ts
 * toolInfo();   // { name: 'secateurs', version: '0.1.0' }
 * ```
 */
export function toolInfo(): { name: string; version: string } {
  // src/report/ and dist/report/ are both two levels below the package root.
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return { name: 'secateurs', version };
}
