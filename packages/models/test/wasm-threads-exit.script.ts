/**
 * Run by wasm-threads.test.ts in a fresh process: sets up the wasm backend on 2 threads, runs a product
 * large enough to be split, prints the thread status and the result's checksum as JSON, and returns
 * without `process.exit`: the process must end on its own (idle workers are unref'd). With `stop` as
 * argument it stops the workers first.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { threadedGemmCalls } from '../src/kernels/wasm/gemm-threaded';
import { stopThreads, threadStatus } from '../src/threads/index';

await initBackend('wasm', { threads: 2 });
const status = threadStatus();
const a = tf.randomUniform([256, 256], -1, 1, 'float32', 1);
const c = tf.matMul(a, a);
const sum = tf.sum(c).dataSync()[0];
tf.dispose([a, c]);
if (process.argv.includes('stop')) stopThreads();
process.stdout.write(`${JSON.stringify({ status, sum, threaded: threadedGemmCalls() })}\n`);
