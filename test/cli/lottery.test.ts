import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/onnx/index.js';
import { cli, smallMnist, tempDir } from './helpers.js';

/** Frankle & Carbin's remaining fraction for LeNet-300-100: hidden layers lose 20%, the output layer 10% per round. */
const remaining = (n: number): number => (265_200 * 0.8 ** n + 1_000 * 0.9 ** n) / 266_200;

describe('secateurs lottery', () => {
  it('runs IMP rounds with the random re-init control and writes the ticket', async () => {
    const dir = tempDir();
    const data = await smallMnist(dir, 1500, 300);
    const out = join(dir, 'ticket.onnx');
    const r = await cli('lottery', 'zoo:lenet-300-100', '--data', data, '--rounds', '2', '--epochs', '1', '--batch', '60', '--out', out, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { rounds: { round: number; remaining: number; testAcc: number; controlAcc: number }[] };
    expect(j.rounds.map((x) => x.round)).toEqual([0, 1, 2]);
    j.rounds.forEach((x, n) => {
      expect(x.remaining).toBeCloseTo(remaining(n), 4);
      expect(x.testAcc).toBeGreaterThan(0.5);
    });
    expect(j.rounds.slice(1).every((x) => x.controlAcc > 0)).toBe(true);
    const w = (await loadModel(out)).graph.requireValue('fc1/weight').constant!.toFloat32();
    expect(w.filter((v) => v === 0).length / w.length).toBeCloseTo(1 - 0.8 ** 2, 3);
  });

  it('rejects a rate outside (0, 1)', async () => {
    const r = await cli('lottery', 'zoo:lenet-300-100', '--data', 'mnist', '--rate', '1.5');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/'--rate' must be in \(0, 1\), got '1.5'/);
  });
});
