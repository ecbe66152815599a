import { describe, expect, it } from 'vitest';
import { SecateursError } from '../../src/errors.js';
import { compareModels, createSession } from '../../src/runtime/index.js';
import { dataset, gemmClassifier } from './models.js';

const ROWS = [[3, 1, 0, 9], [0, 2, 1, 9], [1, 1, 5, 0], [2, 0, 1, 0], [0, 0, 0, 0]];
const ds = dataset(ROWS, [0, 0, 0, 0, 0], [4], 3);

/** KL(softmax(z) ‖ softmax(z + d)) written out. */
function handKl(z: number[], d: number[]): number {
  const sm = (v: number[]) => { const e = v.map(Math.exp); const s = e.reduce((a, b) => a + b, 0); return e.map((x) => x / s); };
  const p = sm(z);
  const q = sm(z.map((v, i) => v + d[i]!));
  return p.reduce((a, pi, i) => a + pi * Math.log(pi / q[i]!), 0);
}

describe('compareModels', () => {
  it('finds no difference between a model and itself', async () => {
    const r = await compareModels(gemmClassifier(), gemmClassifier(), ds, { batchSize: 2 });
    expect(r.count).toBe(5);
    expect(r.maxAbsDiff).toBe(0);
    expect(r.meanAbsDiff).toBe(0);
    expect(r.top1Agreement).toBe(1);
    expect(r.klDivergence).toBe(0);
    expect(r.meanCosine).toBeCloseTo(1, 12);
  });

  it('measures a uniform logit shift: abs diff, but softmax unchanged', async () => {
    const r = await compareModels(gemmClassifier(), gemmClassifier({ b: [0.5, 0.5, 0.5] }), ds);
    expect(r.maxAbsDiff).toBe(0.5);
    expect(r.meanAbsDiff).toBe(0.5);
    expect(r.top1Agreement).toBe(1);
    expect(r.klDivergence).toBeCloseTo(0, 7);
  });

  it('measures a perturbed copy against hand-computed values (example in the TSDoc)', async () => {
    const d = [2, 0, 0];
    const r = await compareModels(gemmClassifier(), gemmClassifier({ b: d }), ds, { limit: 5 });
    const z = ROWS.map((row) => row.slice(0, 3));
    expect(r.maxAbsDiff).toBe(2);
    expect(r.meanAbsDiff).toBeCloseTo(2 / 3, 12);
    // argmax changes for rows 1 (2 vs 0+2 → tie, first index wins), 2? no (5 vs 3), 3 no, 4: tie already at 0
    const agree = z.filter((v) => indexOfMax(v) === indexOfMax(v.map((x, i) => x + d[i]!))).length / 5;
    expect(r.top1Agreement).toBe(agree);
    expect(r.klDivergence).toBeCloseTo(z.reduce((a, v) => a + handKl(v, d), 0) / 5, 6);
    const cos = z.reduce((a, v) => {
      const w = v.map((x, i) => x + d[i]!);
      const dot = v.reduce((s, x, i) => s + x * w[i]!, 0);
      const n = Math.hypot(...v) * Math.hypot(...w);
      return a + (n === 0 ? (Math.hypot(...v) === Math.hypot(...w) ? 1 : 0) : dot / n);
    }, 0) / 5;
    expect(r.meanCosine).toBeCloseTo(cos, 6);
  });

  it('accepts sessions and feeds (one object or a list)', async () => {
    const a = await createSession(gemmClassifier());
    const b = await createSession(gemmClassifier({ b: [1, 0, 0] }));
    const feeds = { x: { dtype: 'float32' as const, dims: [2, 4], data: Float32Array.from([1, 2, 3, 4, 0, 0, 0, 0]) } };
    const one = await compareModels(a, b, feeds);
    expect(one.count).toBe(2);
    expect(one.maxAbsDiff).toBe(1);
    const two = await compareModels(a, b, [feeds, feeds]);
    expect(two.count).toBe(4);
    await a.release();
    await b.release();
  });

  it('names outputs and shapes when they differ', async () => {
    const err = await compareModels(gemmClassifier(), gemmClassifier({ classes: 2 }), ds).catch((e: unknown) => e);
    expect((err as SecateursError).code).toBe('RUNTIME_OUTPUT_MISMATCH');
    expect((err as Error).message).toBe("output 'logits' of the first model has shape [5, 3] but output 'logits' of the second has [5, 2].");
  });
});

function indexOfMax(v: number[]): number {
  return v.indexOf(Math.max(...v));
}
