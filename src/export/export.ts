/**
 * Compact export: the same model written in several encodings, measured raw and gzip-compressed (what a browser
 * downloads), the smallest kept. Every encoding is a plain ONNX file that onnxruntime loads unchanged.
 */
import { SecateursError } from '../errors.js';
import { cloneModel } from '../ir/clone.js';
import type { Model } from '../ir/graph.js';
import { assertValid, cleanup, toposort } from '../ir/passes.js';
import { fileSizes } from '../metrics/index.js';
import { decodeModel, encodeModel } from '../onnx/index.js';
import { compareModels, fillerFeeds, type CompareResult } from '../runtime/index.js';
import { Rng } from '../util/rng.js';
import { writeFileAtomic } from '../util/fs.js';
import { gapCodingPays, storeGapCoded } from './gaps.js';
import { storeInt8 } from './int8.js';

/**
 * The encodings:
 * - `dense`: float32, every initializer dense (zeros written out);
 * - `sparse`: float32, initializers as ONNX sparse initializers (int64 indices) wherever that is smaller raw;
 * - `int8`: layer weights int8 per channel + DequantizeLinear (float compute), zeros written out;
 * - `int8-sparse`: `int8`, with weights over half zeros gap-coded (uint8 gaps + values, decoded by standard ops that
 *   onnxruntime constant-folds at load).
 */
export type ExportFormat = 'dense' | 'sparse' | 'int8' | 'int8-sparse';

/** The encodings, in the order `auto` tries them. */
export const EXPORT_FORMATS: readonly ExportFormat[] = ['dense', 'sparse', 'int8', 'int8-sparse'];

/** Options of {@link exportModel}. */
export interface ExportOptions {
  /** An encoding, or `auto` (default): all of them (`lossless`: dense and sparse only), the smallest gzip kept. */
  readonly format?: ExportFormat | 'auto';
  /** `auto` considers only the encodings that keep every weight bit-exact. Default false. */
  readonly lossless?: boolean;
  /**
   * int8 encodings: value grid ±(2^(bits−1) − 1), in [2, 8]; default 8. Each bit less saved 7–9% of the gzip
   * size of LeNet-300-100 at 92% sparsity (bench/quantize.ts); what it costs in accuracy depends on the model.
   */
  readonly bits?: number;
}

/** Sizes of one encoding, or why it was not possible. */
export interface ExportCandidate {
  readonly format: ExportFormat;
  readonly raw: number;
  readonly gzip: number;
  readonly skipped?: string;
}

/** What {@link exportModel} produced. */
export interface ExportResult {
  readonly format: ExportFormat;
  /** The model decoded from `bytes` (what the file holds). */
  readonly model: Model;
  /**
   * The same model with gap-coded weights as plain int8 initializers, as onnxruntime holds it after constant folding
   * at load: same outputs, but parameter statistics see the weights (they cannot look through the decoding nodes).
   */
  readonly unpacked: Model;
  /** The file's bytes. */
  readonly bytes: Uint8Array;
  readonly raw: number;
  readonly gzip: number;
  /** Every encoding tried, in {@link EXPORT_FORMATS} order. */
  readonly candidates: readonly ExportCandidate[];
  /** The exported model against the input on seeded filler inputs (0 difference for dense and sparse). */
  readonly check: CompareResult;
}

/**
 * Encodes `model` compactly. The input model is not changed.
 *
 * @throws RangeError for an unknown format or bits; SecateursError `EXPORT_NOT_APPLICABLE` when no requested encoding
 *   applies (an int8 format on a model without float32 layer weights), `EXPORT_FAILED` when onnxruntime refuses the
 *   result.
 * @example
 * ```ts
 * const r = await exportModel(pruned, { format: 'auto' });
 * console.log(r.format, r.gzip, r.candidates);
 * await writeExport(r, 'lenet-300-100.onnx');
 * ```
 */
export async function exportModel(model: Model, options: ExportOptions = {}): Promise<ExportResult> {
  const format = options.format ?? 'auto';
  if (format !== 'auto' && !EXPORT_FORMATS.includes(format)) {
    throw new RangeError(`'format' must be auto or one of ${EXPORT_FORMATS.join(', ')}, got '${String(format)}'.`);
  }
  const bits = options.bits ?? 8;
  if (!(Number.isInteger(bits) && bits >= 2 && bits <= 8)) throw new RangeError(`'bits' must be an integer in [2, 8], got ${bits}.`);
  const tried = format === 'auto' ? EXPORT_FORMATS.filter((f) => !options.lossless || f === 'dense' || f === 'sparse') : [format];
  const built = tried.map((f) => build(model, f, bits));
  const candidates: ExportCandidate[] = built.map((b) => ('skipped' in b ? { format: b.format, raw: 0, gzip: 0, skipped: b.skipped } : { format: b.format, ...fileSizes(b.bytes) }));
  const ok = built.flatMap((b, i) => ('skipped' in b ? [] : [{ ...b, ...candidates[i]! }]));
  if (ok.length === 0) throw new SecateursError('EXPORT_NOT_APPLICABLE', `cannot export as ${format}: ${candidates.map((c) => `${c.format}: ${c.skipped}`).join('; ')}.`);
  const best = ok.reduce((a, b) => (b.gzip < a.gzip ? b : a));
  const check = await verify(model, best.bytes, best.format);
  // The model as the file holds it (sparse storage flags included), so re-encoding it gives the same bytes.
  const written = decodeModel(best.bytes, { source: `${best.format} export` });
  return { format: best.format, model: written, unpacked: best.unpacked, bytes: best.bytes, raw: best.raw, gzip: best.gzip, candidates, check };
}

type Built = { format: ExportFormat; bytes: Uint8Array; unpacked: Model } | { format: ExportFormat; skipped: string };

function build(model: Model, format: ExportFormat, bits: number): Built {
  const m = cloneModel(model);
  switch (format) {
    case 'dense': return { format, bytes: encodeModel(m, { sparse: 'dense' }), unpacked: m };
    case 'sparse': return { format, bytes: encodeModel(m, { sparse: 'all' }), unpacked: m };
    case 'int8': case 'int8-sparse': {
      let weights;
      try {
        weights = storeInt8(m, bits);
      } catch (e) {
        if (e instanceof SecateursError) return { format, skipped: e.message };
        throw e;
      }
      tidy(m, format);
      const unpacked = format === 'int8-sparse' ? cloneModel(m) : m;
      if (format === 'int8-sparse') {
        for (const w of weights) if (gapCodingPays(w.quantized.constant!)) storeGapCoded(m.graph, w.quantized);
        tidy(m, format);
      }
      return { format, bytes: encodeModel(m, { sparse: 'dense' }), unpacked };
    }
  }
}

function tidy(m: Model, format: ExportFormat): void {
  cleanup(m.graph);
  toposort(m.graph);
  assertValid(m, `the ${format} export`);
}

/** Loads the encoded model in onnxruntime and compares it with the input on seeded filler inputs. */
async function verify(model: Model, bytes: Uint8Array, format: ExportFormat): Promise<CompareResult> {
  const feeds = fillerFeeds(model, new Rng(0));
  try {
    return await compareModels(model, bytes, feeds);
  } catch (e) {
    throw new SecateursError('EXPORT_FAILED', `the ${format} export does not run in onnxruntime: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Writes an export result atomically (a temporary file renamed into place).
 *
 * @example
 * ```ts
 * await writeExport(await exportModel(model), 'out/model.onnx');
 * ```
 */
export async function writeExport(result: ExportResult, file: string): Promise<void> {
  await writeFileAtomic(file, result.bytes);
}
