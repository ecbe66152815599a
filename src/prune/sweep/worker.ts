/**
 * Entry of a sensitivity worker thread: one onnxruntime session for the whole sweep. Posts `ready` with the dense
 * metrics, then answers each job (a layer and its mask) with the metrics of that layer pruned alone.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSession } from '../../runtime/index.js';
import { maskedCopy, SweepEvaluator, type WeightArray } from './evaluator.js';
import { WORKER_KIND, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';

async function main(port: NonNullable<typeof parentPort>, init: WorkerInit): Promise<void> {
  const post = (m: FromWorker): void => port.postMessage(m);
  const session = await createSession(init.model, { threads: 1 });
  const ev = new SweepEvaluator(session, init.data, init.setup);
  const weights = new Map(init.setup.weights.map((w) => [w.name, w.tensor.data as WeightArray]));
  post({ type: 'ready', dense: await ev.reference() });
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') {
      void session.release().then(() => port.close());
      return;
    }
    const dense = weights.get(msg.layer);
    const run = dense ? ev.run({ name: msg.layer, data: maskedCopy(dense, msg.mask) }) : Promise.reject(new Error(`unknown layer '${msg.layer}'`));
    run.then((metrics) => post({ type: 'result', id: msg.id, metrics }), (e: unknown) => post({ type: 'error', message: (e as Error).message }));
  });
}

if (parentPort && (workerData as Partial<WorkerInit> | null)?.kind === WORKER_KIND) {
  const port = parentPort;
  main(port, workerData as WorkerInit).catch((e: unknown) => port.postMessage({ type: 'error', message: (e as Error).message } satisfies FromWorker));
}
