#!/usr/bin/env node
// ort_run.js ROOT case...: runs ROOT/<case>/model.onnx in onnxruntime-node
// (from testdata/corpus/node_modules; graph optimisations off, one thread)
// on the inputs meta.json names (input_K.bin, raw little-endian) and writes
// every output as output_K.bin (float32) with its shape in outputs.json.
// Inputs may also be int8, uint8 or int32 (make_quant.py); an output of an
// integer type is written raw in its type, with the type in outputs.json.
// A case ORT refuses is recorded in outputs.json as {"error": ...}.
'use strict';
const fs = require('fs');
const path = require('path');

const corpus = path.join(__dirname, '..', '..', '..', '..', 'testdata', 'corpus');
const ort = require(require.resolve('onnxruntime-node', { paths: [corpus] }));

async function runCase(root, name) {
  const dir = path.join(root, name);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  const feeds = {};
  meta.inputs.forEach((inp, k) => {
    const buf = fs.readFileSync(path.join(dir, `input_${k}.bin`));
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    const Arr = { int64: BigInt64Array, int32: Int32Array, int8: Int8Array, uint8: Uint8Array }[inp.type] || Float32Array;
    const data = new Arr(ab);
    feeds[inp.name] = new ort.Tensor(inp.type, data, inp.shape);
  });
  let rec;
  try {
    const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), {
      executionProviders: ['cpu'], graphOptimizationLevel: 'disabled',
      intraOpNumThreads: 1, interOpNumThreads: 1,
    });
    const res = await session.run(feeds);
    rec = { outputs: [] };
    session.outputNames.forEach((o, k) => {
      const y = res[o];
      if (!['float32', 'int8', 'uint8', 'int32'].includes(y.type)) throw new Error(`output ${o} is ${y.type}`);
      fs.writeFileSync(path.join(dir, `output_${k}.bin`), Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
      const rec1 = { name: o, shape: Array.from(y.dims) };
      if (y.type !== 'float32') rec1.type = y.type;
      rec.outputs.push(rec1);
    });
  } catch (e) {
    rec = { error: String(e.message || e).split('\n')[0] };
  }
  fs.writeFileSync(path.join(dir, 'outputs.json'), JSON.stringify(rec, null, 1));
  console.log(`${name}: ${rec.error ? 'ORT error: ' + rec.error : 'ok'}`);
}

(async () => {
  const [root, ...names] = process.argv.slice(2);
  for (const n of names) await runCase(root, n);
})().catch((e) => { console.error(e); process.exit(1); });
