/**
 * Prompt freeing of the buffers that training steps leave behind.
 *
 * onnxruntime-node copies every output of a run into a fresh ArrayBuffer, so each training step leaves a
 * parameter-sized copy of the gradients (plus logits and teacher outputs) as garbage once the optimizer has read it.
 * V8 frees such buffers only at a young-generation collection, and starts one for them only when 32 MiB of young
 * buffers have piled up (twice its 16 MiB maximum semi-space in Node 20); a small network makes little other
 * garbage, so that pile was most of its training memory (LeNet-300-100: ~32 of ~37 MiB, see docs/BENCHMARKS.md).
 * A {@link Reclaimer} counts the bytes handed out and, past a budget, runs a minor (young-generation) collection.
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options?: { readonly type?: 'major' | 'minor'; readonly execution?: 'sync' | 'async' }) => void;
type Collect = (options: { readonly type: 'minor' }) => void;

let cached: GcFunction | null | undefined;

/**
 * V8's collection function: `globalThis.gc` when the process runs with `--expose-gc`, else one taken from a fresh
 * context with the flag raised for that moment only (it is lowered again, so no other context gets a `gc` global).
 * Null where the engine allows neither.
 */
function gcFunction(): GcFunction | null {
  if (cached !== undefined) return cached;
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return (cached = own as GcFunction);
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    cached = typeof fn === 'function' ? (fn as GcFunction) : null;
  } catch {
    cached = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return cached;
}

/**
 * Counts garbage output bytes and runs a minor collection once `budget` bytes have accumulated.
 *
 * @example
 * ```ts
 * const reclaimer = new Reclaimer(8 * 2 ** 20);
 * for (const b of batches) {
 *   await step(b);                       // its outputs are garbage when it returns
 *   reclaimer.note(stepOutputBytes);
 *   reclaimer.collectIfDue();            // here nothing references them any more
 * }
 * ```
 */
export class Reclaimer {
  private pending = 0;
  private readonly gc: Collect | null;

  /**
   * `budget`: bytes of garbage to allow before collecting (0: after every step). `collect` replaces V8's minor
   * collection (tests count calls with it).
   */
  constructor(readonly budget: number, collect?: () => void) {
    if (!(budget >= 0)) throw new RangeError(`'budget' must be a number >= 0, got ${budget}.`);
    this.gc = collect ?? gcFunction();
  }

  /** Whether collections can run here (false: the engine exposes no way to start one; nothing happens). */
  get active(): boolean {
    return this.gc !== null;
  }

  /** Records `bytes` of buffers that are garbage from now on. */
  note(bytes: number): void {
    this.pending += bytes;
  }

  /** Runs a minor collection when the noted bytes reached the budget. Call where no noted buffer is referenced. */
  collectIfDue(): void {
    if (this.pending < this.budget || this.pending === 0 || !this.gc) return;
    this.pending = 0;
    this.gc({ type: 'minor' });
  }
}
