/**
 * The optimizer kernels as a WebAssembly SIMD module, assembled here from a tiny expression DSL (no toolchain, no
 * binary blob in the repository). Why: V8 runs the scalar JS Adam loop in float64 with a square root and a division
 * per element and re-checks every typed array each iteration, ~8 ns per parameter; the same loop on f32x4 lanes runs
 * ~10x faster and is bound by memory traffic. Arithmetic is float32, as in PyTorch.
 *
 * Every kernel walks `nbytes` bytes (a multiple of 16) from byte addresses into the module's imported memory.
 */

type Code = number[];

const I32 = 0x7f;
const F32 = 0x7d;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(n: number): Code {
  const out: Code = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const simd = (opcode: number): Code => [0xfd, ...uleb(opcode)];
const vec = (items: readonly Code[]): Code => [...uleb(items.length), ...items.flat()];
const name = (s: string): Code => vec([...s].map((c) => [c.charCodeAt(0)]));
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

/** Expression builders: each returns the code that leaves one value on the stack. */
const get = (i: number): Code => [0x20, ...uleb(i)];
const set = (i: number, v: Code): Code => [...v, 0x21, ...uleb(i)];
const tee = (i: number, v: Code): Code => [...v, 0x22, ...uleb(i)];
const bin = (opcode: number) => (a: Code, b: Code): Code => [...a, ...b, ...simd(opcode)];
const add = bin(228);
const sub = bin(229);
const mul = bin(230);
const div = bin(231);
const sqrt = (a: Code): Code => [...a, ...simd(227)];
const f64add = bin(240);
const f64mul = bin(242);
const promoteLow = (a: Code): Code => [...a, ...simd(95)];
/** Lanes 2, 3 moved to 0, 1 (so promoteLow reads the upper half). */
const upperHalf = (a: Code): Code => [...a, ...a, ...simd(13), 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
const lane = (a: Code, i: number): Code => [...a, ...simd(33), i];
const zero: Code = [...simd(12), ...new Array<number>(16).fill(0)];

/** A kernel: parameter types, extra locals, and the body built from parameter/local indices. */
interface KernelSpec {
  readonly name: string;
  /** Byte-address parameters (i32), then `nbytes` (i32), then scalars (f32). */
  readonly pointers: readonly string[];
  readonly scalars: readonly string[];
  /** Vector temporaries. */
  readonly temps: readonly string[];
  readonly result?: number;
  /** Code run before the loop (splats are emitted automatically). */
  readonly init?: (at: Locals) => Code;
  /** Loop body for byte offset `i`. */
  readonly body: (at: Locals) => Code;
  readonly finish?: (at: Locals) => Code;
}

interface Locals {
  /** Local index of a pointer, scalar, splatted scalar (`S:<name>`), temp or `i`. */
  (local: string): number;
  /** `v128.load` from pointer `p` + i. */
  load(p: string): Code;
  /** `v128.store` of `v` at pointer `p` + i. */
  store(p: string, v: Code): Code;
  /** The splatted scalar. */
  s(scalar: string): Code;
  t(temp: string): Code;
}

function locals(spec: KernelSpec): Locals {
  const index = new Map<string, number>();
  [...spec.pointers, 'nbytes', ...spec.scalars].forEach((n, k) => index.set(n, k));
  let next = index.size;
  index.set('i', next++);
  for (const n of [...spec.scalars.map((s) => `S:${s}`), ...spec.temps]) index.set(n, next++);
  const at = ((n: string): number => {
    const k = index.get(n);
    if (k === undefined) throw new Error(`wasm kernel '${spec.name}': no local '${n}'`);
    return k;
  }) as Locals;
  const addr = (p: string): Code => [...get(at(p)), ...get(at('i')), 0x6a];
  at.load = (p) => [...addr(p), ...simd(0), 4, 0];
  at.store = (p, v) => [...addr(p), ...v, ...simd(11), 4, 0];
  at.s = (s) => get(at(`S:${s}`));
  at.t = (t) => get(at(t));
  return at;
}

function functionBody(spec: KernelSpec): { type: Code; code: Code } {
  const at = locals(spec);
  const splats = spec.scalars.flatMap((s) => set(at(`S:${s}`), [...get(at(s)), ...simd(0x13)]));
  const loop: Code = [
    0x02, 0x40, 0x03, 0x40,
    ...get(at('i')), ...get(at('nbytes')), 0x4f, 0x0d, 1, // i >= nbytes: break
    ...spec.body(at),
    ...set(at('i'), [...get(at('i')), 0x41, 16, 0x6a]),
    0x0c, 0, 0x0b, 0x0b,
  ];
  const nVec = spec.scalars.length + spec.temps.length;
  const code = [...vec([[1, I32], [...uleb(nVec), V128]]), ...splats, ...(spec.init?.(at) ?? []), ...loop, ...(spec.finish?.(at) ?? []), 0x0b];
  const params = [...spec.pointers.map(() => I32), I32, ...spec.scalars.map(() => F32)];
  const type = [0x60, ...vec(params.map((t) => [t])), ...vec(spec.result === undefined ? [] : [[spec.result]])];
  return { type, code: [...uleb(code.length), ...code] };
}

/** g' = (g·gradScale + l2·w), masked by k when the kernel is the masked variant. */
function scaledGrad(at: Locals, masked: boolean, l2: string): Code {
  const g = add(mul(at.load('g'), at.s('gradScale')), mul(at.s(l2), at.t('W')));
  return masked ? mul(g, at.load('k')) : g;
}

/** w masked by k, plus +0 so a pruned weight is +0, never -0. */
const maskWeight = (at: Locals, masked: boolean, w: Code): Code => (masked ? add(mul(w, at.load('k')), zero) : w);

function sgdKernel(masked: boolean): KernelSpec {
  return {
    name: masked ? 'sgd_masked' : 'sgd',
    pointers: ['w', 'g', 'b', 'k'],
    scalars: ['gradScale', 'lr', 'wd', 'mu', 'damp', 'cg', 'cb'],
    temps: ['W', 'G', 'B'],
    body: (at) => [
      ...set(at('W'), at.load('w')),
      ...set(at('G'), scaledGrad(at, masked, 'wd')),
      ...at.store('b', tee(at('B'), add(mul(at.s('mu'), at.load('b')), mul(at.s('damp'), at.t('G'))))),
      ...at.store('w', maskWeight(at, masked, sub(at.t('W'), mul(at.s('lr'), add(mul(at.s('cg'), at.t('G')), mul(at.s('cb'), at.t('B'))))))),
    ],
  };
}

function adamKernel(masked: boolean): KernelSpec {
  return {
    name: masked ? 'adam_masked' : 'adam',
    pointers: ['w', 'g', 'm', 'v', 'k'],
    scalars: ['gradScale', 'b1', 'b2', 'c1', 'c2', 'step', 'inv', 'eps', 'l2', 'decay'],
    temps: ['W', 'G', 'M', 'V'],
    body: (at) => [
      ...set(at('W'), at.load('w')),
      ...set(at('G'), scaledGrad(at, masked, 'l2')),
      ...at.store('m', tee(at('M'), add(mul(at.s('b1'), at.load('m')), mul(at.s('c1'), at.t('G'))))),
      ...at.store('v', tee(at('V'), add(mul(at.s('b2'), at.load('v')), mul(mul(at.s('c2'), at.t('G')), at.t('G'))))),
      ...at.store('w', maskWeight(at, masked, sub(
        mul(at.t('W'), at.s('decay')),
        div(mul(at.s('step'), at.t('M')), add(mul(sqrt(at.t('V')), at.s('inv')), at.s('eps'))),
      ))),
    ],
  };
}

/** Σ g² (masked: Σ (g·k)²) accumulated in float64 lanes. */
function sumsqKernel(masked: boolean): KernelSpec {
  return {
    name: masked ? 'sumsq_masked' : 'sumsq',
    pointers: ['g', 'k'],
    scalars: [],
    temps: ['G', 'A', 'B', 'L'],
    result: F64,
    body: (at) => [
      ...set(at('G'), masked ? mul(at.load('g'), at.load('k')) : at.load('g')),
      ...set(at('L'), promoteLow(at.t('G'))),
      ...set(at('A'), f64add(at.t('A'), f64mul(at.t('L'), at.t('L')))),
      ...set(at('L'), promoteLow(upperHalf(at.t('G')))),
      ...set(at('B'), f64add(at.t('B'), f64mul(at.t('L'), at.t('L')))),
    ],
    finish: (at) => {
      const sum = f64add(at.t('A'), at.t('B'));
      return [...lane(sum, 0), ...lane(sum, 1), 0xa0];
    },
  };
}

const KERNELS: readonly KernelSpec[] = [
  sgdKernel(false), sgdKernel(true), adamKernel(false), adamKernel(true), sumsqKernel(false), sumsqKernel(true),
];

/** The bytes of the kernel module: memory imported as `env.mem`, one export per kernel. */
export function kernelModuleBytes(): Uint8Array {
  const fns = KERNELS.map(functionBody);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec(fns.map((f) => f.type))),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, 0]])),
    ...section(3, vec(fns.map((_, k) => uleb(k)))),
    ...section(7, vec(KERNELS.map((k, i) => [...name(k.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(fns.map((f) => f.code))),
  ]);
}

/** The exported kernels; pointers are byte addresses, lengths in bytes (multiples of 16). */
export interface WasmKernels {
  sgd(w: number, g: number, b: number, k: number, nbytes: number, gradScale: number, lr: number, wd: number, mu: number, damp: number, cg: number, cb: number): void;
  sgd_masked(w: number, g: number, b: number, k: number, nbytes: number, gradScale: number, lr: number, wd: number, mu: number, damp: number, cg: number, cb: number): void;
  adam(w: number, g: number, m: number, v: number, k: number, nbytes: number, gradScale: number, b1: number, b2: number, c1: number, c2: number, step: number, inv: number, eps: number, l2: number, decay: number): void;
  adam_masked(w: number, g: number, m: number, v: number, k: number, nbytes: number, gradScale: number, b1: number, b2: number, c1: number, c2: number, step: number, inv: number, eps: number, l2: number, decay: number): void;
  sumsq(g: number, k: number, nbytes: number): number;
  sumsq_masked(g: number, k: number, nbytes: number): number;
}

/** The slice of the WebAssembly JS API used here (the project's `lib` has no DOM typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
  readonly Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}
const WASM = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** Largest memory a module may have: 65536 pages of 64 KiB. */
export const WASM_MAX_BYTES = 65536 * 65536;

let compiled: object | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is unavailable (then the JS kernels run). */
function kernelModule(): object | null {
  if (compiled !== undefined) return compiled;
  const bytes = kernelModuleBytes();
  compiled = WASM?.validate(bytes) ? new WASM.Module(bytes) : null;
  return compiled;
}

/** A zero-filled memory of at least `bytes` bytes with kernels bound to it, or undefined without WebAssembly SIMD. */
export function wasmMemoryWithKernels(bytes: number): { memory: WasmMemory; kernels: WasmKernels } | undefined {
  const mod = kernelModule();
  if (!mod || !WASM || bytes > WASM_MAX_BYTES) return undefined;
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  let memory: WasmMemory;
  try {
    memory = new WASM.Memory({ initial: pages, maximum: pages });
  } catch {
    return undefined; // the engine could not reserve that much; the JS kernels use an ordinary ArrayBuffer
  }
  const kernels = new WASM.Instance(mod, { env: { mem: memory } }).exports as WasmKernels;
  return { memory, kernels };
}

/** Whether the WebAssembly SIMD kernels can run here. */
export function wasmSimdAvailable(): boolean {
  return kernelModule() !== null;
}
