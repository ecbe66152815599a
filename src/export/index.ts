/**
 * Compact export of (pruned) models: dense float32, sparse initializers, int8 weights, or int8 with gap-coded sparse
 * storage, each measured raw and gzip-compressed; `auto` keeps the smallest download. Error codes (SecateursError):
 * `EXPORT_FAILED`, `EXPORT_OPSET`.
 *
 * @example
 * ```ts
 * import { exportModel, writeExport } from './export/index.js';
 * const r = await exportModel(pruned);                 // format 'auto'
 * r.candidates.map((c) => `${c.format}: ${c.gzip}`);   // gzip bytes of every encoding
 * await writeExport(r, 'model.onnx');
 * ```
 */
export { exportModel, writeExport, EXPORT_FORMATS, type ExportCandidate, type ExportFormat, type ExportOptions, type ExportResult } from './export.js';
export { storeInt8, INT8_EXPORT_OPS, type Int8Weight } from './int8.js';
export { gapCode, gapCodingPays, storeGapCoded, type GapCode } from './gaps.js';
