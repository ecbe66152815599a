/**
 * Channel rules of recurrent ops (LSTM, GRU, RNN). Input features are a sink: X's last axis is W's axis 2. Hidden
 * units are a source: unit h is row h of every gate block of W and R (axis 1 of [dirs, gates·H, ...], a map that
 * repeats with period H), column h of R (the recurrence reads it: a sink inside the op), entry h of every bias and
 * peephole block, and axis H of Y, Y_h, Y_c and the initial states. `hidden_size` is rewritten.
 * @module
 */
import type { Dim, Node } from '../../../ir/graph.js';
import type { ChannelRule, RuleContext, Seed } from '../types.js';
import { IN, OUT, fromClasses, rankOf } from './common.js';

/** LSTM/GRU/RNN: see the module comment. */
export const recurrent: ChannelRule = (ctx, at) => {
  const r = rankOf(ctx, IN(0)) ?? 3;
  const res = fromClasses(ctx, at, [
    { slots: [[IN(0), r - 1], [IN(1), 2, 'sink']], role: 'sink' },
    {
      slots: [[OUT(0), 3], [OUT(1), 2], [OUT(2), 2], [IN(1), 1, 'source'], [IN(2), 1, 'source'], [IN(2), 2, 'sink'],
        [IN(3), 1, 'channel'], [IN(5), 2], [IN(6), 2], [IN(7), 1, 'channel']],
      role: 'source',
    },
  ], 'not a feature or hidden-unit axis');
  return res.kind === 'couple' && res.role === 'source' ? { ...res, rewrite: 'hiddenSize' } : res;
};

/** Hidden units (output Y axis 3, else Y_h axis 2) start a group. */
export const recurrentSeeds = (ctx: RuleContext): readonly Seed[] => {
  const h = ctx.node.attrInt('hidden_size');
  if (h === undefined || h < 2) return [];
  if (ctx.has(OUT(0))) return [{ port: OUT(0), axis: 3, channels: h }];
  return ctx.has(OUT(1)) ? [{ port: OUT(1), axis: 2, channels: h }] : [];
};

/**
 * Output shapes of a recurrent node from its input shape and attributes (Y, Y_h, Y_c), for graphs whose shapes the
 * static inference leaves unknown; undefined when the input shape is unknown.
 *
 * @example
 * ```ts
 * recurrentShapes(lstm);   // [[5, 1, 'N', 6], [1, 'N', 6], [1, 'N', 6]] for X [5, N, 8], hidden 6, layout 0
 * ```
 */
export function recurrentShapes(node: Node): (Dim[] | undefined)[] | undefined {
  const x = node.input(0)?.shape;
  const h = node.attrInt('hidden_size');
  if (!x || x.length !== 3 || h === undefined) return undefined;
  const dirs = node.attrString('direction', 'forward') === 'bidirectional' ? 2 : 1;
  const batchFirst = node.attrInt('layout', 0) === 1;
  const [t, n] = batchFirst ? [x[1]!, x[0]!] : [x[0]!, x[1]!];
  const y = batchFirst ? [n, t, dirs, h] : [t, dirs, n, h];
  const state = batchFirst ? [n, dirs, h] : [dirs, n, h];
  return [y, state, state];
}
