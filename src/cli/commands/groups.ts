import type { Command } from 'commander';
import { buildDependencyGraph, describeGroups } from '../../prune/structure/index.js';
import { globals } from '../context.js';
import { loadModelArg } from '../model-arg.js';
import { fmtNum, fmtPct, printJson, renderTable, type Io } from '../output.js';

/** `secateurs groups MODEL`: the coupled channel groups structured pruning can remove, and the blocked ones. */
export function registerGroups(program: Command, io: Io): void {
  program
    .command('groups')
    .description('list the dependency groups of coupled channels/neurons/heads: members, channels, MACs at stake, blocked ones and why')
    .argument('<model>', 'an .onnx file, or zoo:NAME')
    .option('--members', 'list every member tensor of each group')
    .action(async (spec: string, opts: { members?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const loaded = await loadModelArg(spec);
      const rows = describeGroups(buildDependencyGraph(loaded.model));
      if (g.json) {
        printJson(io, { model: loaded.label, groups: rows });
        return;
      }
      const prunable = rows.filter((r) => r.status === 'prunable');
      io.out(renderTable(`${loaded.label}: ${rows.length} groups, ${prunable.length} prunable`,
        ['id', 'group', 'channels', 'width', 'params', 'MACs', 'MAC share', 'status'],
        rows.map((r) => [r.id, r.name, r.channels, r.unit === 1 ? '1' : `${r.unit} (heads)`, r.params, fmtNum(r.macs), fmtPct(r.macShare), r.status]), io.isTty));
      const blocked = rows.filter((r) => r.status === 'blocked');
      if (blocked.length > 0) io.out(`\nblocked:\n${blocked.map((r) => `  ${r.id} ${r.name}: ${r.reason ?? 'no reason recorded'}`).join('\n')}`);
      if (opts.members) io.out(`\nmembers:\n${rows.map((r) => `  ${r.id} ${r.name}: ${r.members.join(', ')}`).join('\n')}`);
    });
}
