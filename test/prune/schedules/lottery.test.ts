import { describe, expect, it } from 'vitest';
import { lotteryPrune, lotteryTicket, prunedCount, shuffledInit, type MaskSet } from '../../../src/prune/schedules/index.js';
import { buildZooModel } from '../../../src/zoo/index.js';
import { LENET_LAYERS, mnistSubsets, weight } from './helpers.js';

/** Exact per-layer remaining counts with the per-round rounding lotteryPrune does. */
function expectedRemaining(rounds: number): number {
  let total = 0;
  for (const [size, rate] of [[235_200, 0.2], [30_000, 0.2], [1_000, 0.1]] as const) {
    let kept = size;
    for (let n = 0; n < rounds; n++) kept -= Math.round(rate * kept);
    total += kept;
  }
  return total / 266_200;
}

const TRAIN = { optimizer: 'adam', lr: 1.2e-3, batchSize: 60, seed: 1 } as const;

describe('lotteryTicket', () => {
  it('prunes 20% / 10% of the remaining weights per round: (265,200·0.8ⁿ + 1,000·0.9ⁿ)/266,200', () => {
    const model = buildZooModel('lenet-300-100', { seed: 1 });
    let masks: MaskSet = new Map(LENET_LAYERS.map((n) => [n, new Uint8Array(weight(model, n).length).fill(1)]));
    const published: Record<number, number> = { 3: 0.513, 7: 0.211, 9: 0.135, 12: 0.070, 15: 0.036 };
    for (let n = 1; n <= 15; n++) {
      masks = lotteryPrune(model, masks, 0.2, 0.1);
      const kept = [...masks.values()].reduce((a, m) => a + m.length - prunedCount(m), 0) / 266_200;
      expect(kept).toBeCloseTo(expectedRemaining(n), 12);
      expect(Math.abs(kept - (265_200 * 0.8 ** n + 1_000 * 0.9 ** n) / 266_200)).toBeLessThan(2e-5);
      const p = published[n];
      if (p !== undefined) expect(kept).toBeCloseTo(p, 3);
    }
  });

  it('rewinds survivors to θ₀ bit for bit, retrains, and runs the random re-init control', async () => {
    const { trainSet, testSet } = await mnistSubsets();
    const model = buildZooModel('lenet-300-100', { seed: 1 });
    const resets: { round: number; masks: MaskSet; reset: ReturnType<typeof buildZooModel> }[] = [];
    const r = await lotteryTicket(model, trainSet, {
      rounds: 2, trainEpochs: 1, testSet, train: TRAIN, onRound: (row, d) => resets.push({ round: row.round, masks: new Map(d.masks), reset: d.reset }),
    });
    expect(r.rounds.map((x) => x.round)).toEqual([0, 1, 2]);
    r.rounds.forEach((x, n) => expect(x.remaining).toBeCloseTo(expectedRemaining(n), 12));
    expect(r.rounds[0]!.controlAcc).toBeUndefined();
    for (const x of r.rounds) {
      expect(x.testAcc).toBeGreaterThan(0.8);
      if (x.round > 0) expect(x.controlAcc).toBeGreaterThan(0.5);
    }
    for (const { masks, reset } of resets) {
      for (const name of LENET_LAYERS) {
        const w0 = new Uint32Array(weight(model, name).buffer);
        const w = new Uint32Array(weight(reset, name).buffer);
        const m = masks.get(name)!;
        let bad = 0;
        for (let i = 0; i < m.length; i++) if (w[i] !== (m[i] === 1 ? w0[i] : 0)) bad++;
        expect(bad).toBe(0);
      }
      expect(weight(reset, 'fc1/bias')).toEqual(weight(model, 'fc1/bias'));
    }
    // the final ticket holds the last round's mask
    for (const name of LENET_LAYERS) {
      const w = weight(r.model, name);
      const m = r.masks.get(name)!;
      expect(m.every((k, i) => k === 1 || w[i] === 0)).toBe(true);
    }
  });

  it('rewinds to θ_k when asked, and the control init is a seeded shuffle of θ₀', async () => {
    const { trainSet, testSet } = await mnistSubsets();
    const model = buildZooModel('lenet-300-100', { seed: 1 });
    const r = await lotteryTicket(model, trainSet, { rounds: 1, trainEpochs: 1, testSet, train: TRAIN, rewind: { step: 5 }, control: 'none' });
    expect(weight(r.rewound, 'fc1/weight')).not.toEqual(weight(model, 'fc1/weight'));
    expect(r.rounds[1]!.controlAcc).toBeUndefined();
    const masks: MaskSet = new Map([['fc3/weight', new Uint8Array(1000).fill(1)]]);
    const a = weight(shuffledInit(model, masks, 7), 'fc3/weight');
    expect(a).toEqual(weight(shuffledInit(model, masks, 7), 'fc3/weight'));
    expect(a).not.toEqual(weight(model, 'fc3/weight'));
    expect([...a].sort((x, y) => x - y)).toEqual([...weight(model, 'fc3/weight')].sort((x, y) => x - y));
    await expect(lotteryTicket(model, trainSet, { rounds: 0, trainEpochs: 0, testSet, rateHidden: 1 }))
      .rejects.toThrow(/'rounds'.*'trainEpochs'.*'rateHidden'/);
  });
});
