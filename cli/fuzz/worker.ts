/** A fuzz worker thread: runs the tasks the pool sends, one at a time. */
import { parentPort } from 'node:worker_threads';
import type { ToWorker } from './messages.js';
import { runTask } from './task.js';

const port = parentPort;
if (!port) throw new Error('cli/fuzz/worker.ts runs as a worker thread of lusim fuzz');
port.on('message', (task: ToWorker) => { void runTask(task, (m) => port.postMessage(m)); });
