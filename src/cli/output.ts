import Table from 'cli-table3';

/** Global options every command accepts. */
export interface GlobalOptions {
  readonly json?: boolean;
  readonly verbose?: boolean;
  readonly quiet?: boolean;
}

/** Where a command writes: stdout for results, stderr for progress and messages. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly isTty: boolean;
}

/** The process's own streams. */
export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  isTty: Boolean(process.stderr.isTTY),
};

/** Prints a JSON document (with bigint-safe serialization) to stdout. */
export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2));
}

/** A table with a title; numbers right-aligned. Rendered with box drawing on a TTY, plain ASCII otherwise. */
export function renderTable(title: string, head: readonly string[], rows: readonly (readonly (string | number)[])[], isTty: boolean): string {
  const table = new Table({
    head: [...head],
    style: { head: isTty ? ['cyan'] : [], border: isTty ? ['grey'] : [] },
    chars: isTty ? COMPACT_BOX : ASCII,
    colAligns: head.map((_, i) => (rows.every((r) => typeof r[i] === 'number' || /^[-+]?[\d.,]+\s*[%x]?[A-Za-z/]*$/.test(String(r[i] ?? ''))) ? 'right' : 'left')),
  });
  for (const r of rows) table.push(r.map((c) => (typeof c === 'number' ? fmtNum(c) : c)));
  return `${title}\n${table.toString()}`;
}

// No separator line between rows: long layer tables stay readable.
const ASCII = {
  top: '-', 'top-mid': '+', 'top-left': '+', 'top-right': '+', bottom: '-', 'bottom-mid': '+', 'bottom-left': '+',
  'bottom-right': '+', left: '|', 'left-mid': '', mid: '', 'mid-mid': '', right: '|', 'right-mid': '', middle: '|',
};
const COMPACT_BOX = { 'left-mid': '', mid: '', 'mid-mid': '', 'right-mid': '' };

/** Formats a number for a table: integers with thousands separators, others with 4 significant digits. */
export function fmtNum(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return n.toExponential(3);
  return n.toPrecision(4).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/** Human-readable byte size (KiB/MiB): the report's formatter, so tables and reports agree. */
export { fmtSize as fmtBytes } from '../report/format.js';

/** Percentage with one decimal. */
export function fmtPct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}
