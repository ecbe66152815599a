import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { buildMobilenetV2Small } from '../../src/zoo/mobilenet.js';
import { buildResnetSmall } from '../../src/zoo/resnet.js';
import { buildVitTiny } from '../../src/zoo/vit.js';

function count(g: Graph, opType: string): number {
  return g.nodes.filter((n) => n.opType === opType).length;
}

describe('resnet-small', () => {
  it('runs the doc example', () => {
    expect(buildResnetSmall({ numClasses: 5 }).graph.outputs[0]!.shape).toEqual(['N', 5]);
  });

  it('has three residual Adds, two 1x1 stride-2 projection shortcuts and identity BatchNorms', () => {
    const g = buildResnetSmall().graph;
    expect(count(g, 'Add')).toBe(3);
    expect(count(g, 'BatchNormalization')).toBe(9);
    const down = g.nodes.filter((n) => n.name.includes('downsample/conv'));
    expect(down.map((n) => [n.name, n.attrInts('kernel_shape'), n.attrInts('strides')])).toEqual([
      ['layer2/downsample/conv/Conv', [1, 1], [2, 2]],
      ['layer3/downsample/conv/Conv', [1, 1], [2, 2]],
    ]);
    expect(g.requireValue('layer1/conv1/bn/scale').constant!.toNumbers()).toEqual(new Array(16).fill(1));
    expect(g.requireValue('layer1/conv1/bn/var').constant!.toNumbers()).toEqual(new Array(16).fill(1));
    expect(g.node('layer1/conv1/bn/BatchNormalization')!.attributes.get('epsilon')).toEqual({ type: 'float', value: 1e-5 });
    const add = g.node('layer1/Add')!;
    expect(add.inputs.map((v) => v?.name)).toEqual(['layer1/conv2/bn/BatchNormalization', 'stem/Relu']);
  });
});

describe('mobilenetv2-small', () => {
  it('runs the doc example', () => {
    expect(buildMobilenetV2Small({ seed: 3 }).graph.nodes.some((n) => n.attrInt('group', 1) > 1)).toBe(true);
  });

  it('uses depthwise convs, Relu6 as Clip(0, 6) and residual Adds only where stride 1 and in == out', () => {
    const g = buildMobilenetV2Small().graph;
    const dw = g.nodes.filter((n) => n.name.endsWith('depthwise/conv/Conv'));
    expect(dw.map((n) => n.attrInt('group', 1))).toEqual([16, 64, 96, 96, 128]);
    expect(g.nodes.filter((n) => n.opType === 'Add').map((n) => n.name)).toEqual(['block0/Add', 'block2/Add', 'block4/Add']);
    const clips = g.nodes.filter((n) => n.opType === 'Clip');
    expect(clips.length).toBe(1 + 1 + 4 * 2 + 1);
    expect(clips[0]!.inputs.map((v) => v?.constant?.toNumbers())).toEqual([undefined, [0], [6]]);
    expect(g.node('block0/expand/conv/Conv')).toBeUndefined();
    expect(g.requireValue('block1/expand/conv/weight').constant!.dims).toEqual([64, 16, 1, 1]);
  });
});

describe('vit-tiny', () => {
  it('runs the doc example', () => {
    expect(count(buildVitTiny({ seed: 7, numClasses: 10 }).graph, 'Softmax')).toBe(2);
  });

  it('writes attention out with per-block head-shape constants that pruning can rewrite', () => {
    const g = buildVitTiny().graph;
    for (const blk of ['block0', 'block1']) {
      expect(g.requireValue(`${blk}/attn/heads_shape`).constant!.toNumbers()).toEqual([0, 0, 4, 16]);
      expect(g.requireValue(`${blk}/attn/merge_shape`).constant!.toNumbers()).toEqual([0, 0, 64]);
      const reshapes = g.requireValue(`${blk}/attn/heads_shape`).consumers.map((n) => n.name);
      expect(reshapes).toEqual([`${blk}/attn/q/Reshape`, `${blk}/attn/k/Reshape`, `${blk}/attn/v/Reshape`]);
      expect(g.requireValue(`${blk}/attn/q/weight`).constant!.dims).toEqual([64, 64]);
      expect(g.requireValue(`${blk}/mlp/fc1/weight`).constant!.dims).toEqual([64, 128]);
    }
    expect(g.requireValue('patch_embed/shape').constant!.toNumbers()).toEqual([0, 0, -1]);
    expect(g.requireValue('const_float32_0.25').consumers.length).toBe(2);
    expect(count(g, 'LayerNormalization')).toBe(5);
    expect(count(g, 'Erf')).toBe(2);
    expect(g.node('block0/attn/Softmax')!.attrInt('axis')).toBe(-1);
    const gather = g.node('cls_select')!;
    expect(gather.attrInt('axis')).toBe(1);
    expect(gather.input(1)?.constant?.dtype).toBe('int64');
  });

  it('initializes class token and position embedding from N(0, 0.02²) and LayerNorms to identity', () => {
    const g = buildVitTiny().graph;
    const pos = g.requireValue('pos_embed').constant!;
    expect(pos.dims).toEqual([1, 17, 64]);
    const v = pos.toFloat32();
    const std = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);
    expect(g.requireValue('norm/scale').constant!.toNumbers()).toEqual(new Array(64).fill(1));
  });
});
