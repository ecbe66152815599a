// A TypeScript-only worker entry (type annotations would not parse as plain JavaScript).
import { parentPort, workerData } from 'node:worker_threads';

const n: number = (workerData as { n: number }).n;
parentPort!.postMessage({ doubled: n * 2 } satisfies { doubled: number });
