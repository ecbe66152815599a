/**
 * Static shape and dtype inference for the IR: `inferShapes` and the rule table it reads.
 * @module
 */
export { inferShapes, ruleContext, type InferShapesOptions, type InferShapesResult } from './infer.js';
export { valueOfTensor } from './values.js';
export { divDims, mulDims } from './symbolic.js';
export { findShapeRule, SHAPE_RULES, type ShapeRuleEntry } from './registry.js';
export { FOLD_LIMIT, type KnownValue, type OutputInfo, type ShapeContext, type ShapeRule } from './types.js';
