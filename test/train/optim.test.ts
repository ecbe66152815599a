import { describe, expect, it } from 'vitest';
import { Adam, AdamW, createOptimizer, SGD, wasmSimdAvailable, type KernelBackend, type OptimizerKind } from '../../src/train/index.js';
import { sameBits } from './helpers.js';

const BACKENDS: readonly KernelBackend[] = wasmSimdAvailable() ? ['js', 'wasm'] : ['js'];

/** Runs `steps` updates of one parameter with gradients `gs` and returns the weights after each step. */
function trajectory(kind: OptimizerKind, backend: KernelBackend, w0: number[], gs: number[][], lr: number, extra: Record<string, unknown> = {}): number[][] {
  const opt = createOptimizer(kind, { backend, ...extra });
  const w = Float32Array.from(w0);
  return gs.map((g) => {
    opt.step([w], [Float32Array.from(g)], lr);
    return Array.from(w);
  });
}

describe.each(BACKENDS)('optimizers (%s kernels)', (backend) => {
  it('SGD with momentum matches the hand-computed steps (b = g first, then μb + g)', () => {
    // w=1, g=.5 then .25, lr=.1, μ=.9: b1=.5 → w=.95; b2=.45+.25=.7 → w=.95−.07=.88
    const t = trajectory('sgd', backend, [1], [[0.5], [0.25]], 0.1, { momentum: 0.9 });
    expect(t[0]![0]).toBeCloseTo(0.95, 6);
    expect(t[1]![0]).toBeCloseTo(0.88, 6);
  });

  it('SGD Nesterov steps by g + μb', () => {
    // step 1: b=.5, g+μb=.95 → .905; step 2: b=.7, .25+.63=.88 → .817
    const t = trajectory('sgd', backend, [1], [[0.5], [0.25]], 0.1, { momentum: 0.9, nesterov: true });
    expect(t[0]![0]).toBeCloseTo(0.905, 6);
    expect(t[1]![0]).toBeCloseTo(0.817, 6);
  });

  it('SGD weight decay adds wd·w to the gradient before momentum', () => {
    // g' = .5 + .1·2 = .7 → w = 2 − .07 = 1.93; then g' = .5 + .193 = .693, b = .9·.7 + .693 = 1.323 → 1.93 − .1323
    const t = trajectory('sgd', backend, [2], [[0.5], [0.5]], 0.1, { momentum: 0.9, weightDecay: 0.1 });
    expect(t[0]![0]).toBeCloseTo(1.93, 6);
    expect(t[1]![0]).toBeCloseTo(1.93 - 0.1323, 5);
  });

  it('Adam applies bias correction (first step moves by lr; second by the corrected ratio)', () => {
    // m=.07, v=.00031225, m̂=.07/.19, v̂=.00031225/.001999 → w = .9 − .1·m̂/√v̂ = .806782…
    const t = trajectory('adam', backend, [1], [[0.5], [0.25]], 0.1);
    expect(t[0]![0]).toBeCloseTo(0.9, 6);
    const mhat = 0.07 / 0.19;
    const vhat = 0.00031225 / (1 - 0.999 ** 2);
    expect(t[1]![0]).toBeCloseTo(0.9 - (0.1 * mhat) / (Math.sqrt(vhat) + 1e-8), 5);
  });

  it('Adam weight decay is L2 (into the moments); AdamW decays the weight directly', () => {
    // AdamW: w ← w(1 − lr·wd) = .99, then − lr·g/|g| = .89. Adam with wd: g' = .5 + .1 = .6 → still a unit step: .9
    expect(trajectory('adamw', backend, [1], [[0.5]], 0.1, { weightDecay: 0.1 })[0]![0]).toBeCloseTo(0.89, 6);
    expect(trajectory('adam', backend, [1], [[0.5]], 0.1, { weightDecay: 0.1 })[0]![0]).toBeCloseTo(0.9, 6);
    // with the gradient cancelled by L2 (g = −wd·w) Adam does not move; AdamW still decays
    expect(trajectory('adam', backend, [1], [[-0.5]], 0.1, { weightDecay: 0.5 })[0]![0]).toBeCloseTo(1, 6);
    expect(trajectory('adamw', backend, [1], [[0]], 0.1, { weightDecay: 0.5 })[0]![0]).toBeCloseTo(0.95, 6);
  });

  it('matches a float64 reference over many steps and parameters of odd sizes', () => {
    for (const kind of ['sgd', 'adam', 'adamw'] as const) {
      const sizes = [7, 1, 33];
      const opt = createOptimizer(kind, { backend, momentum: 0.8, weightDecay: 0.01, betas: [0.8, 0.99] });
      const ref = new Reference(kind, sizes, { momentum: 0.8, wd: 0.01, b1: 0.8, b2: 0.99 });
      const params = sizes.map((n, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(i + k)));
      ref.w = params.map((p) => Array.from(p));
      for (let s = 0; s < 10; s++) {
        const grads = sizes.map((n, k) => Float32Array.from({ length: n }, (_, i) => Math.cos(i * 1.3 + k + s)));
        opt.step(params, grads, 0.01);
        ref.step(grads.map((g) => Array.from(g)), 0.01);
      }
      params.forEach((p, k) => p.forEach((x, i) => expect(x).toBeCloseTo(ref.w[k]![i]!, 5)));
    }
  });

  it('keeps masked weights at exactly +0, with zero optimizer buffers, on every update', () => {
    for (const kind of ['sgd', 'adam', 'adamw'] as const) {
      const mask = Uint8Array.from({ length: 37 }, (_, i) => (i % 3 === 0 ? 0 : 1));
      const opt = createOptimizer(kind, { backend, momentum: 0.9, weightDecay: 0.1, masks: [mask, undefined] });
      const [w, b] = opt.bind([Float32Array.from({ length: 37 }, (_, i) => -1 - i), new Float32Array([1, 2])]) as [Float32Array, Float32Array];
      expect(w[0]).toBe(0);
      expect(w[1]).toBe(-2);
      for (let s = 0; s < 5; s++) opt.step([w, b], [Float32Array.from({ length: 37 }, (_, i) => i - 20), new Float32Array([1, 1])], 0.1);
      const state = opt.state();
      mask.forEach((m, i) => {
        if (m === 0) {
          expect(Object.is(w[i], 0)).toBe(true); // +0, never −0
          for (const bufs of Object.values(state.buffers)) expect(bufs[0]![i]).toBe(0);
        } else {
          expect(w[i]).not.toBe(0);
        }
      });
      expect(b[0]).not.toBe(1);
    }
  });

  it('setMasks zeroes buffers at newly pruned positions and masks the global norm', () => {
    const opt = createOptimizer('adam', { backend });
    const w = new Float32Array([1, 1, 1, 1]);
    opt.step([w], [new Float32Array([1, 2, 3, 4])], 0.1);
    opt.setMasks([new Uint8Array([1, 0, 1, 0])]);
    expect(Array.from(opt.state().buffers.m![0]!)).toEqual([expect.any(Number), 0, expect.any(Number), 0]);
    const info = opt.step([w], [new Float32Array([3, 100, 4, 100])], 0.1);
    expect(info.gradNorm).toBeCloseTo(5, 6);
    expect(w[1]).toBe(0);
    expect(w[3]).toBe(0);
  });

  it('clips by global norm like clip_grad_norm_ (scale max/(norm + 1e-6) when below 1)', () => {
    const opt = createOptimizer('sgd', { backend, clipNorm: 1 });
    const a = new Float32Array([0, 0]);
    const b = new Float32Array([0]);
    const info = opt.step([a, b], [new Float32Array([3, 0]), new Float32Array([4])], 1);
    expect(info.gradNorm).toBeCloseTo(5, 6);
    expect(info.clipScale).toBeCloseTo(1 / (5 + 1e-6), 7);
    expect(a[0]).toBeCloseTo(-0.6, 5);
    expect(b[0]).toBeCloseTo(-0.8, 5);
    const small = createOptimizer('sgd', { backend, clipNorm: 10 }).step([new Float32Array(1)], [new Float32Array([3])], 1);
    expect(small.clipScale).toBe(1);
  });

  it('skips an update whose gradients are not finite and leaves weights and state untouched', () => {
    const opt = createOptimizer('adam', { backend });
    const w = new Float32Array([1, 2, 3]);
    opt.step([w], [new Float32Array([1, 1, 1])], 0.1);
    const before = w.slice();
    const info = opt.step([w], [new Float32Array([1, NaN, 1])], 0.1);
    expect(info.applied).toBe(false);
    expect(Number.isNaN(info.gradNorm)).toBe(true);
    expect(sameBits(w, before)).toBe(true);
    expect(opt.steps).toBe(1);
  });

  it('state()/loadState() continue bit-identically', () => {
    for (const kind of ['sgd', 'adam', 'adamw'] as const) {
      const grads = (s: number) => [Float32Array.from({ length: 9 }, (_, i) => Math.sin(i * s + 1))];
      const straight = createOptimizer(kind, { backend, momentum: 0.9 });
      const w1 = [Float32Array.from({ length: 9 }, (_, i) => i / 9)];
      for (let s = 0; s < 6; s++) straight.step(w1, grads(s), 0.05);
      const first = createOptimizer(kind, { backend, momentum: 0.9 });
      const w2 = [Float32Array.from({ length: 9 }, (_, i) => i / 9)];
      for (let s = 0; s < 3; s++) first.step(w2, grads(s), 0.05);
      const second = createOptimizer(kind, { backend, momentum: 0.9 });
      second.loadState(first.state());
      for (let s = 3; s < 6; s++) second.step(w2, grads(s), 0.05);
      expect(sameBits(w1[0]!, w2[0]!)).toBe(true);
      expect(second.steps).toBe(6);
    }
  });
});

describe('optimizer errors and backends', () => {
  it('rejects bad hyper-parameters, masks and states with messages naming them', () => {
    expect(() => new SGD({ momentum: 1 })).toThrow(/'momentum' must be in \[0, 1\), got 1/);
    expect(() => new SGD({ nesterov: true })).toThrow(/Nesterov momentum needs 'momentum' > 0/);
    expect(() => new Adam({ betas: [0.9, -1] })).toThrow(/'betas\[1\]' must be in \[0, 1\)/);
    expect(() => new AdamW({ weightDecay: -1 })).toThrow(/'weightDecay' must be a finite number >= 0/);
    expect(() => new SGD({ masks: [new Uint8Array([0, 2])] })).toThrow(/mask 0: values must be 0 or 1, found 2 at index 1/);
    expect(() => new SGD().step([new Float32Array(2)], [new Float32Array(2)], -1)).toThrow(/'lr' must be a finite number >= 0/);
    expect(() => new SGD().step([new Float32Array(2)], [new Float32Array(3)], 1)).toThrow(/gradient 0 has 3 elements; its parameter has 2/);
    const s = new SGD({ masks: [new Uint8Array(3)] });
    expect(() => s.step([new Float32Array(2)], [new Float32Array(2)], 1)).toThrow(/mask 0 has 3 elements; its parameter has 2/);
    expect(() => new Adam().loadState(new SGD().state())).toThrow(/optimizer state is for 'sgd', not 'adam'/);
  });

  it('bind() returns views that step() updates in place, and both backends agree to float32 rounding', () => {
    const results = BACKENDS.map((backend) => {
      const opt = createOptimizer('adamw', { backend, weightDecay: 0.05 });
      const [w] = opt.bind([Float32Array.from({ length: 101 }, (_, i) => Math.cos(i))]) as [Float32Array];
      for (let s = 0; s < 4; s++) opt.step([w], [Float32Array.from({ length: 101 }, (_, i) => Math.sin(i + s))], 0.01);
      return w;
    });
    results.forEach((w) => w.forEach((x, i) => expect(x).toBeCloseTo(results[0]![i]!, 5)));
    expect(() => createOptimizer('sgd').bind([new Float32Array(3)]).length).not.toThrow();
  });
});

/** Straightforward float64 PyTorch formulas. */
class Reference {
  w: number[][] = [];
  private readonly b: number[][];
  private readonly v: number[][];
  private t = 0;
  constructor(private readonly kind: OptimizerKind, sizes: number[], private readonly h: { momentum: number; wd: number; b1: number; b2: number }) {
    this.b = sizes.map((n) => new Array<number>(n).fill(0));
    this.v = sizes.map((n) => new Array<number>(n).fill(0));
  }

  step(grads: number[][], lr: number): void {
    this.t++;
    const { momentum: mu, wd, b1, b2 } = this.h;
    this.w.forEach((w, k) => w.forEach((x, i) => {
      let g = grads[k]![i]!;
      if (this.kind === 'sgd') {
        g += wd * x;
        const b = this.t === 1 ? g : mu * this.b[k]![i]! + g;
        this.b[k]![i] = b;
        w[i] = x - lr * b;
        return;
      }
      let y = x;
      if (this.kind === 'adamw') y = x * (1 - lr * wd);
      else g += wd * x;
      const m = b1 * this.b[k]![i]! + (1 - b1) * g;
      const v = b2 * this.v[k]![i]! + (1 - b2) * g * g;
      this.b[k]![i] = m;
      this.v[k]![i] = v;
      w[i] = y - ((lr / (1 - b1 ** this.t)) * m) / (Math.sqrt(v / (1 - b2 ** this.t)) + 1e-8);
    }));
  }
}
