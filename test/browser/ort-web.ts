/**
 * Running ONNX models with onnxruntime-web (wasm backend, one thread) in headless Chromium: a page served from
 * 127.0.0.1 imports `ort.wasm.min.mjs` from the package's dist folder, fetches a model and a float32 input, and
 * returns the first output. The page is the plain-script example of docs/DEPLOY.md.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { serveFiles, watchedPage, type StaticServer, type WatchedPage } from './harness.js';

/** onnxruntime-web's dist folder (the .mjs bundles and the .wasm binaries). */
export const ORT_WEB_DIST = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));

/** The page: what a site deploying a model with onnxruntime-web from a plain `<script type="module">` serves. */
export const ORT_WEB_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>onnxruntime-web</title></head>
<body>
<script type="module">
import * as ort from '/ort/ort.wasm.min.mjs';
ort.env.wasm.wasmPaths = '/ort/';   // where ort-wasm-simd-threaded.{mjs,wasm} are served
ort.env.wasm.numThreads = 1;        // more threads need cross-origin isolation (COOP/COEP headers)

window.runModel = async (modelUrl, inputUrl, dims) => {
  const session = await ort.InferenceSession.create(modelUrl, { executionProviders: ['wasm'] });
  const pixels = new Float32Array(await (await fetch(inputUrl)).arrayBuffer());
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', pixels, dims) };
  const output = (await session.run(feeds))[session.outputNames[0]];
  const result = { dims: [...output.dims], data: Array.from(output.data) };
  await session.release();
  return result;
};
window.ortReady = true;
</script>
</body></html>
`;

/** A page ready to run models from one folder. */
export interface OrtWebPage {
  readonly watch: WatchedPage;
  /** Runs `model` (a file in the folder) on `input` with shape `dims`; returns the first output. */
  run(model: string, input: Float32Array, dims: readonly number[]): Promise<{ dims: number[]; data: Float32Array }>;
  close(): Promise<void>;
}

let inputs = 0;

/**
 * Serves the page, onnxruntime-web's dist folder under `/ort/` and `dir` under `/files/` from 127.0.0.1, and opens
 * the page; it may fetch nothing else.
 *
 * @example
 * ```ts
 * const ortWeb = await openOrtWeb(browser, dir);
 * const { data } = await ortWeb.run('model.onnx', pixels, [64, 1, 28, 28]);
 * ```
 */
export async function openOrtWeb(browser: Browser, dir: string): Promise<OrtWebPage> {
  const server: StaticServer = await serveFiles({
    '/': { body: ORT_WEB_PAGE, type: 'text/html; charset=utf-8' },
    '/ort/': { dir: ORT_WEB_DIST },
    '/files/': { dir },
  });
  const watch = await watchedPage(browser, [`${server.origin}/`]);
  await watch.page.goto(`${server.origin}/`);
  await watch.page.waitForFunction('window.ortReady === true', undefined, { timeout: 20_000 });
  return {
    watch,
    async run(model, input, dims) {
      const name = `input-${process.pid}-${inputs++}.bin`;
      await writeFile(join(dir, name), new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
      const call = `window.runModel(${JSON.stringify(`/files/${model}`)}, ${JSON.stringify(`/files/${name}`)}, ${JSON.stringify(dims)})`;
      const r = (await watch.page.evaluate(call)) as { dims: number[]; data: number[] };
      return { dims: r.dims, data: Float32Array.from(r.data) };
    },
    async close() {
      await watch.page.close();
      await server.close();
    },
  };
}
