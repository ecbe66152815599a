import { SecateursError } from '../errors.js';
import type { Model } from '../ir/graph.js';
import type { ZooInfo, ZooOptions } from './common.js';
import { LENET5, LENET_300_100, buildLenet300100, buildLenet5 } from './lenet.js';
import { MOBILENETV2_SMALL, buildMobilenetV2Small } from './mobilenet.js';
import { RESNET_SMALL, buildResnetSmall } from './resnet.js';
import { VIT_TINY, buildVitTiny } from './vit.js';

export type { ZooInfo, ZooOptions } from './common.js';
export { buildLenet300100, buildLenet5 } from './lenet.js';
export { buildMobilenetV2Small } from './mobilenet.js';
export { buildResnetSmall } from './resnet.js';
export { buildVitTiny } from './vit.js';

/** Names of the reference models. */
export type ZooName = 'lenet-300-100' | 'lenet5' | 'resnet-small' | 'mobilenetv2-small' | 'vit-tiny';

/** A registry entry: the facts of a model and its builder. */
export interface ZooEntry extends ZooInfo {
  readonly build: (opts?: ZooOptions) => Model;
}

/**
 * The reference models, by name. Every model is opset 17, takes float32 'input' [batch, 1, 28, 28] (batch 'N' by
 * default) and returns float32 'logits' [batch, numClasses], with parameters drawn from a seeded generator.
 *
 * @example
 * ```ts
 * for (const [name, entry] of Object.entries(ZOO)) console.log(name, entry.dataset, entry.description);
 * ```
 */
export const ZOO: Readonly<Record<ZooName, ZooEntry>> = {
  'lenet-300-100': { ...LENET_300_100, build: buildLenet300100 },
  lenet5: { ...LENET5, build: buildLenet5 },
  'resnet-small': { ...RESNET_SMALL, build: buildResnetSmall },
  'mobilenetv2-small': { ...MOBILENETV2_SMALL, build: buildMobilenetV2Small },
  'vit-tiny': { ...VIT_TINY, build: buildVitTiny },
};

/** True when `name` is a key of {@link ZOO}. */
export function isZooName(name: string): name is ZooName {
  return Object.prototype.hasOwnProperty.call(ZOO, name);
}

/**
 * Builds a zoo model by name.
 *
 * @throws SecateursError `ZOO_UNKNOWN_MODEL` naming the valid models; RangeError for a bad option.
 * @example
 * ```ts
 * const model = buildZooModel('lenet5', { seed: 42, batch: 'N', numClasses: 10 });
 * ```
 */
export function buildZooModel(name: string, opts: ZooOptions = {}): Model {
  if (!isZooName(name)) {
    throw new SecateursError('ZOO_UNKNOWN_MODEL', `unknown zoo model '${name}'; valid names: ${Object.keys(ZOO).join(', ')}.`);
  }
  return ZOO[name].build(opts);
}
