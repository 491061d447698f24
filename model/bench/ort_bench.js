#!/usr/bin/env node
// ort_bench.js: time ONNX Runtime (onnxruntime-node, CPU, 1 thread or
// THREADS intra-op threads) on a model, for side-by-side numbers in
// `make bench-cpu`.
// Usage: node ort_bench.js MODEL.onnx INPUT.bin|photo [RUNS] [THREADS]
// The input is raw little-endian float32 of the model's input size; without
// one, a seeded pseudo-random input is used (timing does not depend on it).
// Prints: ort-node-<THREADS>t <model> median-ms <m> min-ms <a> max-ms <b>
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inputPath, runsArg, threadsArg] = process.argv.slice(2);
  if (!modelPath) {
    console.error('usage: node ort_bench.js MODEL.onnx [INPUT.bin] [RUNS]');
    process.exit(2);
  }
  const runs = parseInt(runsArg || '20', 10);
  const threads = parseInt(threadsArg || '1', 10);
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const name = session.inputNames[0];
  const meta = session.inputMetadata ? session.inputMetadata.find((m) => m.name === name) : null;
  let dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1)) : [1, 3, 224, 224];
  const count = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  if (inputPath && inputPath !== '-') {
    const buf = fs.readFileSync(inputPath);
    if (buf.length !== count * 4) throw new Error(`${inputPath}: ${buf.length} bytes, model needs ${count * 4}`);
    for (let i = 0; i < count; i++) data[i] = buf.readFloatLE(i * 4);
  } else {
    let s = 12345;
    for (let i = 0; i < count; i++) { s = (s * 1103515245 + 12345) % 2147483648; data[i] = s / 2147483648 - 0.5; }
  }
  const feeds = { [name]: new ort.Tensor('float32', data, dims) };
  await session.run(feeds); // warm-up
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const label = path.basename(path.dirname(modelPath));
  console.log(`ort-node-${threads}t ${label} median-ms ${times[Math.floor(times.length / 2)].toFixed(2)} min-ms ${times[0].toFixed(2)} max-ms ${times[times.length - 1].toFixed(2)}`);
}

main().catch((e) => { console.error(`ort_bench: ${e.message}`); process.exit(1); });
