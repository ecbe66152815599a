import type { Command } from 'commander';
import { loadDataset, take } from '../../data/index.js';
import { saveModel } from '../../onnx/index.js';
import { lotteryTicket, type LotteryRound } from '../../prune/index.js';
import { globals } from '../context.js';
import { loadModelArg, parseIntOption, parseNumberOption } from '../model-arg.js';

const OPEN_UNIT = { min: 0, max: 1, openMin: true, openMax: true };
import { fmtPct, printJson, renderTable, type Io } from '../output.js';

/** `secateurs lottery MODEL --data mnist`: lottery-ticket iterative magnitude pruning with the random re-init control. */
export function registerLottery(program: Command, io: Io): void {
  program
    .command('lottery')
    .description('lottery-ticket IMP (Frankle & Carbin): train, prune a fraction of the remaining weights, rewind survivors, retrain; vs random re-init')
    .argument('<model>', 'an .onnx file or zoo:NAME (its initial weights are theta_0)')
    .requiredOption('--data <spec>', 'mnist, fashion-mnist or an .npz file')
    .option('--rounds <n>', 'pruning rounds', '3')
    .option('--rate <x>', 'fraction of the remaining hidden-layer weights pruned per round', '0.2')
    .option('--rate-output <x>', 'fraction of the remaining output-layer weights pruned per round', '0.1')
    .option('--rewind <where>', "'init' (theta_0) or a step k (theta_k, late rewinding)", 'init')
    .option('--epochs <n>', 'training epochs per round', '1')
    .option('--lr <x>', 'Adam learning rate (Frankle & Carbin: 1.2e-3)', '0.0012')
    .option('--batch <n>', 'batch size (Frankle & Carbin: 60)', '60')
    .option('--train-limit <n>', 'train on the first n training samples')
    .option('--test-limit <n>', 'score on the first n test samples')
    .option('--no-control', 'skip the random re-init control')
    .option('--seed <n>', 'seed', '0')
    .option('--out <file>', 'write the last round\'s trained ticket here')
    .action(async (spec: string, opts: LotteryCliOptions, cmd: Command) => {
      const g = globals(cmd);
      const [rate, rateOutput] = [parseNumberOption('--rate', opts.rate, OPEN_UNIT), parseNumberOption('--rate-output', opts.rateOutput, OPEN_UNIT)];
      const rewind = opts.rewind === 'init' ? 'init' as const : { step: parseIntOption('--rewind', opts.rewind, 1) };
      const loaded = await loadModelArg(spec);
      const limit = (ds: Awaited<ReturnType<typeof loadDataset>>, o: string | undefined, name: string) => (o === undefined ? ds : take(ds, parseIntOption(name, o, 1)));
      const trainSet = limit(await loadDataset(opts.data, 'train'), opts.trainLimit, '--train-limit');
      const testSet = limit(await loadDataset(opts.data, 'test'), opts.testLimit, '--test-limit');
      const r = await lotteryTicket(loaded.model, trainSet, {
        rounds: parseIntOption('--rounds', opts.rounds, 1), rateHidden: rate, rateOutput, rewind, testSet,
        trainEpochs: parseIntOption('--epochs', opts.epochs, 1), control: opts.control ? 'random-reinit' : 'none',
        seed: parseIntOption('--seed', opts.seed, 0),
        train: { optimizer: 'adam', lr: parseNumberOption('--lr', opts.lr, { min: 0, openMin: true }), batchSize: parseIntOption('--batch', opts.batch, 1) },
        onRound: g.json || g.quiet ? undefined : (round) => io.err(roundLine(round)),
      });
      if (opts.out) await saveModel(r.model, opts.out);
      if (g.json) printJson(io, { model: loaded.label, rounds: r.rounds, out: opts.out });
      else io.out(renderTable(`lottery tickets of ${loaded.label} (${opts.data})`, ['round', 'weights remaining', 'ticket top-1', 'random re-init top-1'],
        r.rounds.map((x) => [x.round, fmtPct(x.remaining), fmtPct(x.testAcc), x.controlAcc === undefined ? '-' : fmtPct(x.controlAcc)]), io.isTty));
    });
}

interface LotteryCliOptions {
  readonly data: string; readonly rounds: string; readonly rate: string; readonly rateOutput: string; readonly rewind: string;
  readonly epochs: string; readonly lr: string; readonly batch: string; readonly trainLimit?: string; readonly testLimit?: string;
  readonly control: boolean; readonly seed: string; readonly out?: string;
}

function roundLine(r: LotteryRound): string {
  return `round ${r.round}: ${fmtPct(r.remaining)} of weights remain, ticket ${fmtPct(r.testAcc)}` +
    (r.controlAcc === undefined ? '' : `, random re-init ${fmtPct(r.controlAcc)}`);
}
