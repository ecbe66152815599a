import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/ir/builder.js';
import { cloneModel } from '../../../src/ir/clone.js';
import { Tensor } from '../../../src/ir/tensor.js';
import {
  CRITERIA, criterion, findTargets, fisherScores, magnitudeScores, movementScores, randomScores, scoreTargets, snipScores,
  taylorScores, taylorSquaredScores, type GradientStats,
} from '../../../src/prune/index.js';
import { evaluate } from '../../../src/runtime/index.js';
import { Rng } from '../../../src/util/rng.js';
import { mlpGradients, mlpGradientSource, tinyData, tinyMlp } from '../helpers.js';

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);
const stats = (o: Partial<GradientStats>): GradientStats => ({
  sum: f32(0, 0), sumSq: f32(0, 0), sumWG: f32(0, 0), sumWGsq: f32(0, 0), count: 1, ...o,
});

describe('weight criteria', () => {
  it('magnitude is |w| (L1) or w² (L2)', () => {
    expect([...magnitudeScores(f32(-2, 0.5, 0))]).toEqual([2, 0.5, 0]);
    expect([...magnitudeScores(f32(-2, 0.5, 0), 2)]).toEqual([4, 0.25, 0]);
  });

  it('random is seeded, in [0, 1), and differs between seeds', () => {
    const a = randomScores(100, new Rng(3));
    expect([...a]).toEqual([...randomScores(100, new Rng(3))]);
    expect([...a]).not.toEqual([...randomScores(100, new Rng(4))]);
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});

describe('gradient criteria on small tensors', () => {
  const w = f32(2, -1);
  const g = stats({ sum: f32(1, -3), sumSq: f32(5, 9), sumWG: f32(4, 6), sumWGsq: f32(10, 18), count: 2 });

  it('taylor = |Σ w·g| / count; taylor-squared = Σ (w·g)² / count', () => {
    expect([...taylorScores(g)]).toEqual([2, 3]);
    expect([...taylorSquaredScores(g)]).toEqual([5, 9]);
  });

  it('fisher = ½ · mean(g²) · w²', () => {
    expect([...fisherScores(w, g)]).toEqual([...f32(0.5 * 2.5 * 4, 0.5 * 4.5 * 1)]);
  });

  it('snip = |w·ḡ| normalized by Σ (its own sum, or a given total)', () => {
    // |w·ḡ| = |2·0.5|, |−1·−1.5| = 1, 1.5
    expect([...snipScores(w, g)]).toEqual([...f32(0.4, 0.6)]);
    expect([...snipScores(w, g, 5)]).toEqual([...f32(0.2, 0.3)]);
  });

  it('movement = −w · Σg (weights moving away from zero score high)', () => {
    expect([...movementScores(w, g)]).toEqual([-2, -3]);
  });

  it('rejects statistics of the wrong size, naming the fields', () => {
    expect(() => fisherScores(f32(1, 2, 3), g)).toThrow(/sum, sumSq, sumWG, sumWGsq must have 3 elements/);
  });
});

describe('gradient criteria through a GradientSource (hand-written MLP gradients)', () => {
  const model = tinyMlp();
  const ds = tinyData(48);

  it('the hand-written gradient matches a central difference of the onnxruntime loss', async () => {
    const g = mlpGradients(model, ds, 0, 16).W2;
    const batch = { ...ds, x: ds.x.slice(0, 64), y: ds.y.slice(0, 16), count: 16 };
    for (const i of [0, 7, 14]) {
      const loss = async (d: number): Promise<number> => {
        const m = cloneModel(model);
        const v = m.graph.requireValue('W2');
        const w = v.constant!.toFloat32();
        w[i]! += d;
        v.constant = Tensor.fromTyped('float32', [3, 5], w);
        return (await evaluate(m, batch)).loss;
      };
      const fd = ((await loss(1e-2)) - (await loss(-1e-2))) / 2e-2;
      expect(Math.abs(fd - g[i]!)).toBeLessThan(2e-3 + 0.02 * Math.abs(g[i]!));
    }
  });

  it('scoreTargets wires each gradient criterion to its formula', async () => {
    const targets = findTargets(model);
    const source = mlpGradientSource(model, ds, 16);
    const raw = await source.accumulate(['W1', 'W2'], 3);
    const w2 = model.graph.requireValue('W2').constant!.toFloat32();
    const expected = {
      taylor: taylorScores(raw.get('W2')!),
      'taylor-squared': taylorSquaredScores(raw.get('W2')!),
      fisher: fisherScores(w2, raw.get('W2')!),
      movement: movementScores(w2, raw.get('W2')!),
    };
    for (const [name, want] of Object.entries(expected)) {
      const got = await scoreTargets(model, targets, { criterion: name as keyof typeof expected, gradients: source, gradientBatches: 3 });
      expect([...got.get('W2')!]).toEqual([...want]);
    }
    const snip = await scoreTargets(model, targets, { criterion: 'snip', gradients: source, gradientBatches: 3 });
    const total = [...snip.values()].reduce((a, s) => a + s.reduce((x, y) => x + y, 0), 0);
    expect(total).toBeCloseTo(1, 5);
  });

  it('reports a missing gradient source before scoring', async () => {
    await expect(scoreTargets(model, findTargets(model), { criterion: 'fisher' })).rejects.toThrow(/needs gradients: pass a GradientSource/);
  });
});

describe('the criteria table', () => {
  it('lists what each criterion needs and how masks compare', () => {
    expect(Object.keys(CRITERIA)).toEqual(['magnitude', 'magnitude-l2', 'random', 'taylor', 'taylor-squared', 'fisher', 'snip', 'wanda', 'movement']);
    expect(criterion('wanda')).toMatchObject({ needs: 'activations', compare: 'row' });
    expect(() => criterion('obs')).toThrow(/unknown criterion 'obs'; known: magnitude, /);
  });

  it('random scores a layer the same whatever other layers are scored', async () => {
    const b = new GraphBuilder('two');
    const x = b.input('x', 'float32', ['N', 2]);
    const y = b.op('MatMul', [b.op('MatMul', [x, b.constF32('P', [2, 2], [1, 2, 3, 4])]), b.constF32('Q', [2, 2], [1, 2, 3, 4])]);
    b.output(y, { name: 'y', dtype: 'float32' });
    const m = b.model();
    const [p, q] = findTargets(m);
    const both = await scoreTargets(m, [p!, q!], { criterion: 'random', seed: 9 });
    const alone = await scoreTargets(m, [q!], { criterion: 'random', seed: 9 });
    expect([...alone.get('Q')!]).toEqual([...both.get('Q')!]);
  });
});
