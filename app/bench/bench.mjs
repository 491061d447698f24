#!/usr/bin/env node
// make bench: Glimpse beside onnxruntime-web 1.30 in Debian's headless
// Chromium, one page session, same ONNX files and input. Prints a table and
// ratio lines and writes JSON into bench-results/. Asserts no numbers.
//
//   node bench.mjs [--runs N] [--models a,b] [--smoke] [--no-webgpu]
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const shared = path.resolve(root, process.env.SHARED || '../shared');
const staticDir = path.resolve(root, process.env.GLIMPSE_STATIC || 'static');

const args = process.argv.slice(2);
const flag = (n) => args.includes(n);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const smoke = flag('--smoke');
// --only load: just the load section (first visit, repeat, phone, embed);
// --only main: the main thread and the pool; --only train: training.
const only = opt('--only', '');
const runs = Number(opt('--runs', smoke ? 2 : 20));
// WebGPU here is SwiftShader (seconds per run): fewer runs, reported as such.
const gpuRuns = Number(opt('--gpu-runs', 3));
const webgpu = !flag('--no-webgpu') && !smoke;
// Every shared model: the default, the small MobileNet (128×128 input) and
// the whole zoo (seeded random weights: speed does not depend on them).
const allModels = {
  'mobilenet_v2_1.0_224': path.join(shared, 'models/mobilenet_v2_1.0_224/model.onnx'),
  'mobilenet_v1_0.25_128': path.join(shared, 'models/mobilenet_v1_0.25_128/model.onnx'),
};
for (const z of fs.existsSync(path.join(shared, 'zoo')) ? fs.readdirSync(path.join(shared, 'zoo')).sort() : []) {
  if (fs.existsSync(path.join(shared, 'zoo', z, 'model.onnx'))) allModels[z] = path.join(shared, 'zoo', z, 'model.onnx');
}
// The default model quantized by glimpse quantize (QDQ, int8), when make
// bench wrote it.
const int8 = path.join(root, '.cache/bench/mobilenet_v2_int8.onnx');
if (fs.existsSync(int8)) allModels.mobilenet_v2_int8 = int8;
const inputSide = (m) => (/_128$/.test(m) ? 128 : 224);
const models = opt('--models', smoke ? 'squeezenet1_1' : Object.keys(allModels).join(',')).split(',');
for (const m of models) if (!allModels[m]) { console.error(`bench: unknown model ${m}`); process.exit(2); }
if (!fs.existsSync(path.join(staticDir, 'web/app.wasm'))) { console.error(`bench: ${staticDir} has no app: run make static`); process.exit(1); }

const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.onnx': 'application/octet-stream', '.txt': 'text/plain',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.webmanifest': 'application/manifest+json' };

// Routes: the static site at /, the bench page at /bench/, onnxruntime-web
// at /ort/, models at /models/NAME/model.onnx. COOP/COEP make the page
// cross-origin isolated, which ORT's threads need.
function resolve(p) {
  if (p.startsWith('/bench/')) return path.join(here, 'page', p.slice(7) || 'index.html');
  if (p.startsWith('/ort/')) return path.join(here, 'node_modules/onnxruntime-web/dist', p.slice(5));
  const m = p.match(/^\/models\/([^/]+)\/model\.onnx$/);
  if (m) return allModels[m[1]];
  return path.join(staticDir, p === '/' ? 'index.html' : p);
}
const server = http.createServer((req, res) => {
  const file = resolve(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  fs.readFile(file || '', (err, data) => {
    const h = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };
    if (err) { res.writeHead(404, h).end(); return; }
    res.writeHead(200, { ...h, 'Content-Type': types[path.extname(file)] || 'application/octet-stream', 'Content-Length': data.length });
    res.end(data);
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

async function browser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'glimpse-bench-'));
  const flags = ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-quic'];
  if (webgpu) flags.push('--enable-unsafe-webgpu');
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, ignoreDefaultArgs: ['--enable-unsafe-swiftshader'], args: flags });
  return { ctx, close: async () => { await ctx.close(); fs.rmSync(profile, { recursive: true, force: true }); } };
}

const stats = (t) => {
  const s = [...t].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};

const results = { date: new Date().toISOString(), runs, chromium: '', rows: [], ratios: [], coldStart: null, sizes: {} };
const b = only && only !== 'rows' ? null : await browser();
if (b) try {
  const page = b.ctx.pages()[0] || (await b.ctx.newPage());
  results.chromium = b.ctx.browser()?.version() || '';
  await page.goto(`${base}/bench/index.html`);
  await page.evaluate(() => window.bench.booted());
  results.crossOriginIsolated = await page.evaluate(() => self.crossOriginIsolated);
  results.adapter = await page.evaluate(async () => {
    const a = navigator.gpu && await navigator.gpu.requestAdapter();
    return a ? `${a.info.vendor} ${a.info.architecture}`.trim() : null;
  });
  const engines = [
    ['glimpse-cpu', (u) => page.evaluate(([u, n]) => bench.runGlimpse(u, n, 'cpu'), [u, runs])],
    ['glimpse-webgpu', (u) => webgpu ? page.evaluate(([u, n]) => bench.runGlimpse(u, n, 'webgpu'), [u, gpuRuns]) : { skipped: 'WebGPU off' }],
    ['ort-wasm-1t', (u, side) => page.evaluate(([u, n, side]) => bench.runORT(u, n, 1, 'wasm', side), [u, runs, side])],
    ['ort-wasm-2t', (u, side) => page.evaluate(([u, n, side]) => bench.runORT(u, n, 2, 'wasm', side), [u, runs, side])],
    ['ort-webgpu', (u, side) => webgpu ? page.evaluate(([u, n, side]) => bench.runORT(u, n, 1, 'webgpu', side), [u, gpuRuns, side]) : { skipped: 'WebGPU off' }],
  ];
  for (const m of models) {
    for (const [name, run] of engines) {
      const r = await run(`/models/${m}/model.onnx`, inputSide(m));
      const row = { engine: name, model: m };
      if (r.times) Object.assign(row, stats(r.times), { output: r.output });
      if (r.engine && r.engine.every((v) => typeof v === 'number')) row.engineMedian = stats(r.engine).median;
      else row.skipped = r.skipped || r.error;
      results.rows.push(row);
      process.stderr.write(`  ${name} ${m}: ${row.median ? row.median.toFixed(1) + ' ms' : row.skipped}\n`);
    }
  }
  // int8 against float32 on Glimpse's CPU backend, interleaved (the rows
  // above run one model after the other, minutes apart on a shared
  // machine).
  if (models.includes('mobilenet_v2_int8') && models.includes('mobilenet_v2_1.0_224')) {
    const r = await page.evaluate(([n]) => bench.pairGlimpse(['/models/mobilenet_v2_int8/model.onnx', '/models/mobilenet_v2_1.0_224/model.onnx'], n, 5), [Math.max(runs, 10)]);
    results.int8Pair = { int8: stats(r.times[0]), float32: stats(r.times[1]), int8Engine: stats(r.engine[0]), float32Engine: stats(r.engine[1]) };
  }
} finally {
  await b.close();
}

// Load, as a first visitor gets it: the static site behind a server that
// behaves like a static host (gzip, ETag revalidation), a fresh profile
// each time. Bytes on the wire (every request of the page, its workers and
// its service worker), navigation to ready and to the first label, on this
// machine and on a phone profile (CPU 4× slower, 9 Mbit/s, 170 ms round
// trip); a repeat visit; and onnxruntime-web (wasm build, 1 thread) loading
// the same MobileNetV2 on a minimal page, to its first inference.
// Files are compressed once, before any visit, as a static host serves
// them pre-compressed (compressing 11 MB of wasm on the first request would
// be counted against the first visit).
const etags = new Map();
const entry = (file, data) => {
  let e = etags.get(file);
  if (!e || e.size !== data.length) {
    e = { size: data.length, tag: '"' + crypto.createHash('sha256').update(data).digest('hex').slice(0, 16) + '"', gz: zlib.gzipSync(data, { level: 6 }) };
    etags.set(file, e);
  }
  return e;
};
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((f) => f.isDirectory() ? walk(path.join(d, f.name)) : [path.join(d, f.name)]);
for (const f of [...walk(staticDir), ...Object.values(allModels)]) entry(f, fs.readFileSync(f));
const hostServer = http.createServer((req, res) => {
  const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let file = resolve(p);
  if (!p.startsWith('/bench/') && !p.startsWith('/ort/') && !p.startsWith('/models/') && !(fs.existsSync(file) && fs.statSync(file).isFile())) file = path.join(staticDir, 'index.html');
  fs.readFile(file || '', (err, data) => {
    if (err) { res.writeHead(404).end(); return; }
    const e = entry(file, data);
    // CORS, so that the embedding bench page on another origin can load
    // the widget, as a site serving Glimpse for embedding would allow.
    const h = { 'Content-Type': types[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache', ETag: e.tag,
      'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };
    if (req.headers['if-none-match'] === e.tag) { res.writeHead(304, h).end(); return; }
    let body = data;
    if (/gzip/.test(req.headers['accept-encoding'] || '') && !/\.(png|jpg)$/.test(file)) { body = e.gz; h['Content-Encoding'] = 'gzip'; }
    h['Content-Length'] = body.length;
    if (!link) {
      res.writeHead(200, h);
      res.end(body);
      return;
    }
    // The phone's network, for every request (the page's, its workers' and
    // its service worker's, which DevTools throttling would miss): a round
    // trip before the first byte, then one shared 9 Mbit/s link.
    setTimeout(() => {
      res.writeHead(200, h);
      const chunk = 16384;
      let at = 0;
      const next = () => {
        if (at >= body.length) { res.end(); return; }
        const part = body.subarray(at, at + chunk);
        at += part.length;
        const start = Math.max(Date.now(), link.free);
        link.free = start + (part.length * 8 / link.bps) * 1000;
        setTimeout(() => { res.write(part); next(); }, link.free - Date.now());
      };
      next();
    }, link.rtt);
  });
});
let link = null; // set for the phone profile: {rtt ms, bps, free: when the link is next idle}
await new Promise((r) => hostServer.listen(0, '127.0.0.1', r));
const host = `http://127.0.0.1:${hostServer.address().port}`;

async function loadRun(phone, fn, repeat) {
  const c = await browser();
  try {
    const page = c.ctx.pages()[0] || (await c.ctx.newPage());
    let bytes = 0;
    const count = async (r) => { try { const z = await r.sizes(); bytes += z.responseBodySize + z.responseHeadersSize; } catch (e) { /* gone */ } };
    c.ctx.on('requestfinished', count);
    const cdp = await c.ctx.newCDPSession(page);
    link = phone ? { rtt: 170, bps: 9e6, free: 0 } : null;
    // The CPU slowdown reaches the page's main thread only, not workers:
    // with the engine in its worker the phone figure is a lower bound, so
    // it is also measured with the engine on the page (fully slowed).
    if (phone) await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    if (typeof phone === 'string') await page.addInitScript(() => { window.glimpseConfig = { worker: false }; });
    const out = await fn(page);
    await page.waitForTimeout(phone ? 20000 : 6000); // the service worker's precache counts too
    out.bytes = bytes;
    link = null;
    if (repeat) {
      bytes = 0;
      await page.reload();
      out.repeat = await repeat(page);
      out.repeatBytes = bytes;
      // A later visit: by then the browser has usually cached the wasm's
      // compiled code (it does so once the module has run a while).
      await page.waitForTimeout(3000);
      await page.reload();
      out.repeat2 = await repeat(page);
    }
    return out;
  } finally {
    await c.close();
  }
}

const parrot = fs.readFileSync(path.join(shared, 'photos/parrot.jpg')).toString('base64');
const glimpseVisit = async (page) => {
  await page.goto(`${host}/`);
  return page.evaluate(async (b64) => {
    while (!window.glimpse) await new Promise((r) => setTimeout(r, 5));
    await glimpse.ready;
    const ready = performance.now();
    const bin = atob(b64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    await glimpse.classify(new Blob([u8]));
    return { ready, first: performance.now() };
  }, parrot);
};
const glimpseRepeat = (page) => page.evaluate(async () => {
  while (!window.glimpse) await new Promise((r) => setTimeout(r, 5));
  await glimpse.ready;
  return { ready: performance.now() };
});
const ortVisit = async (page) => {
  await page.goto(`${host}/bench/ort.html?threads=1&ep=wasm`);
  return page.evaluate(async () => {
    while (!window.frameReady) await new Promise((r) => setTimeout(r, 5));
    const session = await ort.InferenceSession.create('/models/mobilenet_v2_1.0_224/model.onnx', { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(3 * 224 * 224), [1, 3, 224, 224]) });
    return { first: performance.now(), ok: out[session.outputNames[0]].data.length };
  });
};
// A foreign page (another origin: localhost rather than 127.0.0.1) with
// two <glimpse-classifier> widgets, to both ready and a first label.
const embedVisit = async (page) => {
  await page.goto(`${host.replace('127.0.0.1', 'localhost')}/bench/embed2.html?glimpse=${encodeURIComponent(host)}`);
  return page.evaluate(async (b64) => {
    const w = [...document.querySelectorAll('glimpse-classifier')];
    await Promise.all(w.map((e) => new Promise((res, rej) => {
      if (e.ready) { res(); return; }
      e.addEventListener('glimpse-ready', res, { once: true });
      e.addEventListener('glimpse-error', (ev) => rej(new Error(ev.detail.message)), { once: true });
    })));
    const ready = performance.now();
    const bin = atob(b64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    const r = await w[1].classify(new Blob([u8]));
    return { ready, first: performance.now(), widgets: w.length, label: r.top[0].label };
  }, parrot);
};
results.load = {};
// Each load is measured loadRuns times (fresh profile each) and reported as
// the median of every number (the runs are kept under .runs): one visit on a
// shared machine varies by tens of percent.
const loadRuns = Number(opt('--load-runs', smoke ? 1 : 3));
async function medianRun(...a) {
  const all = [];
  for (let i = 0; i < loadRuns; i++) all.push(await loadRun(...a));
  const out = { runs: all };
  for (const k of Object.keys(all[0])) {
    if (typeof all[0][k] === 'number') out[k] = stats(all.map((r) => r[k])).median;
    else if (all[0][k] && typeof all[0][k] === 'object') {
      out[k] = {};
      for (const kk of Object.keys(all[0][k])) if (typeof all[0][k][kk] === 'number') out[k][kk] = stats(all.map((r) => r[k][kk])).median;
    } else out[k] = all[0][k];
  }
  return out;
}
if (!only || only === 'load') {
for (const [name, phone] of smoke ? [['desktop', false]] : [['desktop', false], ['phone', true]]) {
  results.load['glimpse-' + name] = await medianRun(phone, glimpseVisit, phone ? null : glimpseRepeat);
  if (phone) results.load['glimpse-' + name + '-engine-on-page'] = await medianRun('page', glimpseVisit);
  if (!smoke) results.load['ort-' + name] = await medianRun(phone, ortVisit);
}
results.load['glimpse-embed-two-widgets'] = await medianRun(false, embedVisit);
results.coldStart = { ms: results.load['glimpse-desktop'].first };
}
hostServer.close();

// The main thread and the pool, on the app's own page: photos classified
// one after another with the engine in its worker and on the page
// (glimpseConfig.worker = false), counting the main thread's long tasks
// (over 50 ms) at normal speed and with the CPU 4× slower; then tagging
// with one engine and with the pool. Numbers are reported, never asserted.
if (!only || only === "main") {
  const files = fs.readdirSync(path.join(shared, 'photos')).filter((f) => /\.(jpg|png|bmp)$/.test(f)).sort();
  const photos = files.map((f) => fs.readFileSync(path.join(shared, 'photos', f)).toString('base64'));
  const n = smoke ? 4 : 20, tagN = smoke ? 4 : 28;
  results.mainThread = [];
  for (const mode of ['worker', 'page']) {
    const c = await browser();
    try {
      const page = c.ctx.pages()[0] || (await c.ctx.newPage());
      await page.addInitScript((m) => {
        if (m === 'page') window.glimpseConfig = { worker: false };
        window.__longtasks = [];
        new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push({ start: e.startTime, ms: e.duration }); })
          .observe({ type: 'longtask', buffered: true });
        window.__blobs = (list) => list.map((s) => { const b = atob(s); const u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return new Blob([u]); });
      }, mode);
      await page.goto(`${base}/`);
      await page.evaluate(() => glimpse.ready);
      const classifyN = () => page.evaluate(async ([list, n]) => {
        const blobs = __blobs(list);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await glimpse.classify(blobs[i % blobs.length]);
        await new Promise((r) => setTimeout(r, 100));
        const lt = window.__longtasks.filter((e) => e.start >= t0);
        return { n: lt.length, max: Math.max(0, ...lt.map((e) => e.ms)), seconds: (performance.now() - t0) / 1000 - 0.1 };
      }, [photos, n]);
      await classifyN(); // warm-up
      const normal = await classifyN();
      const cdp = await c.ctx.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      const slow = await classifyN();
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
      const row = { engine: mode, photos: n, normal, slow };
      if (mode === 'worker') {
        row.pool = await page.evaluate(async ([list, n]) => {
          const blobs = __blobs(list);
          const items = Array.from({ length: n }, (_, i) => ({ file: new File([blobs[i % blobs.length]], i + '.img'), path: i + '.img' }));
          const run = (lanes) => new glimpseTagging.Queue(items, { top: 3, persist: false, lanes }, {}).run();
          await run(glimpse.poolSize()); // warm-up, starts the pool
          for (let t = 0; t < 100 && glimpse.info().pool.running < glimpse.poolSize(); t++) await new Promise((r) => setTimeout(r, 100));
          const one = await run(1);
          const all = await run(glimpse.poolSize());
          return { photos: n, one: one.seconds, all: all.seconds, lanes: all.lanes, memory: glimpse.info().pool.memory, cores: navigator.hardwareConcurrency };
        }, [photos, tagN]);
      }
      results.mainThread.push(row);
    } finally {
      await c.close();
    }
  }
}

// Training in the browser: 10 classes × 20 photos drawn in the page
// (shapes and patterns in random colours), features on the pool with 0, 1
// (what the Train view's Auto picks for 200 photos) and 4 augmented copies of each, then the head fitted in the trainer's
// worker; seconds from the first photo to the fitted head. Reported only.
if (!only || only === 'train') {
  const c = await browser();
  try {
    const page = c.ctx.pages()[0] || (await c.ctx.newPage());
    await page.goto(`${base}/`);
    await page.evaluate(() => glimpse.ready);
    results.train = await page.evaluate(async (smoke) => {
      const kinds = 10, per = smoke ? 4 : 20;
      const draw = (k, seed) => {
        let s = seed >>> 0;
        const rnd = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
        const cv = new OffscreenCanvas(320, 240);
        const g = cv.getContext('2d');
        g.fillStyle = `hsl(${360 * rnd()},40%,${30 + 40 * rnd()}%)`;
        g.fillRect(0, 0, 320, 240);
        g.fillStyle = `hsl(${360 * rnd()},85%,${rnd() < 0.5 ? 20 : 85}%)`;
        const r = 40 + 40 * rnd(), x = r + (320 - 2 * r) * rnd(), y = r + (240 - 2 * r) * rnd();
        g.translate(x, y); g.rotate(rnd() * Math.PI);
        const n = 3 + k; // a polygon with k+3 corners, or stripes for the last classes
        g.beginPath();
        for (let i = 0; i < n; i++) g.lineTo(r * Math.cos(2 * Math.PI * i / n), r * Math.sin(2 * Math.PI * i / n));
        g.fill();
        return cv.transferToImageBitmap();
      };
      await glimpse.warmPool();
      for (let t = 0; t < 100 && glimpse.info().pool.running < glimpse.poolSize(); t++) await new Promise((r) => setTimeout(r, 100));
      const out = [];
      for (const variants of [0, 1, 4]) {
        const t0 = performance.now();
        const jobs = [];
        for (let k = 0; k < kinds; k++) for (let i = 0; i < per; i++) jobs.push({ k, seed: 1 + k * 1000 + i });
        const feats = new Array(jobs.length);
        let next = 0;
        const lane = async () => {
          while (next < jobs.length) {
            const j = next++;
            feats[j] = await glimpse.features(draw(jobs[j].k, jobs[j].seed), { variants, seed: j, batch: true });
          }
        };
        await Promise.all(Array.from({ length: glimpse.poolSize() }, lane));
        const t1 = performance.now();
        const dim = feats[0].dim;
        const all = new Float32Array(feats.reduce((n, f) => n + f.features.length, 0));
        let at = 0;
        for (const f of feats) { all.set(f.features, at); at += f.features.length; }
        const fit = await glimpse.trainHead(all, dim, jobs.map((j, i) => ({ rows: feats[i].rows, classes: [j.k] })), { classes: kinds, seed: 1 });
        const t2 = performance.now();
        const last = fit.history[fit.bestEpoch - 1];
        out.push({ variants, photos: jobs.length, features: (t1 - t0) / 1000, fit: (t2 - t1) / 1000, total: (t2 - t0) / 1000, valAcc: last.valAcc, mode: fit.mode, engines: glimpse.info().pool.running });
      }
      return out;
    }, smoke);
  } finally {
    await c.close();
  }
}

const size = (f) => {
  const wasm = fs.readFileSync(path.join(staticDir, f));
  return {
    raw: wasm.length,
    gzip: zlib.gzipSync(wasm, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(wasm, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: wasm.length } }).length,
  };
};
results.sizes = size('web/app.wasm');
results.engineSizes = size('web/engine.wasm');
server.close();

// Report.
const fmt = (v) => (v == null ? '' : v.toFixed(v < 10 ? 2 : 1));
console.log(`Glimpse browser benchmark: ${runs} runs after a warm-up (WebGPU: ${gpuRuns}), Chromium ${results.chromium}, crossOriginIsolated=${results.crossOriginIsolated}, WebGPU adapter: ${results.adapter || 'none'}`);
console.log(`${'engine'.padEnd(16)} ${'model'.padEnd(22)} ${'median ms'.padStart(10)} ${'min'.padStart(9)} ${'max'.padStart(9)}`);
for (const r of results.rows) {
  console.log(`${r.engine.padEnd(16)} ${r.model.padEnd(22)} ${(r.skipped ? '—' : fmt(r.median)).padStart(10)} ${fmt(r.min).padStart(9)} ${fmt(r.max).padStart(9)}${r.skipped ? '  (' + r.skipped + ')' : ''}${r.engineMedian ? `  (in the engine ${fmt(r.engineMedian)})` : ''}`);
}
const med = (e, m) => results.rows.find((r) => r.engine === e && r.model === m && r.median)?.median;
for (const m of models) {
  for (const [a, b2] of [['glimpse-cpu', 'ort-wasm-1t'], ['glimpse-cpu', 'ort-wasm-2t'], ['glimpse-webgpu', 'ort-webgpu']]) {
    const x = med(a, m), y = med(b2, m);
    if (x && y) {
      const line = `ratio ${a}/${b2} ${m}: ${(x / y).toFixed(2)}`;
      results.ratios.push(line);
      console.log(line);
    }
  }
}
// int8 against float32, each engine on its own.
for (const e of ['glimpse-cpu', 'ort-wasm-1t']) {
  const x = med(e, 'mobilenet_v2_int8'), y = med(e, 'mobilenet_v2_1.0_224');
  if (x && y) {
    const line = `ratio ${e} int8/float32 mobilenet_v2: ${(x / y).toFixed(2)}`;
    results.ratios.push(line);
    console.log(line);
  }
}
if (results.int8Pair) {
  const p = results.int8Pair;
  const line = `ratio glimpse-cpu int8/float32 mobilenet_v2, interleaved: ${(p.int8.median / p.float32.median).toFixed(2)} ` +
    `(${fmt(p.int8.median)} against ${fmt(p.float32.median)} ms; in the engine ${(p.int8Engine.median / p.float32Engine.median).toFixed(2)}, ` +
    `${fmt(p.int8Engine.median)} against ${fmt(p.float32Engine.median)})`;
  results.ratios.push(line);
  console.log(line);
}
// The geometric mean of each ratio over the models that have it.
for (const [a, b2] of [['glimpse-cpu', 'ort-wasm-1t'], ['glimpse-cpu', 'ort-wasm-2t']]) {
  const rs = models.map((m) => [med(a, m), med(b2, m)]).filter(([x, y]) => x && y).map(([x, y]) => x / y);
  if (rs.length > 1) {
    const line = `ratio ${a}/${b2} geomean of ${rs.length} models: ${Math.exp(rs.reduce((s, r) => s + Math.log(r), 0) / rs.length).toFixed(2)}; worst ${Math.max(...rs).toFixed(2)}`;
    results.ratios.push(line);
    console.log(line);
  }
}
for (const m of models) {
  const a = results.rows.find((r) => r.engine === 'glimpse-cpu' && r.model === m && r.output);
  for (const other of ['ort-wasm-1t', 'glimpse-webgpu', 'ort-webgpu']) {
    const b2 = results.rows.find((r) => r.engine === other && r.model === m && r.output);
    if (a && b2) {
      const d = Math.max(...a.output.map((v, i) => Math.abs(v - b2.output[i])));
      console.log(`agreement glimpse-cpu vs ${other} ${m}: max |diff| of the first 10 outputs ${d.toExponential(2)}`);
    }
  }
}
for (const [k, v] of Object.entries(results.load)) {
  const parts = [`${(v.bytes / 1e6).toFixed(2)} MB on the wire`];
  if (v.ready) parts.push(`ready ${(v.ready / 1000).toFixed(2)} s`);
  parts.push(`first label ${(v.first / 1000).toFixed(2)} s`);
  if (v.repeat) parts.push(`repeat visit: ready ${(v.repeat.ready / 1000).toFixed(2)} s, ${(v.repeatBytes / 1e6).toFixed(2)} MB`);
  if (v.repeat2) parts.push(`a later visit: ready ${(v.repeat2.ready / 1000).toFixed(2)} s`);
  console.log(`load ${k} (median of ${v.runs.length}, fresh profiles, gzip, navigation to …): ${parts.join(', ')}`);
}
for (const p of ['desktop', 'phone']) {
  const g = results.load['glimpse-' + p], o = results.load['ort-' + p];
  if (g && o) console.log(`ratio load glimpse/ort ${p}: bytes ${(g.bytes / o.bytes).toFixed(2)}, first label ${(g.first / o.first).toFixed(2)}`);
}
for (const [f, z] of [['app.wasm (UI and engine)', results.sizes], ['engine.wasm', results.engineSizes]]) {
  console.log(`${f}: ${(z.raw / 1e6).toFixed(2)} MB raw, ${(z.gzip / 1e6).toFixed(2)} MB gzip, ${(z.brotli / 1e6).toFixed(2)} MB brotli`);
}
for (const r of results.mainThread || []) {
  console.log(`main thread, engine in the ${r.engine}, ${r.photos} photos one after another: ${r.normal.n} long tasks (longest ${r.normal.max.toFixed(0)} ms) in ${r.normal.seconds.toFixed(1)} s; CPU 4× slower: ${r.slow.n} (longest ${r.slow.max.toFixed(0)} ms) in ${r.slow.seconds.toFixed(1)} s`);
  if (r.pool) {
    const p = r.pool;
    console.log(`pool: tagging ${p.photos} photos on ${p.cores} cores: 1 engine ${(p.photos / p.one).toFixed(1)}/s, ${p.lanes} engines ${(p.photos / p.all).toFixed(1)}/s; ratio ${(p.one / p.all).toFixed(2)}; memory per engine ${p.memory.map((m) => (m / 2 ** 20).toFixed(0) + ' MiB').join(', ')}`);
  }
}
for (const t of results.train || []) {
  console.log(`train ${t.photos} photos of 10 classes, ${t.variants} augmented copies each, ${t.engines} engines: features ${t.features.toFixed(1)} s + fit ${t.fit.toFixed(1)} s = ${t.total.toFixed(1)} s (${t.mode} head, validation accuracy ${(100 * t.valAcc).toFixed(0)}%)`);
}
const outDir = path.join(root, 'bench-results');
fs.mkdirSync(outDir, { recursive: true });
const outFile = path.join(outDir, `bench-${smoke ? 'smoke-' : ''}${results.date.replace(/[:.]/g, '-')}.json`);
fs.writeFileSync(outFile, JSON.stringify(results, null, 2));
console.log(`results: ${path.relative(root, outFile)}`);
const failed = results.rows.filter((r) => r.engine.startsWith('glimpse-cpu') && !r.median);
if (failed.length) { console.error('bench: Glimpse CPU produced no timing'); process.exit(1); }
