#!/usr/bin/env node
// ort_ref.js: the corpus's reference outputs from ONNX Runtime (onnxruntime-node 1.30.0, CPU).
// Adapted from the shared zoo's ort_ref.js.
//
// For every model folder named on the command line (relative to --root) it reads
// <dir>/meta.json (input/output names and shapes, number of cases) and <dir>/input_K.bin
// (raw little-endian float32), and runs the model with one intra-op / inter-op thread:
//   - graphOptimizationLevel "disabled" -> <dir>/output_K.bin                  (the reference)
//   - graphOptimizationLevel "all"      -> <work>/<dir>/ort_all_output_K.bin   (cross-check only)
// A model ORT cannot load or run is recorded with its error in the --info JSON and the
// others go on. make_corpus.py calls it.
//
// Usage: node ort_ref.js --root DIR --work DIR --info FILE dir...
// onnxruntime-node comes from ./node_modules (npm ci --ignore-scripts here).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const ort = require(require.resolve('onnxruntime-node', { paths: [__dirname] }));

function parseArgs(argv) {
  const a = { root: process.cwd(), work: null, info: null, names: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root') a.root = argv[++i];
    else if (argv[i] === '--work') a.work = argv[++i];
    else if (argv[i] === '--info') a.info = argv[++i];
    else a.names.push(argv[i]);
  }
  if (!a.work) a.work = path.join(a.root, '.work');
  return a;
}

function readF32(file, count) {
  const buf = fs.readFileSync(file);
  if (buf.length !== count * 4) throw new Error(`${file}: ${buf.length} bytes, expected ${count * 4}`);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}

function writeF32(file, data) {
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

async function runOne(args, name, version) {
  const dir = path.join(args.root, name);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  const ishape = meta.input.shape;
  const icount = ishape.reduce((p, v) => p * v, 1);
  const rec = { version, levels: {} };
  for (const level of ['disabled', 'all']) {
    const t0 = Date.now();
    const session = await ort.InferenceSession.create(path.join(dir, meta.file), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: level,
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
    const tLoad = Date.now() - t0;
    if (session.inputNames.length !== 1 || session.inputNames[0] !== meta.input.name) {
      throw new Error(`inputs ${session.inputNames}`);
    }
    const runMs = [];
    for (let k = 0; k < meta.num_cases; k++) {
      const x = readF32(path.join(dir, `input_${k}.bin`), icount);
      const t1 = Date.now();
      const res = await session.run({ [meta.input.name]: new ort.Tensor('float32', x, ishape) });
      runMs.push(Date.now() - t1);
      const y = res[meta.output.name];
      if (!y || y.type !== 'float32') throw new Error(`no float32 output ${meta.output.name}`);
      rec.output_dims = Array.from(y.dims);
      const outFile = level === 'disabled'
        ? path.join(dir, `output_${k}.bin`)
        : path.join(args.work, name, `ort_all_output_${k}.bin`);
      fs.mkdirSync(path.dirname(outFile), { recursive: true });
      writeF32(outFile, y.data);
    }
    rec.levels[level] = { load_ms: tLoad, run_ms: runMs };
    if (typeof session.release === 'function') await session.release();
  }
  return rec;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const version = (ort.env.versions && (ort.env.versions.node || ort.env.versions.common)) || 'unknown';
  const info = {};
  for (const name of args.names) {
    try {
      const rec = await runOne(args, name, version);
      info[name] = rec;
      console.log(`ort ${version} ${name}: out ${JSON.stringify(rec.output_dims)} ` +
        `run ms disabled=${rec.levels.disabled.run_ms} all=${rec.levels.all.run_ms}`);
    } catch (e) {
      const msg = String((e && e.message) || e).split('\n')[0];
      info[name] = { version, error: msg };
      console.log(`ort ${version} ${name}: FAILED ${msg}`);
    }
  }
  if (args.info) fs.writeFileSync(args.info, JSON.stringify(info, null, 2));
}

if (os.endianness() !== 'LE') throw new Error('big-endian host: the .bin files are little-endian');
main().catch((e) => { console.error(e); process.exit(1); });
