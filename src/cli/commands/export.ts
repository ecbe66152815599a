import type { Command } from 'commander';
import { loadDataset } from '../../data/index.js';
import { SecateursError } from '../../errors.js';
import { EXPORT_FORMATS, exportModel, writeExport, type ExportFormat, type ExportResult } from '../../export/index.js';
import { measureModel, type Measurement } from '../../report/measure.js';
import { globals, wantProgress } from '../context.js';
import { loadModelArg, parseIntOption } from '../model-arg.js';
import { fmtBytes, fmtNum, printJson, renderTable, type Io } from '../output.js';
import { formatBeforeAfter } from './before-after.js';

/** `secateurs export MODEL --format auto`: the smallest download (dense, sparse, int8, int8-sparse), before/after. */
export function registerExport(program: Command, io: Io): void {
  program
    .command('export')
    .description('write a (pruned) model compactly: dense, sparse initializers, int8, or int8 with sparse storage; auto keeps the smallest gzip')
    .argument('<model>', 'an .onnx file, or zoo:NAME')
    .requiredOption('--out <file>', 'where to write the model (.onnx)')
    .option('--format <f>', `auto | ${EXPORT_FORMATS.join(' | ')}`, 'auto')
    .option('--lossless', 'auto: only encodings that keep every weight exact (dense, sparse)')
    .option('--bits <n>', 'int8 encodings: value grid of 2..8 bits (stored as int8); fewer bits compress better', '8')
    .option('--data <spec>', 'report accuracy before/after on this dataset\'s test split')
    .option('--test-limit <n>', 'report on the first n test samples only')
    .action(async (spec: string, opts: ExportCliOptions, cmd: Command) => {
      const g = globals(cmd);
      const format = formatFrom(opts.format);
      const loaded = await loadModelArg(spec);
      const test = opts.data !== undefined ? await loadDataset(opts.data, 'test') : undefined;
      const bits = parseIntOption('--bits', opts.bits, 2, 8);
      const r = await exportModel(loaded.model, { format, bits, ...(opts.lossless ? { lossless: true } : {}) }).catch((e: unknown) => {
        // The requested encoding does not apply to this model: a usage error (exit 2), not a bug.
        throw e instanceof SecateursError && e.code === 'EXPORT_NOT_APPLICABLE' ? new SecateursError('USAGE', `${e.message} [${e.code}]`, { cause: e }) : e;
      });
      await writeExport(r, opts.out);
      const limit = opts.testLimit !== undefined ? { limit: parseIntOption('--test-limit', opts.testLimit, 1) } : {};
      const before = await measureModel(loaded.model, test, { ...limit, progress: wantProgress(g) });
      // Measured on the unpacked model (same outputs; parameter counts see through gap coding), sizes from the file.
      const unpacked = await measureModel(r.unpacked, test, { ...limit, progress: wantProgress(g) });
      const after: Measurement = { ...unpacked, summary: { ...unpacked.summary, fileBytes: r.raw, gzipBytes: r.gzip } };
      if (g.json) printJson(io, { model: loaded.label, out: opts.out, format: r.format, raw: r.raw, gzip: r.gzip, candidates: r.candidates, check: r.check, before, after });
      else io.out(formatExport(r, formatBeforeAfter(`${loaded.label} -> ${opts.out} (${r.format})`, before, after, io.isTty), io.isTty));
    });
}

interface ExportCliOptions {
  readonly out: string;
  readonly format: string;
  readonly lossless?: boolean;
  readonly bits: string;
  readonly data?: string;
  readonly testLimit?: string;
}

function formatFrom(f: string): ExportFormat | 'auto' {
  if (f === 'auto') return f;
  const found = EXPORT_FORMATS.find((x) => x === f);
  if (!found) throw new RangeError(`'--format' must be auto or one of ${EXPORT_FORMATS.join(', ')}, got '${f}'.`);
  return found;
}

function formatExport(r: ExportResult, table: string, isTty: boolean): string {
  const dense = r.candidates.find((c) => c.format === 'dense' && !c.skipped);
  const rows = r.candidates.map((c) => [
    c.format + (c.format === r.format ? ' (written)' : ''),
    c.skipped ? '-' : fmtBytes(c.raw), c.skipped ? '-' : fmtBytes(c.gzip),
    c.skipped ? c.skipped : dense ? `${fmtNum(dense.gzip / c.gzip)}x` : '',
  ]);
  return [
    table,
    renderTable('encodings', ['format', 'raw', 'gzip', 'dense gzip / gzip'], rows, isTty),
    `exported vs input on seeded inputs: max |diff| ${fmtNum(r.check.maxAbsDiff)}, top-1 agreement ${fmtNum(r.check.top1Agreement)}`,
  ].join('\n\n');
}
