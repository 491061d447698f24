#!/usr/bin/env node
// ort.mjs: the opset sweep's reference outputs from ONNX Runtime
// (onnxruntime-node 1.30.0, CPU, graph optimizations disabled, one thread).
//
// It reads <dir>/manifest.json and the models beside it, written by
// `go run ./model/cpu/internal/opsets/gen`, runs every case and writes the
// golden file (model/cpu/testdata/opsets/golden.json by default), one line
// per case: its hash (which ties it to the Go table), and per output the
// name, ORT's element type, dims and values. Floats are written in the
// fewest digits that read back as the same float32 ("NaN", "Inf", "-Inf"
// as strings); float16 outputs are converted to their values, float64 ones
// rounded to float32 (the engine computes in float32); integers and bools
// (0/1) exactly. A variant built at several opsets has the same inputs at
// each (see package opsets): where ORT's outputs are the same as at an
// earlier opset the case says "same_as" that case instead of repeating
// them, so the file also shows where the semantics changed. For a case
// the engine cannot run (marked in the table) it records only that ORT
// runs it. A case ORT
// cannot load or run goes to "refused" with the first line of its error. `make opsets-golden` runs gen and then this.
//
// Usage: node ort.mjs [--dir .cache/opsets] [--out model/cpu/testdata/opsets/golden.json]
// onnxruntime-node comes from testdata/corpus/node_modules (npm ci --ignore-scripts there).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../../..');
const require = createRequire(path.join(root, 'testdata/corpus/package.json'));
const ort = require('onnxruntime-node');

const args = { dir: path.join(root, '.cache/opsets'), out: path.join(here, 'golden.json') };
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--dir') args.dir = process.argv[++i];
  else if (process.argv[i] === '--out') args.out = process.argv[++i];
  else throw new Error(`unknown argument ${process.argv[i]}`);
}

function inputTensor(inp) {
  const n = inp.data.length;
  switch (inp.type) {
    case 'float32': {
      const bits = Uint32Array.from(inp.data);
      return new ort.Tensor('float32', new Float32Array(bits.buffer), inp.dims);
    }
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(inp.data, (s) => BigInt(s)), inp.dims);
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from(inp.data), inp.dims);
  }
  throw new Error(`input ${inp.name}: type ${inp.type} (${n} values)`);
}

// The fewest significant digits that read back as the same float32.
function f32(v) {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Inf';
  if (v === -Infinity) return '-Inf';
  v = Math.fround(v);
  if (Object.is(v, -0)) return 0;
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return s;
  }
  return v;
}

function half(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  if (exp === 0) return sign * frac * 2 ** -24;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function outputValues(t) {
  switch (t.type) {
    case 'float32':
    case 'float64':
      return Array.from(t.data, f32);
    case 'float16':
      // Uint16Array of the half bit patterns (or Float16Array where Node has it).
      return Array.from(t.data, (h) => f32(t.data instanceof Uint16Array ? half(h) : h));
    case 'int64':
    case 'uint64':
      return Array.from(t.data, (b) => (b >= -(2n ** 53n) && b <= 2n ** 53n ? Number(b) : String(b)));
    case 'bool':
      return Array.from(t.data, (b) => (b ? 1 : 0));
    case 'string':
      return Array.from(t.data);
    default: // the narrower integer types
      return Array.from(t.data, Number);
  }
}

function firstLine(e) {
  // Without the models' directory, so that the file is the same wherever it was made.
  return String((e && e.message) || e).split('\n')[0].replaceAll(args.dir + path.sep, '').slice(0, 400);
}

async function runCase(c) {
  const session = await ort.InferenceSession.create(path.join(args.dir, c.file), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'disabled',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: 3, // errors only: not the shape-inference warnings of the ceil_mode cases
  });
  try {
    const feeds = {};
    for (const inp of c.inputs) feeds[inp.name] = inputTensor(inp);
    const res = await session.run(feeds);
    return c.outputs.map((name) => {
      const t = res[name];
      if (!t) throw new Error(`no output ${name}`);
      return { name, type: t.type, dims: Array.from(t.dims, Number), data: outputValues(t) };
    });
  } finally {
    if (typeof session.release === 'function') await session.release();
  }
}

const manifest = JSON.parse(fs.readFileSync(path.join(args.dir, 'manifest.json'), 'utf8'));
const version = (ort.env.versions && (ort.env.versions.node || ort.env.versions.common)) || 'unknown';
const cases = [];
const refused = [];
const seen = new Map(); // op/variant/outputs -> the first case with them
for (const c of manifest) {
  try {
    const outputs = await runCase(c);
    if (c.engine_fails) {
      // The engine cannot run it (the table says why): ORT's outputs are
      // not needed, and some are random (training-mode Dropout).
      cases.push({ name: c.name, hash: c.hash, engine_fails: true });
      continue;
    }
    const key = `${c.op}/${c.variant}/${JSON.stringify(outputs)}`;
    if (seen.has(key)) {
      cases.push({ name: c.name, hash: c.hash, same_as: seen.get(key) });
    } else {
      seen.set(key, c.name);
      cases.push({ name: c.name, hash: c.hash, outputs });
    }
  } catch (e) {
    refused.push({ name: c.name, hash: c.hash, error: firstLine(e) });
  }
}

const lines = [];
lines.push('{');
lines.push(`"ort": ${JSON.stringify(version)},`);
lines.push('"generator": "make opsets-golden (model/cpu/internal/opsets/gen, model/cpu/testdata/opsets/ort.mjs)",');
lines.push('"cases": [');
cases.forEach((c, i) => lines.push(JSON.stringify(c) + (i < cases.length - 1 ? ',' : '')));
lines.push('],');
lines.push('"refused": [');
refused.forEach((c, i) => lines.push(JSON.stringify(c) + (i < refused.length - 1 ? ',' : '')));
lines.push(']');
lines.push('}');
fs.writeFileSync(args.out, lines.join('\n') + '\n');
console.log(`ort ${version}: ${cases.length} cases, ${refused.length} refused -> ${path.relative(process.cwd(), args.out)}`);
