import type { Command } from 'commander';
import { loadDataset, type Dataset } from '../../data/index.js';
import { SecateursError } from '../../errors.js';
import { saveModel } from '../../onnx/index.js';
import {
  CALIBRATION_METHODS, inspectFusion, quantizeModel, QUANTIZE_MODES,
  type CalibrationMethod, type NodeFilter, type QuantizeMode, type QuantizeOptions, type QuantizeResult,
} from '../../quantize/index.js';
import { measureModel, type Measurement } from '../../report/measure.js';
import { globals, wantProgress } from '../context.js';
import { loadModelArg, parseIntOption, parseNumberOption } from '../model-arg.js';
import { printJson, renderTable, type Io } from '../output.js';
import { formatBeforeAfter } from './before-after.js';

/** `secateurs quantize MODEL --mode ...`: int8 (dynamic, static QDQ), fp16 or weight-only int8/int4, before/after. */
export function registerQuantize(program: Command, io: Io): void {
  program
    .command('quantize')
    .description('quantize a model (dynamic or static int8, fp16, weight-only int8/int4); check what onnxruntime fuses; report before/after')
    .argument('<model>', 'an .onnx file, or zoo:NAME')
    .requiredOption('--mode <mode>', `${QUANTIZE_MODES.join(' | ')}`)
    .requiredOption('--out <file>', 'where to write the quantized model (.onnx)')
    .option('--bits <n>', '8, or 4 with --mode weight-only')
    .option('--calibration <spec>', 'static: calibration samples (mnist, fashion-mnist or an .npz file)')
    .option('--calibration-split <name>', 'split the calibration samples come from', 'train')
    .option('--calibration-size <n>', 'calibration samples used', '512')
    .option('--calibrate <method>', `static: ${CALIBRATION_METHODS.join(' | ')}`, 'minmax')
    .option('--percentile <p>', 'static, --calibrate percentile: share of values kept in range, in (50, 100]', '99.999')
    .option('--per-channel', 'one weight scale per output channel (default)')
    .option('--no-per-channel', 'one weight scale per tensor')
    .option('--weight-type <type>', 'dynamic/static weight type: int8 | uint8 (default int8; uint8 for dynamic Conv)')
    .option('--no-reduce-range', 'int8 weights over the full [-127, 127] (inaccurate on AVX2 CPUs without VNNI)')
    .option('--op-types <list>', 'comma-separated op types to quantize (default per mode)')
    .option('--exclude <node...>', 'node names to leave in float; /regex/ matches names')
    .option('--exclude-op <type...>', 'op types to leave in float')
    .option('--format <f>', 'weight-only: matmulnbits | qdq (default: matmulnbits for 4 bits, qdq for 8)')
    .option('--block-size <n>', 'weight-only: block size along the input dimension (default 32 for 4 bits)')
    .option('--data <spec>', 'report accuracy before/after on this dataset\'s test split')
    .option('--test-limit <n>', 'report on the first n test samples only')
    .action(async (spec: string, opts: QuantizeCliOptions, cmd: Command) => {
      const g = globals(cmd);
      const options = optionsFrom(opts);
      const loaded = await loadModelArg(spec);
      const test = opts.data !== undefined ? await loadDataset(opts.data, 'test') : undefined;
      const calibration = opts.calibration !== undefined ? await loadDataset(opts.calibration, opts.calibrationSplit) : undefined;
      const r = await usage(() => quantizeModel(loaded.model, withCalibration(options, calibration, opts)));
      await saveModel(r.model, opts.out);
      const limit = opts.testLimit !== undefined ? { limit: parseIntOption('--test-limit', opts.testLimit, 1) } : {};
      const before = await measureModel(loaded.model, test, { ...limit, progress: wantProgress(g) });
      const after = await measureModel(r.model, test, { ...limit, progress: wantProgress(g) });
      const fusion = r.mode === 'fp16' ? undefined : await inspectFusion(r.model);
      if (g.json) printJson(io, { model: loaded.label, out: opts.out, mode: r.mode, layers: r.layers, skipped: r.skipped, ranges: r.ranges, fp16: r.fp16, fusion, before, after });
      else io.out(formatQuantize(`${loaded.label} -> ${opts.out} (${r.mode})`, r, before, after, fusion, io.isTty));
    });
}

interface QuantizeCliOptions {
  readonly mode: string; readonly out: string; readonly bits?: string; readonly calibration?: string;
  readonly calibrationSplit: string; readonly calibrationSize: string; readonly calibrate: string; readonly percentile: string;
  readonly perChannel?: boolean; readonly weightType?: string; readonly reduceRange: boolean; readonly opTypes?: string;
  readonly exclude?: string[]; readonly excludeOp?: string[]; readonly format?: string; readonly blockSize?: string;
  readonly data?: string; readonly testLimit?: string;
}

/** The library options from the command line; values are checked here, combinations by `quantizeModel`. */
function optionsFrom(o: QuantizeCliOptions): QuantizeOptions {
  const mode = QUANTIZE_MODES.find((m) => m === o.mode);
  if (!mode) throw new RangeError(`'--mode' must be one of ${QUANTIZE_MODES.join(', ')}, got '${o.mode}'.`);
  const bits = o.bits !== undefined ? parseIntOption('--bits', o.bits, 1, 64) : undefined;
  if (bits !== undefined && bits !== 8 && bits !== 4) throw new RangeError(`'--bits' must be 8 or 4 (4 only with --mode weight-only), got '${o.bits}'.`);
  if (o.calibration !== undefined && mode !== 'static') throw new RangeError(`'--calibration' applies to --mode static only.`);
  if (mode === 'static' && o.calibration === undefined) throw new RangeError(`--mode static needs '--calibration <spec>' (e.g. mnist).`);
  if (o.weightType !== undefined && o.weightType !== 'int8' && o.weightType !== 'uint8') throw new RangeError(`'--weight-type' must be int8 or uint8, got '${o.weightType}'.`);
  if (o.format !== undefined && o.format !== 'qdq' && o.format !== 'matmulnbits') throw new RangeError(`'--format' must be matmulnbits or qdq, got '${o.format}'.`);
  const exclude = excludeFrom(o);
  return {
    mode,
    ...(bits !== undefined ? { bits } : {}),
    ...(o.perChannel === false ? { perChannel: false } : {}),
    ...(o.weightType !== undefined ? { weightType: o.weightType } : {}),
    ...(!o.reduceRange ? { reduceRange: false } : {}),
    ...(o.opTypes !== undefined ? { opTypes: o.opTypes.split(',').map((s) => s.trim()).filter((s) => s) } : {}),
    ...(exclude ? { exclude } : {}),
    ...(o.format !== undefined ? { format: o.format } : {}),
    ...(o.blockSize !== undefined ? { blockSize: parseIntOption('--block-size', o.blockSize, 1) } : {}),
  };
}

function excludeFrom(o: QuantizeCliOptions): NodeFilter | undefined {
  const names = (o.exclude ?? []).filter((e) => !/^\/.*\/$/.test(e));
  const patterns = (o.exclude ?? []).filter((e) => /^\/.*\/$/.test(e)).map((e) => {
    try {
      return new RegExp(e.slice(1, -1));
    } catch {
      throw new RangeError(`'--exclude' ${e} is not a valid regular expression.`);
    }
  });
  const opTypes = o.excludeOp ?? [];
  return names.length + patterns.length + opTypes.length > 0 ? { names, patterns, opTypes } : undefined;
}

function withCalibration(options: QuantizeOptions, data: Dataset | undefined, o: QuantizeCliOptions): QuantizeOptions {
  if (!data) return options;
  const method = CALIBRATION_METHODS.find((m) => m === o.calibrate);
  if (!method) throw new RangeError(`'--calibrate' must be one of ${CALIBRATION_METHODS.join(', ')}, got '${o.calibrate}'.`);
  return {
    ...options,
    calibration: {
      data, method: method satisfies CalibrationMethod, limit: parseIntOption('--calibration-size', o.calibrationSize, 1),
      percentile: parseNumberOption('--percentile', o.percentile, { min: 50, max: 100, openMin: true }),
    },
  };
}

/** Library errors about the request itself (bad combination, nothing left to quantize) are usage errors (exit 2). */
async function usage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SecateursError && (e.code === 'QUANT_OPTIONS' || e.code === 'QUANT_NOTHING')) {
      throw new SecateursError('USAGE', `${e.message} [${e.code}]`, { cause: e });
    }
    throw e;
  }
}

function formatQuantize(
  title: string, r: QuantizeResult, before: Measurement, after: Measurement, fusion: Awaited<ReturnType<typeof inspectFusion>> | undefined, isTty: boolean,
): string {
  const parts = [formatBeforeAfter(title, before, after, isTty)];
  if (r.layers.length > 0) parts.push(renderTable('quantized layers', ['node', 'op', 'weight', 'scheme'], r.layers.map((l) => [l.node, l.opType, l.weight, l.scheme]), isTty));
  if (r.skipped.length > 0) parts.push(renderTable('left in float', ['node', 'op', 'reason'], r.skipped.map((s) => [s.node, s.opType, s.reason]), isTty));
  if (r.fp16) parts.push(`float16 compute: ${r.fp16.float16Nodes} node(s); float32 (no float16 CPU kernel or kept): ${Object.entries(r.fp16.float32Nodes).map(([k, v]) => `${k} ×${v}`).join(', ') || 'none'}`);
  if (r.layers.some((l) => l.scheme.includes('MatMulNBits'))) {
    parts.push('note: the metrics module does not yet count MatMulNBits packed weights as parameters, nor its MACs; the "after" column undercounts both.');
  }
  if (fusion) {
    const fused = Object.entries(fusion.fused).map(([k, v]) => `${k} ×${v}`).join(', ') || 'none';
    parts.push(`onnxruntime (${fusion.optimization}) runs: ${fused}; Q/DQ left around layers: ${fusion.dangling.length === 0 ? 'none' : fusion.dangling.join('; ')}`);
  }
  return parts.join('\n\n');
}
