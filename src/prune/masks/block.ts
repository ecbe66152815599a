/**
 * Block masks over the [out, in·k…] view (a Conv weight [out, in, kh, kw] is seen as [out, in·kh·kw]): blocks of
 * `rows` × `cols` tile the view from the top-left, edge blocks are smaller. A block's score is the mean of its
 * elements' scores (`reduce: 'mean'`) or their root mean square (`'l2'`), so partial edge blocks compare fairly.
 *
 * Counts: whole blocks are pruned in ascending score order (ties by block index, row-major) while the total stays
 * within the requested count, stopping at the first block that would overshoot. The result is exact for counts made
 * of whole blocks, and otherwise falls short by less than one block.
 */
import { SecateursError } from '../../errors.js';
import { rowView } from '../views.js';
import type { PruneTarget } from '../targets.js';
import { argsortScores } from './rank.js';

/** Shape and score reduction of block masks. */
export interface BlockShape {
  readonly rows: number;
  readonly cols: number;
  /** Default `mean`. */
  readonly reduce?: 'mean' | 'l2';
}

/** Throws a RangeError for non-positive or non-integer block sides, or an unknown reduction. */
export function checkBlock(b: BlockShape): void {
  for (const k of ['rows', 'cols'] as const) {
    if (!Number.isSafeInteger(b[k]) || b[k] < 1) throw new RangeError(`block '${k}' is ${b[k]}, out of range [1, ∞).`);
  }
  if (b.reduce !== undefined && b.reduce !== 'mean' && b.reduce !== 'l2') throw new RangeError(`block 'reduce' must be 'mean' or 'l2', got '${String(b.reduce)}'.`);
}

interface Block { readonly members: Int32Array; readonly score: number }

function blocksOf(scores: Float32Array, target: Pick<PruneTarget, 'shape' | 'inputAxis' | 'kernelAxes'>, b: BlockShape): Block[] {
  const v = rowView(target);
  const blocks: Block[] = [];
  for (let r0 = 0; r0 < v.rows; r0 += b.rows) {
    for (let c0 = 0; c0 < v.cols; c0 += b.cols) {
      const h = Math.min(b.rows, v.rows - r0);
      const w = Math.min(b.cols, v.cols - c0);
      const members = new Int32Array(h * w);
      let acc = 0;
      for (let r = 0; r < h; r++) {
        for (let c = 0; c < w; c++) {
          const e = v.rowOffset[r0 + r]! + v.colOffset[c0 + c]!;
          members[r * w + c] = e;
          acc += b.reduce === 'l2' ? scores[e]! * scores[e]! : scores[e]!;
        }
      }
      const mean = acc / members.length;
      blocks.push({ members, score: b.reduce === 'l2' ? Math.sqrt(mean) : mean });
    }
  }
  return blocks;
}

/**
 * A block mask pruning at most `k` elements, in whole blocks of the lowest scores.
 *
 * @example
 * ```ts
 * // [2 out, 4 in] weight, 1x2 blocks: block scores 0.5, 2, 3, 0.1
 * blockMask(new Float32Array([0, 1, 2, 2, 3, 3, 0.1, 0.1]), target, { rows: 1, cols: 2 }, 4);
 * // Uint8Array [0, 0, 1, 1, 1, 1, 0, 0]
 * ```
 */
export function blockMask(scores: Float32Array, target: Pick<PruneTarget, 'shape' | 'inputAxis' | 'kernelAxes' | 'size'>, b: BlockShape, k: number): Uint8Array {
  checkBlock(b);
  if (!Number.isSafeInteger(k) || k < 0 || k > target.size) throw new RangeError(`'k' is ${k}, out of range [0, ${target.size}].`);
  if (scores.length !== target.size) throw new SecateursError('PRUNE_BAD_SCORES', `${scores.length} scores for a weight of ${target.size} elements.`);
  const blocks = blocksOf(scores, target, b);
  const order = argsortScores(Float32Array.from(blocks, (x) => x.score));
  const mask = new Uint8Array(scores.length).fill(1);
  let pruned = 0;
  for (const i of order) {
    const blk = blocks[i]!;
    if (pruned + blk.members.length > k) break;
    for (const e of blk.members) mask[e] = 0;
    pruned += blk.members.length;
  }
  return mask;
}
