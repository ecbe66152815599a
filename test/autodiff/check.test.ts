import { describe, expect, it } from 'vitest';
import { checkGradients, assertGradients, type GradRule } from '../../src/autodiff/index.js';
import { inp, opCase } from './helpers.js';

describe('checkGradients', () => {
  it('agrees to ~1e-9 in float64 and reports per-parameter details', async () => {
    const c = opCase('Mul', [inp('A', [2, 3]), inp('B', [3])]);
    const r = await checkGradients(c.model, { feeds: c.feeds, wrt: c.wrt });
    expect(r.ok).toBe(true);
    expect(r.precision).toBe('float64');
    expect(r.epsilon).toBe(1e-6);
    expect(r.entries.map((e) => e.name)).toEqual(['A', 'B']);
    for (const e of r.entries) {
      expect(Math.abs(e.analytic)).toBeGreaterThan(0.01);
      expect(e.error / Math.abs(e.analytic)).toBeLessThan(1e-8);
    }
  });

  it('uses float32 tolerances for float32 graphs', async () => {
    const c = opCase('Tanh', [inp('X', [4, 4])], {}, { dtype: 'float32' });
    const r = await checkGradients(c.model, { feeds: c.feeds, wrt: c.wrt });
    expect(r.precision).toBe('float32');
    expect(r.epsilon).toBe(1e-3);
    expect(r.ok).toBe(true);
  });

  it('catches a wrong rule and names the parameter in a readable failure', async () => {
    // d(a·b)/da = b, not 2b.
    const wrong: GradRule = ({ b, dY: [dy], x }) => [dy && b.op('Mul', [b.op('Mul', [dy, x(1)]), b.scalar(2, 'float64')]), dy && b.op('Mul', [dy, x(0)])];
    const c = opCase('Mul', [inp('A', [2, 3]), inp('B', [2, 3])]);
    const rules = [{ domain: '', opType: 'Mul', since: 1, rule: wrong }];
    const r = await checkGradients(c.model, { feeds: c.feeds, wrt: c.wrt, gradient: { rules } });
    expect(r.ok).toBe(false);
    expect(r.entries.map((e) => e.ok)).toEqual([false, true]);
    const err = await assertGradients(c.model, { feeds: c.feeds, wrt: c.wrt, gradient: { rules } }).catch((e: Error) => e);
    expect(String(err)).toMatch(/gradient check of graph 'mul' \(Mul; float64, ε=1e-6\) failed:\n {2}BAD 'A': analytic .* vs numeric .*\n {2}ok  'B'/);
  });

  it('generates missing float inputs and checks initializers by default', async () => {
    const c = opCase('Add', [inp('A', [2, 3]), inp('B', [3], { init: true })]);
    const r = await checkGradients(c.model);
    expect(r.entries.map((e) => e.name)).toEqual(['A', 'B']);
    expect(r.ok).toBe(true);
  });
});
