/**
 * The graph IR: models, graphs, nodes, values and tensors free of protobuf types, with edits that keep both sides of
 * every edge in sync, passes (toposort, cleanup, verify), a deep clone, static shape inference and a builder.
 *
 * @example
 * ```ts
 * import { GraphBuilder, assertValid } from 'secateurs';
 * const b = new GraphBuilder('tiny');
 * const x = b.input('x', 'float32', ['N', 4]);
 * b.output(b.op('Relu', [x]), { name: 'y' });
 * assertValid(b.model(17));
 * ```
 */
export * from './dtype.js';
export * from './tensor.js';
export * from './graph.js';
export * from './passes.js';
export * from './clone.js';
export * from './builder.js';
export * from './shapes/index.js';
export * from './op-table.js';
