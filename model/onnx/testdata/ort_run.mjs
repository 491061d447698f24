#!/usr/bin/env node
// ort_run.mjs: runs one ONNX model in ONNX Runtime (onnxruntime-node, CPU,
// one thread) on one float32 input, for head_test.go.
//
// Usage: node ort_run.mjs <model.onnx> <input.bin> <shape, e.g. 1,3,128,128> <output.bin>
//
// input.bin holds the input's float32 values, little-endian, row-major; the
// model's first output is written to output.bin the same way.
// onnxruntime-node comes from testdata/corpus/node_modules (npm ci --ignore-scripts there).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const require = createRequire(path.join(root, 'testdata/corpus/package.json'));
const ort = require('onnxruntime-node');

const [modelPath, inputPath, shapeArg, outputPath] = process.argv.slice(2);
if (!outputPath) {
  console.error('usage: node ort_run.mjs <model.onnx> <input.bin> <shape> <output.bin>');
  process.exit(2);
}
const dims = shapeArg.split(',').map(Number);
const buf = fs.readFileSync(inputPath);
const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));

const session = await ort.InferenceSession.create(modelPath, {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  logSeverityLevel: 3,
});
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
const res = await session.run(feeds);
const out = res[session.outputNames[0]];
if (out.type !== 'float32') throw new Error(`output ${session.outputNames[0]} is ${out.type}, not float32`);
fs.writeFileSync(outputPath, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
console.log(`${session.outputNames[0]} [${out.dims.join(',')}]`);
