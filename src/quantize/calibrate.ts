/**
 * Calibration: the range of each activation to quantize, measured by running the float model over calibration
 * samples in onnxruntime (activations captured through the runtime module). One pass finds every tensor's min and
 * max; `percentile` and `entropy` take a second pass to build histograms over those ranges and clip outliers.
 */
import { SecateursError } from '../errors.js';
import type { Model } from '../ir/graph.js';
import { captureActivations, type CaptureOptions, type SampleSource, type SessionOptions } from '../runtime/index.js';
import { entropyThreshold, MagnitudeHistogram, percentileThreshold } from './histogram.js';

/** How activation ranges are chosen. */
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

/** The calibration methods, for validation and help texts. */
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy'];

/** Options of {@link calibrate}. */
export interface CalibrationOptions {
  /** Samples run through the float model (a data module `Dataset` fits). */
  readonly data: SampleSource;
  /** Default `minmax`: onnxruntime's default, and the most accurate of the three on the MNIST models measured here. */
  readonly method?: CalibrationMethod;
  /** `percentile`: the share of values kept inside the range, in (50, 100]; default 99.999 (onnxruntime's). */
  readonly percentile?: number;
  /** Samples used; default 512. */
  readonly limit?: number;
  /** Samples per run; default 128. */
  readonly batchSize?: number;
  /** Input fed with the samples; default the model's only input. */
  readonly inputName?: string;
  /** Histogram bins per side (`percentile`, `entropy`); default 2048, as TensorRT. */
  readonly bins?: number;
  readonly session?: SessionOptions;
}

/** The measured and the chosen range of one activation. */
export interface ActivationRange {
  readonly name: string;
  /** Smallest and largest value seen. */
  readonly min: number;
  readonly max: number;
  /** The range to quantize (equal to min/max for `minmax`; clipped otherwise). */
  readonly rmin: number;
  readonly rmax: number;
}

/**
 * Measures the range of each named float activation over the calibration samples.
 *
 * @throws SecateursError `QUANT_CALIBRATION` when a value is never finite (NaN/Inf throughout), plus whatever the
 *   runtime throws for samples that do not fit the model input.
 * @example
 * ```ts
 * const ranges = await calibrate(model, ['input', 'conv1/Conv'], { data: mnistTrain, method: 'entropy', limit: 256 });
 * ranges.get('conv1/Conv');   // { name, min, max, rmin, rmax }
 * ```
 */
export async function calibrate(model: Model, names: readonly string[], opts: CalibrationOptions): Promise<Map<string, ActivationRange>> {
  const method = opts.method ?? 'minmax';
  const capture: Omit<CaptureOptions, 'onBatch'> = {
    limit: opts.limit ?? 512, batchSize: opts.batchSize ?? 128, session: opts.session ?? {},
    ...(opts.inputName !== undefined ? { inputName: opts.inputName } : {}),
  };
  const mm = new Map(names.map((n) => [n, { min: Infinity, max: -Infinity, count: 0 }]));
  await captureActivations(model, opts.data, names, {
    ...capture,
    onBatch: (name, data) => {
      const s = mm.get(name)!;
      for (let i = 0; i < data.length; i++) {
        const x = data[i]!;
        if (x < s.min) s.min = x;
        if (x > s.max) s.max = x;
      }
      s.count += data.length;
    },
  });
  const bad = [...mm].filter(([, s]) => !(Number.isFinite(s.min) && Number.isFinite(s.max))).map(([n]) => `'${n}'`);
  if (bad.length > 0) throw new SecateursError('QUANT_CALIBRATION', `calibration saw no finite values for ${bad.join(', ')}; the model produces NaN or Inf on the calibration data.`);
  if (method === 'minmax') return new Map([...mm].map(([name, s]) => [name, { name, min: s.min, max: s.max, rmin: s.min, rmax: s.max }]));
  const hists = await histograms(model, opts, capture, mm);
  const out = new Map<string, ActivationRange>();
  for (const [name, s] of mm) {
    const h = hists.get(name)!;
    const [lo, hi] = method === 'percentile'
      ? percentileRange(h, opts.percentile ?? 99.999, s.count)
      : entropyRange(h, s.min, s.max);
    out.set(name, { name, min: s.min, max: s.max, rmin: -lo, rmax: hi });
  }
  return out;
}

interface Sides {
  readonly neg: MagnitudeHistogram;
  readonly pos: MagnitudeHistogram;
}

async function histograms(
  model: Model, opts: CalibrationOptions, capture: Omit<CaptureOptions, 'onBatch'>, mm: Map<string, { min: number; max: number }>,
): Promise<Map<string, Sides>> {
  const bins = opts.bins ?? 2048;
  const hists = new Map([...mm].map(([n, s]) => [n, {
    neg: new MagnitudeHistogram(Math.max(0, -s.min), bins), pos: new MagnitudeHistogram(Math.max(0, s.max), bins),
  }]));
  await captureActivations(model, opts.data, [...mm.keys()], {
    ...capture,
    onBatch: (name, data) => {
      const h = hists.get(name)!;
      for (let i = 0; i < data.length; i++) {
        const x = data[i]!;
        if (x > 0) h.pos.add(x);
        else if (x < 0) h.neg.add(-x);
      }
    },
  });
  return hists;
}

/** [negative threshold, positive threshold] clipping `1 − p/100` of all values on each side. */
function percentileRange(h: Sides, p: number, count: number): [number, number] {
  const tail = 1 - p / 100;
  return [percentileThreshold(h.neg, tail, count), percentileThreshold(h.pos, tail, count)];
}

/**
 * [negative threshold, positive threshold] by KL. Each side gets the uint8 levels it would have under min-max
 * (all 256 for a non-negative activation such as a ReLU output; 128 each for a symmetric one).
 */
function entropyRange(h: Sides, min: number, max: number): [number, number] {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  const posLevels = hi - lo > 0 ? Math.round((256 * hi) / (hi - lo)) : 0;
  const side = (m: MagnitudeHistogram, levels: number): number => (m.total === 0 || levels < 2 ? m.top : entropyThreshold(m, levels));
  return [side(h.neg, 256 - posLevels), side(h.pos, posLevels)];
}
