import type { Command } from 'commander';
import { summarizeModel, type ModelSummary } from '../../report/summary.js';
import { globals } from '../context.js';
import { loadModelArg, parseIntOption } from '../model-arg.js';
import { fmtBytes, fmtNum, fmtPct, printJson, renderTable, type Io } from '../output.js';

/** `secateurs inspect MODEL`: structure, parameters, sparsity, MACs and file sizes. */
export function registerInspect(program: Command, io: Io): void {
  program
    .command('inspect')
    .description('show inputs, outputs, operators, parameters, sparsity, MACs and file size (raw and gzip)')
    .argument('<model>', 'an .onnx file, or zoo:NAME for a reference model')
    .option('--batch <n>', 'batch size used to count MACs', '1')
    .option('--layers', 'list every weight layer')
    .action(async (spec: string, opts: { batch: string; layers?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const loaded = await loadModelArg(spec);
      const summary = await summarizeModel(loaded.model, loaded.bytes, { batch: parseIntOption('--batch', opts.batch, 1) });
      if (g.json) printJson(io, { model: loaded.label, ...summary });
      else io.out(formatSummary(loaded.label, summary, Boolean(opts.layers), io.isTty));
    });
}

/** The human-readable inspect report. */
export function formatSummary(label: string, s: ModelSummary, layers: boolean, isTty: boolean): string {
  const io = [
    ...s.inputs.map((v) => ['input', v.name, v.dtype ?? '?', `[${v.shape.join(', ')}]`]),
    ...s.outputs.map((v) => ['output', v.name, v.dtype ?? '?', `[${v.shape.join(', ')}]`]),
  ];
  const totals: [string, string | number][] = [
    ['opset', s.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')],
    ['producer', s.producer || '-'],
    ['nodes', s.nodeCount],
    ['parameters', s.params],
    ['nonzero parameters', `${fmtNum(s.nonzeroParams)} (${fmtPct(s.params ? 1 - s.nonzeroParams / s.params : 0)} sparse)`],
    [`MACs (batch ${s.batch})`, s.macs],
    ['theoretical speedup (MACs / nonzero MACs)', `${fmtNum(s.macs / Math.max(1, s.nonzeroMacs))}x`],
    ['file size', fmtBytes(s.fileBytes)],
    ['gzip size', fmtBytes(s.gzipBytes)],
  ];
  const parts = [
    renderTable(`${label}`, ['', 'value'], totals, isTty),
    renderTable('inputs and outputs', ['kind', 'name', 'dtype', 'shape'], io, isTty),
    renderTable('operators', ['op', 'count'], s.ops.map((o) => [o.opType, o.count]), isTty),
  ];
  if (s.unknownShapes.length > 0) parts.push(`note: shapes unknown for ${s.unknownShapes.length} values (MACs of their layers not counted): ${s.unknownShapes.slice(0, 5).join(', ')}`);
  if (layers) {
    parts.push(renderTable('layers', ['node', 'op', 'weight', 'params', 'sparsity', 'MACs'],
      s.layers.map((l) => [l.node, l.opType, l.weight ?? '-', l.params, fmtPct(l.sparsity), l.macs]), isTty));
  }
  return parts.join('\n\n');
}
