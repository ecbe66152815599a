import type { Measurement } from '../../report/measure.js';
import { fmtBytes, fmtNum, fmtPct, renderTable } from '../output.js';

/** The before/after table every transforming command prints: accuracy, size, parameters, MACs, latency. */
export function formatBeforeAfter(title: string, before: Measurement, after: Measurement, isTty: boolean): string {
  const row = (name: string, f: (m: Measurement) => string): string[] => [name, f(before), f(after)];
  const lat = (m: Measurement, batch: number): string => {
    const l = m.latency.find((x) => x.batch === batch);
    return l ? `${fmtNum(l.medianMs)} ms` : '-';
  };
  const rows = [
    row('top-1 accuracy', (m) => (m.eval ? fmtPct(m.eval.top1) : '-')),
    row('loss', (m) => (m.eval ? fmtNum(m.eval.loss) : '-')),
    row('parameters', (m) => fmtNum(m.summary.params)),
    row('nonzero parameters', (m) => fmtNum(m.summary.nonzeroParams)),
    row('MACs (batch 1)', (m) => fmtNum(m.summary.macs)),
    row('file size', (m) => fmtBytes(m.summary.fileBytes)),
    row('gzip size', (m) => fmtBytes(m.summary.gzipBytes)),
    ...[...new Set([...before.latency, ...after.latency].map((l) => l.batch))].map((b) => row(`latency, batch ${b} (median)`, (m) => lat(m, b))),
  ];
  return renderTable(title, ['', 'before', 'after'], rows, isTty);
}
