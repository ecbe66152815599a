import { describe, expect, it } from 'vitest';
import { checkPlan, lrAt, type LrPlan } from '../../src/train/index.js';

describe('learning-rate schedules', () => {
  it('constant', () => {
    const plan: LrPlan = { lr: 0.1, schedule: { kind: 'constant' } };
    expect([0, 1, 1000].map((s) => lrAt(plan, s))).toEqual([0.1, 0.1, 0.1]);
  });

  it('step: γ every k steps', () => {
    const plan: LrPlan = { lr: 1, schedule: { kind: 'step', every: 10, gamma: 0.5 } };
    expect([0, 9, 10, 19, 20, 35].map((s) => lrAt(plan, s))).toEqual([1, 1, 0.5, 0.5, 0.25, 0.125]);
  });

  it('cosine: from lr to minLr over totalSteps, then minLr', () => {
    const plan: LrPlan = { lr: 1, schedule: { kind: 'cosine', totalSteps: 100, minLr: 0.1 } };
    expect(lrAt(plan, 0)).toBe(1);
    expect(lrAt(plan, 50)).toBeCloseTo(0.55, 12);
    expect(lrAt(plan, 25)).toBeCloseTo(0.1 + 0.9 * (1 + Math.cos(Math.PI / 4)) / 2, 12);
    expect(lrAt(plan, 100)).toBeCloseTo(0.1, 12);
    expect(lrAt(plan, 500)).toBeCloseTo(0.1, 12);
  });

  it('linear warm-up rises to lr, then the schedule starts from its own step 0', () => {
    const cos: LrPlan = { lr: 0.1, warmupSteps: 100, schedule: { kind: 'cosine', totalSteps: 1100 } };
    expect(lrAt(cos, 0)).toBeCloseTo(0.001, 12);
    expect(lrAt(cos, 49)).toBeCloseTo(0.05, 12);
    expect(lrAt(cos, 99)).toBeCloseTo(0.1, 12);
    expect(lrAt(cos, 100)).toBeCloseTo(0.1, 12);
    expect(lrAt(cos, 600)).toBeCloseTo(0.05, 12);
    expect(lrAt(cos, 1100)).toBeCloseTo(0, 12);
    const step: LrPlan = { lr: 1, warmupSteps: 4, schedule: { kind: 'step', every: 2, gamma: 0.1 } };
    expect([0, 3, 4, 5, 6].map((s) => lrAt(step, s))).toEqual([0.25, 1, 1, 1, 0.1]);
    const constant: LrPlan = { lr: 2, warmupSteps: 2, schedule: { kind: 'constant' } };
    expect([0, 1, 2].map((s) => lrAt(constant, s))).toEqual([1, 2, 2]);
  });

  it('is a pure function of the step', () => {
    const plan: LrPlan = { lr: 0.3, warmupSteps: 7, schedule: { kind: 'cosine', totalSteps: 50, minLr: 0.01 } };
    const a = Array.from({ length: 60 }, (_, s) => lrAt(plan, s));
    const b = Array.from({ length: 60 }, (_, s) => lrAt(plan, 59 - s)).reverse();
    expect(a).toEqual(b);
  });

  it('reports every problem of a plan at once', () => {
    expect(() => checkPlan({ lr: -1, warmupSteps: 1.5, schedule: { kind: 'step', every: 0, gamma: 2 } })).toThrow(
      /'lr' must be a finite number >= 0, got -1; 'warmupSteps' must be an integer >= 0, got 1.5; step schedule: 'every' must be an integer >= 1, got 0; step schedule: 'gamma' must be in \(0, 1\], got 2/,
    );
    expect(() => checkPlan({ lr: 0.1, schedule: { kind: 'cosine', totalSteps: 10, minLr: 1 } })).toThrow(/'minLr' must be in \[0, 0.1\], got 1/);
    expect(() => lrAt({ lr: 1, schedule: { kind: 'constant' } }, -1)).toThrow(/'step' must be an integer >= 0, got -1/);
  });
});
