/**
 * Lottery tickets on LeNet-300-100 (Frankle & Carbin 2019, TARGETS.md): iterative magnitude pruning with rewinding to
 * the initial weights θ₀, each round's mask also trained from a fresh random init (the control), test accuracy after
 * every round.
 *
 *   npx tsx bench/lottery.ts [--rounds 15] [--epochs 8] [--seed 0]
 *
 * Pruning rates per round as in the paper: 20% of the remaining weights of the hidden layers, 10% of the output
 * layer's, so the whole network keeps ~21% after 7 rounds, ~7% after 12 and ~3.6% after 15. Each round trains
 * `--epochs` epochs (Adam 1.2e-3, batch 60, the paper's optimizer) on the 60,000 training images; top-1 on the
 * 10,000 test images.
 */
import { parseArgs } from 'node:util';
import { loadMnist } from '../src/data/index.js';
import { lotteryTicket } from '../src/prune/schedules/index.js';
import { buildZooModel } from '../src/zoo/index.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, epochs: { type: 'string', default: '8' }, seed: { type: 'string', default: '0' } } });
const seed = Number(values.seed);
const [trainSet, testSet] = [await loadMnist({ split: 'train' }), await loadMnist({ split: 'test' })];
const t0 = performance.now();
const r = await lotteryTicket(buildZooModel('lenet-300-100', { seed }), trainSet, {
  rounds: Number(values.rounds), trainEpochs: Number(values.epochs), testSet, seed, rewind: 'init',
  train: { optimizer: 'adam', lr: 1.2e-3, batchSize: 60, seed },
  onRound: (round) => console.error(`round ${round.round}: ${(100 * round.remaining).toFixed(1)}% remaining, ticket ${(100 * round.testAcc).toFixed(2)}%, random re-init ${round.controlAcc === undefined ? '-' : `${(100 * round.controlAcc).toFixed(2)}%`} [${((performance.now() - t0) / 1000).toFixed(0)} s]`),
});
console.log(`LeNet-300-100 lottery tickets: rewind to θ₀, ${values.epochs} epochs per round, Adam 1.2e-3, batch 60, seed ${seed}\n`);
console.log('| round | weights remaining | winning ticket top-1 | random re-init top-1 | ticket − re-init |');
console.log('|---:|---:|---:|---:|---:|');
for (const x of r.rounds) {
  const diff = x.controlAcc === undefined ? '-' : `${(100 * (x.testAcc - x.controlAcc)).toFixed(2)} pt`;
  console.log(`| ${x.round} | ${(100 * x.remaining).toFixed(1)}% | ${(100 * x.testAcc).toFixed(2)}% | ${x.controlAcc === undefined ? '-' : `${(100 * x.controlAcc).toFixed(2)}%`} | ${diff} |`);
}
