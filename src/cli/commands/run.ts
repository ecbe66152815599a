import type { Command } from 'commander';
import { loadRecipe } from '../../pipeline/recipe/check.js';
import { runRecipe, type RecipeRun } from '../../pipeline/recipe/run.js';
import { globals, wantProgress, withInterrupt } from '../context.js';
import { fmtBytes, fmtNum, fmtPct, printJson, renderTable, type Io } from '../output.js';

/** `secateurs run RECIPE`: a whole compression job from a recipe file, resumable. */
export function registerRun(program: Command, io: Io): void {
  program
    .command('run')
    .description('run a recipe (YAML/JSON): prune, recover, quantize, export; every stage verified and measured; rerun to resume')
    .argument('<recipe>', 'a recipe file (.yaml, .yml or .json)')
    .option('--out <dir>', "run folder (default: the recipe's outputs.dir, else runs/<name> beside the recipe)")
    .option('--restart', 'discard a previous run in the folder instead of resuming it')
    .option('--check', 'only check the recipe (schema, stage order, files) and print its stages')
    .action(async (file: string, opts: { out?: string; restart?: boolean; check?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const loaded = await loadRecipe(file);
      if (opts.check) {
        if (g.json) printJson(io, { recipe: file, valid: true, stages: loaded.recipe.stages });
        else io.out(`${file}: valid; stages: ${loaded.recipe.stages.map((s) => s.kind).join(' -> ')}`);
        return;
      }
      const hint = `resume with: secateurs run ${file}${opts.out ? ` --out ${opts.out}` : ''} (finished stages are kept)`;
      await withInterrupt(io, hint, async (signal) => {
        const r = await runRecipe(loaded, {
          ...(opts.out !== undefined ? { dir: opts.out } : {}), restart: opts.restart ?? false, progress: wantProgress(g),
          signal, log: g.json || g.quiet ? undefined : (line) => io.err(line),
        });
        if (g.json) printJson(io, { recipe: file, dir: r.dir, model: r.model, resumedStages: r.resumed, record: r.record });
        else io.out(formatRun(r, io.isTty));
      });
    });
}

function formatRun(r: RecipeRun, isTty: boolean): string {
  const rows = r.record.stages.map((s) => {
    const lat = s.metrics.latency;
    return [
      s.name, s.metrics.top1 === undefined ? '-' : fmtPct(s.metrics.top1), fmtNum(s.metrics.params), fmtNum(s.metrics.nonzero),
      fmtNum(s.metrics.macs), fmtBytes(s.model?.bytes ?? s.metrics.bytes), fmtBytes(s.metrics.gzipBytes),
      lat.map((l) => `${l.medianMs.toFixed(3)}`).join(' / '), s.metrics.durationS.toFixed(1),
    ];
  });
  const first = r.record.stages[0]!.metrics;
  const last = r.record.stages[r.record.stages.length - 1]!.metrics;
  const batches = first.latency.map((l) => l.batch).join(' / ');
  return [
    renderTable(`${r.record.title}: ${r.record.data.name}/${r.record.data.split}, ${fmtNum(r.record.data.count)} samples`,
      ['stage', 'top-1', 'params', 'nonzero', 'MACs', 'file', 'gzip', `ms (batch ${batches})`, 's'], rows, isTty),
    `final model: ${r.model}${r.resumed > 0 ? ` (resumed after ${r.resumed} finished stage(s))` : ''}`,
    `compression ${fmtNum(first.params / Math.max(1, last.nonzero))}x (parameters / nonzero), download ${fmtNum(first.gzipBytes / Math.max(1, last.gzipBytes))}x smaller (gzip); report: secateurs report ${r.dir}`,
  ].join('\n\n');
}
