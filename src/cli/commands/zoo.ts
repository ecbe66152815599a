import type { Command } from 'commander';
import { saveModel } from '../../onnx/index.js';
import { ZOO, buildZooModel } from '../../zoo/index.js';
import { globals } from '../context.js';
import { parseIntOption } from '../model-arg.js';
import { printJson, renderTable, type Io } from '../output.js';

/** `secateurs zoo NAME --out FILE`: write a reference model; without NAME, list them. */
export function registerZoo(program: Command, io: Io): void {
  program
    .command('zoo')
    .description('write a reference model (seeded init) as ONNX; without a name, list the models')
    .argument('[name]', 'model name (see the list)')
    .option('--out <file>', 'output .onnx path')
    .option('--seed <n>', 'initialization seed', '0')
    .action(async (name: string | undefined, opts: { out?: string; seed: string }, cmd: Command) => {
      const g = globals(cmd);
      if (name === undefined) {
        const rows = Object.entries(ZOO).map(([k, e]) => ({ name: k, dataset: e.dataset, description: e.description }));
        if (g.json) printJson(io, rows);
        else io.out(renderTable('reference models', ['name', 'dataset', 'description'], rows.map((r) => [r.name, r.dataset, r.description]), io.isTty));
        return;
      }
      if (!opts.out) throw new RangeError(`'--out' is required to write a model, e.g. secateurs zoo ${name} --out ${name}.onnx`);
      const model = buildZooModel(name, { seed: parseIntOption('--seed', opts.seed, 0) });
      await saveModel(model, opts.out);
      if (g.json) printJson(io, { name, out: opts.out });
      else io.out(`wrote ${name} to ${opts.out}`);
    });
}
