import { jsKernels, wasmKernels, type Kernels } from './kernels.js';
import { wasmMemoryWithKernels } from './wasm.js';

/** Which kernels run the updates: WebAssembly SIMD when available (`auto`, the default), or the JS loops. */
export type KernelBackend = 'auto' | 'wasm' | 'js';

/** Slot indices every optimizer arena has; optimizer state buffers follow from {@link FIRST_STATE_SLOT}. */
export const WEIGHT_SLOT = 0;
export const GRAD_SLOT = 1;
export const MASK_SLOT = 2;
export const FIRST_STATE_SLOT = 3;

/**
 * One Float32Array holding, for every parameter, its weights, gradient, mask and optimizer buffers ("slots"), each
 * parameter's region padded to a multiple of 4 floats (the SIMD width; padding stays zero). Parameters handed to the
 * trainer are views of the weight slot, so onnxruntime reads them and the optimizer writes them in place. The memory
 * never grows, so views stay valid for the arena's life.
 */
export class Arena {
  readonly f32: Float32Array;
  readonly kernels: Kernels;
  /** Element count of each parameter. */
  readonly sizes: readonly number[];
  /** Element offset of each parameter within a slot. */
  readonly offsets: readonly number[];
  /** Floats per slot (sum of padded sizes). */
  readonly stride: number;
  readonly slots: number;

  constructor(sizes: readonly number[], slots: number, backend: KernelBackend = 'auto') {
    for (const [k, n] of sizes.entries()) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`parameter ${k}: size must be an integer >= 0, got ${n}.`);
    }
    const offsets: number[] = [];
    let stride = 0;
    for (const n of sizes) {
      offsets.push(stride);
      stride += Math.ceil(n / 4) * 4;
    }
    this.sizes = [...sizes];
    this.offsets = offsets;
    this.stride = stride;
    this.slots = slots;
    const bytes = slots * stride * 4;
    const wasm = backend === 'js' ? undefined : wasmMemoryWithKernels(bytes);
    if (backend === 'wasm' && !wasm) throw new RangeError(`backend 'wasm' is unavailable here (no WebAssembly SIMD, or ${bytes} bytes exceed 4 GiB); use 'auto' or 'js'.`);
    this.f32 = wasm ? new Float32Array(wasm.memory.buffer, 0, bytes / 4) : new Float32Array(bytes / 4);
    this.kernels = wasm ? wasmKernels(wasm.kernels) : jsKernels(this.f32);
  }

  /** Element offset of parameter `k` in `slot`. */
  at(slot: number, k: number): number {
    return slot * this.stride + this.offsets[k]!;
  }

  /** Padded element count of parameter `k` (what kernels walk). */
  padded(k: number): number {
    return Math.ceil(this.sizes[k]! / 4) * 4;
  }

  /** Parameter `k`'s region of `slot`, as a view (exact size, no padding). */
  view(slot: number, k: number): Float32Array {
    const o = this.at(slot, k);
    return this.f32.subarray(o, o + this.sizes[k]!);
  }

  /** True when `a` is exactly the view {@link view}(slot, k) (same memory, offset and length). */
  isView(a: Float32Array, slot: number, k: number): boolean {
    return a.buffer === this.f32.buffer && a.byteOffset === this.f32.byteOffset + 4 * this.at(slot, k) && a.length === this.sizes[k];
  }
}
