/**
 * ONNX codec benchmark: a ~120 MB model (Gemm layers 2048x2048 float32 plus thousands of small nodes) built in
 * memory and saved, then each operation timed (median of 5) in its own child process, so that its peak RSS
 * (`process.resourceUsage().maxRSS`) is its own. Run: `npx tsx bench/codec.ts`. Prints a Markdown table. Not a test;
 * timings depend on the machine.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Graph, createModel, type Model } from '../src/ir/graph.js';
import { Tensor } from '../src/ir/tensor.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../src/onnx/index.js';

const LAYERS = 7;
const WIDTH = 2048;
const SMALL = 4000;
const RUNS = 5;

function buildModel(): Model {
  const g = new Graph('bench');
  let x = g.addInput('x', 'float32', ['N', WIDTH]);
  for (let l = 0; l < LAYERS; l++) {
    const w = new Float32Array(WIDTH * WIDTH);
    for (let i = 0; i < w.length; i++) w[i] = Math.sin(i * 0.001 + l);
    const W = g.addInitializer(`W${l}`, Tensor.fromTyped('float32', [WIDTH, WIDTH], w));
    const B = g.addInitializer(`B${l}`, Tensor.fromTyped('float32', [WIDTH], new Float32Array(WIDTH).fill(0.01)));
    x = g.addNode('Gemm', [x, W, B], { name: `gemm${l}`, attributes: { transB: { type: 'int', value: 1 } } }).output(0)!;
  }
  const int64 = (name: string, v: number) => g.addInitializer(name, Tensor.fromArray('int64', [1], [v]));
  let h = g.addNode('Slice', [x, int64('s0', 0), int64('s1', 16), int64('ax', 1)]).output(0)!;
  for (let i = 0; i < SMALL; i++) {
    const c = g.addInitializer(`c${i}`, Tensor.fromTyped('float32', [16], new Float32Array(16).fill(i / SMALL)));
    const add = g.addNode('Add', [h, c], { name: `add${i}` }).output(0)!;
    add.dtype = 'float32';
    add.shape = ['N', 16];
    h = g.addNode(i % 2 ? 'Relu' : 'Tanh', [add], { name: `act${i}` }).output(0)!;
  }
  h.dtype = 'float32';
  h.shape = ['N', 16];
  g.outputs.push(h);
  return createModel(g, 17);
}

/** Each operation: a setup (not measured) and the measured step. */
const OPS: Record<string, (dir: string) => Promise<() => unknown>> = {
  'decodeModel (bytes in memory)': async (dir) => {
    const bytes = fs.readFileSync(path.join(dir, 'inline.onnx'));
    return () => decodeModel(bytes);
  },
  'encodeModel (to one buffer)': async (dir) => {
    const model = await loadModel(path.join(dir, 'inline.onnx'));
    return () => encodeModel(model);
  },
  'saveModel (inline)': async (dir) => {
    const model = await loadModel(path.join(dir, 'inline.onnx'));
    return () => saveModel(model, path.join(dir, 'out.onnx'));
  },
  'saveModel (externalData)': async (dir) => {
    const model = await loadModel(path.join(dir, 'inline.onnx'));
    return () => saveModel(model, path.join(dir, 'out-ext.onnx'), { externalData: true });
  },
  'saveModel (lazy external -> externalData, streamed)': async (dir) => {
    const model = await loadModel(path.join(dir, 'external.onnx'));
    return () => saveModel(model, path.join(dir, 'copy.onnx'), { externalData: true });
  },
  'loadModel (inline)': async (dir) => () => loadModel(path.join(dir, 'inline.onnx')),
  'loadModel (external, lazy)': async (dir) => () => loadModel(path.join(dir, 'external.onnx')),
  'loadModel (external) + read every tensor': async (dir) => async () => {
    const m = await loadModel(path.join(dir, 'external.onnx'));
    for (const v of m.graph.initializers) v.constant!.bytes();
    return m;
  },
};

/** Peak RSS since the last `resetPeak()`: VmHWM on Linux (getrusage's maxRSS also counts the parent's RSS at fork). */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS * 1024;
}

function resetPeak(): void {
  try { fs.writeFileSync('/proc/self/clear_refs', '5'); } catch { /* not Linux: the peak then includes the setup */ }
}

interface Result { times: number[]; baseline: number; first: number; peak: number }

async function child(op: string, dir: string): Promise<void> {
  const step = await OPS[op]!(dir);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  resetPeak();
  const baseline = process.memoryUsage().rss;
  const times: number[] = [];
  let first = 0;
  for (let r = 0; r < RUNS; r++) {
    gc?.(); // garbage of the previous run should not count as this run's peak (the allocator may still lag)
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
    if (r === 0) first = peakRss();
  }
  const result: Result = { times, baseline, first, peak: peakRss() };
  console.log(JSON.stringify(result));
}

const mib = (b: number): string => (b / 2 ** 20).toFixed(0);
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function prepare(dir: string): Promise<void> {
  const model = buildModel();
  const size = encodeModel(model).length;
  await saveModel(model, path.join(dir, 'inline.onnx'));
  await saveModel(model, path.join(dir, 'external.onnx'), { externalData: true });
  console.log(JSON.stringify({ nodes: model.graph.nodes.length, initializers: model.graph.initializers.length, size }));
}

/** Runs this script in a fresh process (the parent stays small, so children do not inherit a large RSS). */
function spawnSelf(args: string[]): string {
  const self = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', self, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`${args.join(' ')} failed:\n${run.stderr}`);
  return run.stdout.trim().split('\n').pop()!;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secateurs-bench-'));
  const info = JSON.parse(spawnSelf(['--prepare', dir])) as { nodes: number; initializers: number; size: number };
  console.log(`model: ${info.nodes} nodes, ${info.initializers} initializers, ${(info.size / 1e6).toFixed(1)} MB (${mib(info.size)} MiB); ` +
    `Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}; median of ${RUNS}, each operation in its own process\n`);
  console.log('| operation | median ms | min ms | max ms | MiB/s | RSS before (MiB) | peak, 1st run (MiB) | peak, 5 runs (MiB) | 1st-run peak - before |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const op of Object.keys(OPS)) {
    const r = JSON.parse(spawnSelf(['--child', op, dir])) as Result;
    const m = median(r.times);
    console.log(`| ${op} | ${m.toFixed(1)} | ${Math.min(...r.times).toFixed(1)} | ${Math.max(...r.times).toFixed(1)} | ${(info.size / 2 ** 20 / (m / 1000)).toFixed(0)} | ${mib(r.baseline)} | ${mib(r.first)} | ${mib(r.peak)} | ${mib(r.first - r.baseline)} |`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

const at = process.argv.indexOf('--child');
const prep = process.argv.indexOf('--prepare');
if (at >= 0) await child(process.argv[at + 1]!, process.argv[at + 2]!);
else if (prep >= 0) await prepare(process.argv[prep + 1]!);
else await main();
