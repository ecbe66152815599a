import cliProgress from 'cli-progress';

/**
 * How progress is shown: `bar` (cli-progress bar with ETA, for terminals), `lines` (throttled plain lines, for logs
 * and CI), `silent`, or `auto` (a bar when the stream is a TTY, lines otherwise).
 */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'silent';

/** A writable text stream; `isTTY` decides what `auto` means. */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Default `auto`. */
  readonly mode?: ProgressMode;
  /** What is counted, shown in the rate: default `img` ("12.3k img/s"). */
  readonly unit?: string;
  /** Where to write; default `process.stderr`. */
  readonly stream?: ProgressStream;
  /** Minimum time between two plain lines, in ms; default 2000. */
  readonly intervalMs?: number;
  /** Clock in ms (tests inject one); default `performance.now`. */
  readonly now?: () => number;
}

/**
 * A progress display for one loop: `update(done, total)` after each step, `finish()` once at the end (prints the final
 * line or stops the bar). Cheap to call every batch: plain lines are throttled, the bar redraws at most 10 times/s.
 */
export interface Progress {
  /** `status` is a short text shown after the rate, e.g. "epoch 2/12 loss 0.1234 acc 96.10%". */
  update(done: number, total: number, status?: string): void;
  finish(): void;
}

/**
 * A progress display that shows nothing.
 *
 * @example
 * ```ts
 * const p: Progress = verbose ? createProgress('eval') : SILENT;
 * ```
 */
export const SILENT: Progress = Object.freeze({ update: () => undefined, finish: () => undefined });

/**
 * Creates a progress display labelled `label`.
 *
 * @example
 * ```ts
 * const p = createProgress('eval', { mode: 'lines' });
 * p.update(2560, 10000);   // "eval 2560/10000 (25%) 12.3k img/s ETA 2s" (at most every 2 s)
 * p.finish();
 * ```
 */
export function createProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const mode = options.mode ?? 'auto';
  switch (mode) {
    case 'silent': return SILENT;
    case 'bar': return barProgress(label, stream, options);
    case 'lines': return lineProgress(label, stream, options);
    case 'auto': return stream.isTTY ? barProgress(label, stream, options) : lineProgress(label, stream, options);
    default: throw new RangeError(`progress mode must be one of auto, bar, lines, silent; got '${String(mode)}'.`);
  }
}

/**
 * The Progress for a library option: `true` → `createProgress(label)` (auto), a Progress → itself, otherwise silent.
 *
 * @example
 * ```ts
 * const p = resolveProgress('capture', options.progress);
 * ```
 */
export function resolveProgress(label: string, option: boolean | Progress | undefined): Progress {
  if (option === true) return createProgress(label);
  return option ? option : SILENT;
}

function lineProgress(label: string, stream: ProgressStream, o: ProgressOptions): Progress {
  const now = o.now ?? (() => performance.now());
  const interval = o.intervalMs ?? 2000;
  const unit = o.unit ?? 'img';
  const start = now();
  let last = start;
  let state = { done: 0, total: 0, status: '' };
  let finished = false;
  return {
    update(done, total, status) {
      state = { done, total, status: status ?? '' };
      const t = now();
      if (t - last < interval) return;
      last = t;
      stream.write(`${formatLine(label, done, total, t - start, unit)}${status ? ` ${status}` : ''}\n`);
    },
    finish() {
      if (finished) return;
      finished = true;
      const ms = now() - start;
      const status = state.status ? ` ${state.status}` : '';
      stream.write(`${label} ${state.done}/${state.total} (${percent(state.done, state.total)}) ${formatRate(state.done, ms)} ${unit}/s in ${formatDuration(ms)}${status}\n`);
    },
  };
}

/**
 * One plain progress line for `done` of `total` after `elapsedMs`.
 *
 * @example
 * ```ts
 * formatLine('eval', 2560, 10000, 208);   // 'eval 2560/10000 (25%) 12.3k img/s ETA 0.6s'
 * ```
 */
export function formatLine(label: string, done: number, total: number, elapsedMs: number, unit = 'img'): string {
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  const eta = rate > 0 ? formatDuration(((total - done) / rate) * 1000) : '?';
  return `${label} ${done}/${total} (${percent(done, total)}) ${formatRate(done, elapsedMs)} ${unit}/s ETA ${eta}`;
}

function percent(done: number, total: number): string {
  return total > 0 ? `${Math.floor((100 * done) / total)}%` : '?%';
}

/**
 * Items per second, short.
 *
 * @example
 * ```ts
 * formatRate(12300, 1000);   // '12.3k'   (also '950', '5.0', '2.5M')
 * ```
 */
export function formatRate(done: number, elapsedMs: number): string {
  const r = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  if (r >= 1e6) return `${(r / 1e6).toFixed(1)}M`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)}k`;
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}

/**
 * A duration, short.
 *
 * @example
 * ```ts
 * formatDuration(185_000);   // '3m05s'   (also '0.8s', '42s', '1h02m')
 * ```
 */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function barProgress(label: string, stream: ProgressStream, o: ProgressOptions): Progress {
  const unit = o.unit ?? 'img';
  const now = o.now ?? (() => performance.now());
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% {value}/{total} {rate} ${unit}/s ETA {eta_formatted} {status}`,
    stream: stream as NodeJS.WritableStream,
    hideCursor: true,
    clearOnComplete: false,
    fps: 10,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  const start = now();
  let started = false;
  return {
    update(done, total, status) {
      const payload = { rate: formatRate(done, now() - start), status: status ?? '' };
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
    },
    finish() {
      if (started) bar.stop();
      started = false;
    },
  };
}
