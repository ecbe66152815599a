/**
 * `quantizeModel`: checks every option against the model before any work, selects the layers from the graph,
 * rewrites a copy in the chosen mode, then verifies the result (IR verifier, onnxruntime loads it).
 */
import { SecateursError, throwAll } from '../errors.js';
import { cloneModel } from '../ir/clone.js';
import type { Model } from '../ir/graph.js';
import { createSession } from '../runtime/index.js';
import { CALIBRATION_METHODS, type CalibrationOptions } from './calibrate.js';
import { finish, importDomain, onnxOpset } from './edit.js';
import { convertFp16 } from './fp16.js';
import { quantizeDynamic } from './dynamic.js';
import { excludes, selectTargets } from './select.js';
import { quantizeStatic } from './static.js';
import { DEFAULT_OP_TYPES, LAYER_RULES, type LayerMode, type QuantizeMode } from './rules.js';
import type { QuantizeOptions, QuantizeResult, QuantizedLayer } from './types.js';
import { quantizeWeightOnly } from './weight-only.js';

/** The modes, for validation and help texts. */
export const QUANTIZE_MODES: readonly QuantizeMode[] = ['dynamic', 'static', 'fp16', 'weight-only'];

/**
 * Quantizes a model; the input model is not changed.
 *
 * - `dynamic`: int8 weights, activations quantized at run time (DynamicQuantizeLinear + MatMulInteger/ConvInteger).
 * - `static`: int8 QDQ with activation ranges from `calibration` (min-max, percentile or entropy).
 * - `fp16`: float16 weights, float16 compute where onnxruntime's CPU has kernels, float32 inputs and outputs.
 * - `weight-only`: int8 or int4 weights (`bits`), float compute (MatMulNBits or DequantizeLinear).
 *
 * Weights are quantized symmetrically with zero point 0 (or 128 / 8 for unsigned types), so weights that pruning set
 * to zero stay exactly zero.
 *
 * @throws SecateursError `QUANT_OPTIONS` listing every bad option together, calibration samples that do not fit the
 *   model input included (before any work); `QUANT_NOTHING` when no layer is left to quantize; `QUANT_CALIBRATION`;
 *   `QUANT_INVALID` if onnxruntime refuses the result.
 * @example
 * ```ts
 * const mnist = await loadMnist({ split: 'train' });
 * const r = await quantizeModel(model, { mode: 'static', calibration: { data: mnist, method: 'entropy', limit: 256 } });
 * await saveModel(r.model, 'lenet5-int8.onnx');
 * ```
 */
export async function quantizeModel(model: Model, options: QuantizeOptions): Promise<QuantizeResult> {
  checkOptions(model, options);
  const copy = cloneModel(model);
  const mode = options.mode;
  let layers: QuantizedLayer[] = [];
  let ranges: QuantizeResult['ranges'] = [];
  let fp16: QuantizeResult['fp16'];
  let skipped: QuantizeResult['skipped'] = [];
  if (mode === 'fp16') {
    const keepNodes = new Set(copy.graph.nodes.filter((n) => excludes(options.exclude, n)));
    const s = convertFp16(copy, { keepFp32: options.keepFp32 ?? [], keepNodes });
    fp16 = { float16Nodes: s.float16Nodes, float32Nodes: s.float32Nodes };
  } else {
    const sel = selectTargets(copy.graph, mode, { ...(options.opTypes ? { opTypes: options.opTypes } : {}), ...(options.exclude ? { exclude: options.exclude } : {}) });
    skipped = sel.skipped;
    const perChannel = options.perChannel ?? true;
    if (mode === 'static') {
      const weightType = options.weightType ?? 'int8';
      const reduceRange = options.reduceRange ?? weightType === 'int8';
      const r = await quantizeStatic(copy, sel.targets, { weightType, reduceRange, perChannel, calibration: options.calibration! });
      layers = r.layers;
      ranges = r.ranges;
    } else if (mode === 'dynamic') {
      layers = quantizeDynamic(copy.graph, sel.targets, { weightType: options.weightType, reduceRange: options.reduceRange, perChannel });
    } else {
      const bits = options.bits === 4 ? 4 : 8;
      const format = options.format ?? (bits === 4 ? 'matmulnbits' : 'qdq');
      layers = quantizeWeightOnly(copy.graph, sel.targets, { bits, format, blockSize: options.blockSize, perChannel });
      if (format === 'matmulnbits') importDomain(copy, 'com.microsoft');
    }
  }
  finish(copy, `the ${mode}-quantized model`);
  await checkLoads(copy, mode);
  return { model: copy, mode, layers, skipped, ranges, ...(fp16 ? { fp16 } : {}) };
}

async function checkLoads(model: Model, mode: QuantizeMode): Promise<void> {
  try {
    const s = await createSession(model, { optimization: 'disabled' });
    await s.release();
  } catch (e) {
    throw new SecateursError('QUANT_INVALID', `the ${mode}-quantized model does not load in onnxruntime: ${(e as Error).message}`, { cause: e });
  }
}

/** Every problem with `options` for `model`, thrown together as QUANT_OPTIONS. */
function checkOptions(model: Model, o: QuantizeOptions): void {
  const p: string[] = [];
  if (!QUANTIZE_MODES.includes(o.mode)) {
    throw new SecateursError('QUANT_OPTIONS', `unknown quantization mode '${String(o.mode)}'; valid modes: ${QUANTIZE_MODES.join(', ')}.`);
  }
  const mode = o.mode;
  const only = (name: string, given: unknown, modes: readonly QuantizeMode[]): void => {
    if (given !== undefined && !modes.includes(mode)) p.push(`'${name}' applies to mode ${modes.join('/')} only, not ${mode}`);
  };
  only('bits', o.bits, ['dynamic', 'static', 'weight-only']);
  only('weightType', o.weightType, ['dynamic', 'static']);
  only('reduceRange', o.reduceRange, ['dynamic', 'static']);
  only('calibration', o.calibration, ['static']);
  only('format', o.format, ['weight-only']);
  only('blockSize', o.blockSize, ['weight-only']);
  only('opTypes', o.opTypes, ['dynamic', 'static', 'weight-only']);
  only('perChannel', o.perChannel, ['dynamic', 'static', 'weight-only']);
  only('keepFp32', o.keepFp32, ['fp16']);
  if (o.bits !== undefined && o.bits !== 8 && !(o.bits === 4 && mode === 'weight-only')) {
    p.push(`'bits' must be 8${mode === 'weight-only' ? ' or 4' : ''} for mode ${mode}, got ${o.bits}${o.bits === 4 ? ' (4 bits only with weight-only)' : ''}`);
  }
  if (o.weightType !== undefined && o.weightType !== 'int8' && o.weightType !== 'uint8') p.push(`'weightType' must be int8 or uint8, got '${String(o.weightType)}'`);
  if (mode !== 'fp16') checkLayerOptions(model, mode, o, p);
  checkExclude(model, o, p);
  if (mode === 'static') checkCalibration(model, o.calibration, p);
  const opset = onnxOpset(model);
  if (opset < 13 && mode !== 'fp16') p.push(`the model imports ai.onnx opset ${opset}; quantization needs 13 or later (DequantizeLinear with axis)`);
  throwAll('QUANT_OPTIONS', `quantize (${mode})`, p);
}

function checkLayerOptions(model: Model, mode: LayerMode, o: QuantizeOptions, p: string[]): void {
  for (const t of o.opTypes ?? []) {
    const rule = LAYER_RULES.find((r) => r.opType === t);
    if (!rule || !rule.modes.includes(mode)) {
      const valid = LAYER_RULES.filter((r) => r.modes.includes(mode)).map((r) => r.opType).join(', ');
      p.push(`op type '${t}' cannot be quantized in mode ${mode} (valid: ${valid}; default: ${DEFAULT_OP_TYPES[mode].join(', ')})`);
    }
  }
  if (mode !== 'weight-only') return;
  const format = o.format ?? (o.bits === 4 ? 'matmulnbits' : 'qdq');
  if (format !== 'qdq' && format !== 'matmulnbits') p.push(`'format' must be matmulnbits or qdq, got '${String(format)}'`);
  const bs = o.blockSize;
  if (bs !== undefined) {
    if (!Number.isInteger(bs) || bs < 1) p.push(`'blockSize' must be an integer >= 1, got ${bs}`);
    else if (format === 'matmulnbits' && (bs < 16 || (bs & (bs - 1)) !== 0)) p.push(`'blockSize' for MatMulNBits must be a power of 2 >= 16, got ${bs}`);
  }
  const opset = onnxOpset(model);
  if (format === 'qdq' && (o.bits === 4 || bs !== undefined) && opset < 21) {
    p.push(`${o.bits === 4 ? 'int4' : 'blocked'} DequantizeLinear needs ai.onnx opset 21, the model imports ${opset}; use format 'matmulnbits' (com.microsoft, any opset)`);
  }
  if (format === 'qdq' && o.bits === 4 && bs === undefined && (o.perChannel ?? true) === false) p.push(`int4 per-tensor weights lose too much; give 'blockSize' or keep 'perChannel'`);
}

function checkExclude(model: Model, o: QuantizeOptions, p: string[]): void {
  const names = new Set(model.graph.nodes.map((n) => n.name));
  for (const n of o.exclude?.names ?? []) if (!names.has(n)) p.push(`'exclude' names node '${n}', which the graph does not have`);
  for (const r of o.exclude?.patterns ?? []) {
    if (!(r instanceof RegExp)) p.push(`'exclude.patterns' must hold RegExp objects, got ${typeof r}`);
  }
}

function checkCalibration(model: Model, c: CalibrationOptions | undefined, p: string[]): void {
  if (!c) { p.push(`mode static needs 'calibration' (samples to measure activation ranges on)`); return; }
  if (c.method !== undefined && !CALIBRATION_METHODS.includes(c.method)) p.push(`'calibration.method' must be one of ${CALIBRATION_METHODS.join(', ')}, got '${String(c.method)}'`);
  if (c.percentile !== undefined && !(c.percentile > 50 && c.percentile <= 100)) p.push(`'calibration.percentile' must be in (50, 100], got ${c.percentile}`);
  if (c.limit !== undefined && !(Number.isInteger(c.limit) && c.limit >= 1)) p.push(`'calibration.limit' must be an integer >= 1, got ${c.limit}`);
  if (c.bins !== undefined && !(Number.isInteger(c.bins) && c.bins >= 8)) p.push(`'calibration.bins' must be an integer >= 8, got ${c.bins}`);
  if (!c.data || !(c.data.x instanceof Float32Array) || !(c.data.count >= 1)) { p.push(`'calibration.data' must hold at least one float32 sample`); return; }
  const input = c.inputName !== undefined ? model.graph.inputs.find((v) => v.name === c.inputName) : model.graph.inputs.filter((v) => !v.constant)[0];
  if (!input) { p.push(`the model has no input '${c.inputName}' to feed calibration samples`); return; }
  const dims = input.shape?.slice(1) ?? [];
  const want = dims.every((d): d is number => typeof d === 'number') ? dims.reduce((a, b) => a * b, 1) : undefined;
  const have = c.data.sampleShape.reduce((a, b) => a * b, 1);
  if (want !== undefined && want !== have) {
    p.push(`calibration samples are [${c.data.sampleShape.join(', ')}] (${have} values) but model input '${input.name}' expects [${input.shape?.join(', ')}] (${want} values per sample)`);
  }
}
