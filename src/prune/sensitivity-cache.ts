/**
 * The on-disk cache of sensitivity sweeps. One JSON-lines file per sweep key (a hash of the model bytes, the
 * dataset's identity — name, split, count and a hash of its contents —, the criterion, the metric and the batch
 * size); each line after the header is one measured cell, appended as soon as it is measured, so an interrupted
 * sweep keeps its progress. A cell is keyed by (layer, level, hash of the layer's scores): levels are per cell
 * rather than in the file key, so adding levels, layers or re-running after an interruption computes only the
 * missing cells, and a criterion whose scores change (another seed, other calibration data) never reuses a cell.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CellMetrics } from './sweep/evaluator.js';

const FORMAT = 'secateurs/sensitivity-cache';

/**
 * A hex SHA-256 of the given parts (strings and byte views), each length-prefixed so boundaries count.
 *
 * @example
 * ```ts
 * hashParts(['model', encodeModel(model)]).length;   // 64
 * ```
 */
export function hashParts(parts: readonly (string | ArrayBufferView)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const bytes = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    h.update(`${bytes.length}:`);
    h.update(bytes);
  }
  return h.digest('hex');
}

type Stored = { top1: number | null; top5: number | null; loss: number | null; kl: number | null };

const toStored = (m: CellMetrics): Stored => ({
  top1: Number.isFinite(m.top1) ? m.top1 : null,
  top5: Number.isFinite(m.top5) ? m.top5 : null,
  loss: Number.isFinite(m.loss) ? m.loss : null,
  kl: Number.isFinite(m.kl) ? m.kl : null,
});
const fromStored = (s: Stored): CellMetrics => ({ top1: s.top1 ?? NaN, top5: s.top5 ?? NaN, loss: s.loss ?? NaN, kl: s.kl ?? NaN });

/**
 * Cells of one sweep key, read from and appended to `<dir>/sensitivity-<key>.jsonl`.
 *
 * @example
 * ```ts
 * const cache = SensitivityCache.open('.cache/secateurs', key, { model: 'lenet' });
 * cache.get('fc1/weight', 0.5, scoresHash) ?? cache.put('fc1/weight', 0.5, scoresHash, await measure());
 * ```
 */
export class SensitivityCache {
  private readonly cells = new Map<string, CellMetrics>();
  private denseMetrics: CellMetrics | undefined;

  private constructor(private readonly file: string | undefined) {}

  /** A cache that stores nothing (no `dir`). */
  static none(): SensitivityCache {
    return new SensitivityCache(undefined);
  }

  /** Opens (creating if needed) the cache file of `key` in `dir`; a corrupt or foreign file is started afresh. */
  static open(dir: string, key: string, describe: Readonly<Record<string, unknown>>): SensitivityCache {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `sensitivity-${key.slice(0, 32)}.jsonl`);
    const cache = new SensitivityCache(file);
    if (!cache.load(key)) writeFileSync(file, `${JSON.stringify({ format: FORMAT, version: 1, key, ...describe })}\n`);
    return cache;
  }

  /** Where the cache lives (undefined for {@link none}). */
  get path(): string | undefined {
    return this.file;
  }

  private load(key: string): boolean {
    let text: string;
    try {
      text = readFileSync(this.file!, 'utf8');
    } catch {
      return false;
    }
    const lines = text.split('\n');
    const header = parseLine(lines[0] ?? '') as { format?: string; key?: string } | undefined;
    if (header?.format !== FORMAT || header.key !== key) return false;
    for (const line of lines.slice(1)) {
      const rec = parseLine(line) as ({ cell?: string; dense?: boolean } & Stored) | undefined;
      if (!rec) continue;
      if (rec.dense) this.denseMetrics = fromStored(rec);
      else if (typeof rec.cell === 'string') this.cells.set(rec.cell, fromStored(rec));
    }
    if (!text.endsWith('\n')) appendFileSync(this.file!, '\n');
    return true;
  }

  /** The dense metrics, when a previous run stored them. */
  get dense(): CellMetrics | undefined {
    return this.denseMetrics;
  }

  /** Stores the dense metrics (once; later calls are ignored, every worker reports the same values). */
  setDense(m: CellMetrics): void {
    if (this.denseMetrics) return;
    this.denseMetrics = m;
    this.append({ dense: true, ...toStored(m) });
  }

  /** The cell of `layer` at `level` measured with scores hashing to `scores`, if stored. */
  get(layer: string, level: number, scores: string): CellMetrics | undefined {
    return this.cells.get(cellKey(layer, level, scores));
  }

  /** Stores a cell in memory and appends it to the file. */
  put(layer: string, level: number, scores: string, m: CellMetrics): void {
    const cell = cellKey(layer, level, scores);
    this.cells.set(cell, m);
    this.append({ cell, ...toStored(m) });
  }

  private append(rec: object): void {
    if (this.file) appendFileSync(this.file, `${JSON.stringify(rec)}\n`);
  }
}

function cellKey(layer: string, level: number, scores: string): string {
  return JSON.stringify([layer, level, scores]);
}

/** A parsed JSON line, or undefined for a blank or torn line (an interrupted append). */
function parseLine(line: string): unknown {
  if (line.trim() === '') return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
