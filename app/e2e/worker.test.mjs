// The engine in a Web Worker: the main thread stays free (long tasks are
// counted and reported, never asserted on time), the one actor inside
// serialises GPU work with CPU-fallback ops, model loads during a GPU
// compile and calls made at once, a killed worker restarts, the pool tags
// faster than one engine, and a page without workers still works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, expected, waitReady, shared, staticDir, fixtures, root } from './harness.mjs';

const exp = expected();
const photosDir = path.join(shared, 'photos');
const photoFiles = fs.readdirSync(photosDir).filter((f) => /\.(jpg|png|bmp)$/.test(f)).sort();
const b64 = (p) => fs.readFileSync(p).toString('base64');
const photos = Object.fromEntries(photoFiles.map((f) => [f, b64(path.join(photosDir, f))]));
const fallbackModel = b64(path.join(fixtures, 'fallback.onnx'));

let server;
before(async () => { server = await serve(staticDir); });
after(async () => { await server?.close(); });

// In the page: helpers to turn base64 into Blobs, and a long-task recorder.
const pageHelpers = () => {
  window.__blob = (s, type) => {
    const bin = atob(s);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    return new Blob([u8], { type: type || '' });
  };
  window.__longtasks = [];
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push({ start: e.startTime, ms: e.duration }); })
      .observe({ type: 'longtask', buffered: true });
  } catch (e) { /* no longtask support */ }
};

async function open(args = [], init) {
  const b = await launch(args);
  const page = b.ctx.pages()[0] || (await b.ctx.newPage());
  await page.addInitScript(pageHelpers);
  if (init) await page.addInitScript(init);
  await page.goto(server.url);
  await waitReady(page, 300000);
  return { b, page };
}

test('the engine runs in a worker with its SIMD kernels (relaxed SIMD\'s fused multiply-add in Chromium), and the page without workers still works', async () => {
  const { b, page } = await open();
  try {
    const info = await page.evaluate(() => glimpse.info());
    assert.equal(info.engine, 'worker', JSON.stringify(info));
    assert.equal(info.simd, true, 'SIMD kernels not active: ' + info.simdReason);
    // Chromium has relaxed SIMD: the GEMM runs on kernels_relaxed.wasm.
    assert.equal(info.relaxedSimd, true, 'relaxed SIMD not used');
    assert.ok(info.memory > 0 && info.pool.memory[0] === info.memory, JSON.stringify(info.pool));
  } finally { await b.close(); }

  const nw = await open([], () => { window.Worker = undefined; });
  try {
    const info = await nw.page.evaluate(() => glimpse.info());
    assert.equal(info.engine, 'page');
    assert.match(info.engineReason, /no Web Workers/);
    assert.equal(info.simd, true, info.simdReason);
    const f = photoFiles.find((x) => exp[x] && exp[x].margin >= 0.1);
    const r = await nw.page.evaluate((s) => glimpse.classify(__blob(s)), photos[f]);
    assert.equal(r.top[0].index, exp[f].index);
  } finally { await nw.b.close(); }
});

test('WebGPU with CPU-fallback ops: 3 runs in a row and 3 at once match the CPU; a model load during a GPU compile gets its own GPU program', async () => {
  const { b, page } = await open(['--enable-unsafe-webgpu'], () => localStorage.setItem('glimpse.backend', 'cpu'));
  try {
    const r = await page.evaluate(async (model) => {
      const n = 3 * 32 * 32;
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37) * 2;
      // The GPU compile of the page's model (setBackend) and a model load,
      // called at once: the load must wait for the compile, then get a GPU
      // program of its own.
      const compiling = glimpse.setBackend('webgpu');
      const loading = glimpse.loadModel(__blob(model), { name: 'fallback.onnx', persist: false });
      await compiling;
      const info = await loading;
      const seq = [];
      for (let i = 0; i < 3; i++) seq.push(await glimpse.infer(x));
      const par = await Promise.all([0, 1, 2].map(() => glimpse.infer(x)));
      // Three classify calls at once, as from three widgets.
      const c = document.createElement('canvas');
      c.width = c.height = 64;
      const ctx = c.getContext('2d');
      ctx.fillStyle = '#c83'; ctx.fillRect(0, 0, 64, 64);
      ctx.fillStyle = '#38c'; ctx.fillRect(16, 16, 32, 32);
      const cls = await Promise.all([0, 1, 2].map(() => glimpse.classify(c, { top: 10 })));
      await glimpse.setBackend('cpu');
      const cpu = await glimpse.infer(x);
      const cpuCls = await glimpse.classify(c, { top: 10 });
      return {
        info, cpu: Array.from(cpu.output), cpuBackend: cpu.backend,
        gpu: seq.concat(par).map((o) => ({ backend: o.backend, out: Array.from(o.output) })),
        cls: cls.map((o) => ({ backend: o.backend, top: o.top })), cpuCls: cpuCls.top,
        // infer copies the caller's array (the copy goes to the engine and
        // back, for the next call) and never hands it out
        xKept: x.every((v, i) => v === Math.fround(Math.sin(i * 0.37) * 2)), leaked: 'input' in cpu || seq.some((o) => 'input' in o),
      };
    }, fallbackModel);
    assert.equal(r.info.name, 'fallback.onnx');
    assert.equal(r.info.backend, 'webgpu', JSON.stringify(r.info));
    assert.deepEqual([...r.info.cpuOps].sort(), ['node "bn" (BatchNormalization): no GPU kernel', 'node "pad" (Pad): no GPU kernel', 'node "resize" (Resize): no GPU kernel'], JSON.stringify(r.info.cpuOps));
    assert.equal(r.cpuBackend, 'cpu');
    assert.ok(r.xKept, "infer changed the caller's array");
    assert.ok(!r.leaked, 'infer returned its input copy');
    // Tolerance: 1e-5 absolute on probabilities (the GPU sums in another order).
    for (const [i, g] of r.gpu.entries()) {
      assert.equal(g.backend, 'webgpu', `run ${i}`);
      const d = Math.max(...g.out.map((v, j) => Math.abs(v - r.cpu[j])));
      assert.ok(d <= 1e-5, `run ${i}: max |gpu − cpu| ${d}`);
    }
    for (const c of r.cls) {
      assert.equal(c.backend, 'webgpu');
      assert.deepEqual(c.top.map((t) => t.index), r.cpuCls.map((t) => t.index));
      for (const [j, t] of c.top.entries()) assert.ok(Math.abs(t.prob - r.cpuCls[j].prob) <= 1e-5);
    }
  } finally { await b.close(); }
});

test('a worker killed mid-run: the lost call fails with engine-lost, the next call restarts it, and tagging loses no photo', async () => {
  const { b, page } = await open();
  try {
    const f = photoFiles.filter((x) => exp[x] && exp[x].margin >= 0.1);
    const r = await page.evaluate(async ([a, bb]) => {
      const lost = glimpse.classify(__blob(a)).then(() => ({ ok: true }), (e) => ({ code: e.code, message: e.message }));
      await new Promise((res) => setTimeout(res, 5));
      glimpse._killEngine();
      const first = await lost;
      const next = await glimpse.classify(__blob(bb));
      return { first, next: next.top[0].index, info: glimpse.info() };
    }, [photos[f[0]], photos[f[1]]]);
    assert.equal(r.first.code, 'engine-lost', JSON.stringify(r.first));
    assert.match(r.first.message, /engine stopped.*try again/);
    assert.equal(r.next, exp[f[1]].index);
    assert.equal(r.info.engine, 'worker');

    // Tagging: kill the engine twice while the queue runs; every photo ends
    // with its tags.
    const list = photoFiles.map((x) => ({ name: x, data: photos[x] }));
    const t = await page.evaluate(async (items) => {
      const files = items.map((it) => ({ file: new File([__blob(it.data)], it.name), path: it.name }));
      const recs = new Map();
      const q = new glimpseTagging.Queue(files, { top: 3, persist: false }, { photo: (rec, item) => recs.set(item.path, rec.scores[0].index) });
      const kills = [];
      const killer = (async () => {
        for (const at of [3, 8]) {
          while (q.done < at) await new Promise((res) => setTimeout(res, 2));
          glimpse._killEngine();
          kills.push(q.done);
        }
      })();
      const stats = await q.run();
      await killer;
      return { stats, kills, recs: Object.fromEntries(recs) };
    }, list);
    assert.equal(t.kills.length, 2);
    assert.equal(t.stats.failed, 0, JSON.stringify(t.stats));
    assert.equal(Object.keys(t.recs).length, photoFiles.length);
    for (const x of photoFiles) if (exp[x] && exp[x].margin >= 0.1) assert.equal(t.recs[x], exp[x].index, x);
  } finally { await b.close(); }
});

// longTasks classifies 20 photos one after another and returns the long
// tasks (over 50 ms) the main thread had meanwhile.
async function longTasks(page) {
  return page.evaluate(async (list) => {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await glimpse.classify(__blob(list[i % list.length]));
    await new Promise((r) => setTimeout(r, 100)); // let the observer deliver
    const lt = window.__longtasks.filter((e) => e.start >= t0);
    return { n: lt.length, max: Math.max(0, ...lt.map((e) => e.ms)), seconds: (performance.now() - t0) / 1000 };
  }, photoFiles.map((f) => photos[f]));
}

test('main-thread long tasks while classifying 20 photos, worker beside the page engine, at normal speed and 4× slower (reported)', async () => {
  const rows = [];
  for (const [mode, init] of [['worker', null], ['page', () => { window.glimpseConfig = { worker: false }; }]]) {
    const { b, page } = await open([], init);
    try {
      assert.equal((await page.evaluate(() => glimpse.info())).engine, mode);
      await longTasks(page); // warm-up
      const normal = await longTasks(page);
      const cdp = await b.ctx.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      const slow = await longTasks(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
      rows.push({ mode, normal, slow });
    } finally { await b.close(); }
  }
  for (const r of rows) {
    console.log(`long tasks, engine in the ${r.mode}: ${r.normal.n} over 50 ms (longest ${r.normal.max.toFixed(0)} ms) in ${r.normal.seconds.toFixed(1)} s; CPU 4× slower: ${r.slow.n} (longest ${r.slow.max.toFixed(0)} ms) in ${r.slow.seconds.toFixed(1)} s`);
  }
  // The measurement must see the page engine's long tasks, or it proves nothing.
  assert.ok(rows[1].normal.n + rows[1].slow.n > 0, 'no long task seen even with the engine on the page');
});

test('tagging with the pool beside one engine (reported): throughput ratio and memory per engine', async () => {
  const { b, page } = await open();
  try {
    const r = await page.evaluate(async (items) => {
      const files = items.map((it, i) => ({ file: new File([__blob(it.data)], i + '-' + it.name), path: i + '-' + it.name }));
      const run = async (lanes) => {
        const q = new glimpseTagging.Queue(files, { top: 3, persist: false, lanes }, {});
        return q.run();
      };
      await run(2); // warm-up: starts the pool's second engine
      const one = await run(1);
      const two = await run(2);
      return { one, two, info: glimpse.info(), size: glimpse.poolSize(), cores: navigator.hardwareConcurrency };
    }, Array.from({ length: 28 }, (_, i) => ({ name: photoFiles[i % photoFiles.length], data: photos[photoFiles[i % photoFiles.length]] })));
    assert.equal(r.one.failed + r.two.failed, 0);
    const ratio = r.one.seconds / r.two.seconds;
    console.log(`pool: ${r.cores} cores, pool size ${r.size}; 28 photos with 1 engine ${(28 / r.one.seconds).toFixed(2)}/s, with ${r.two.lanes} ${(28 / r.two.seconds).toFixed(2)}/s; ratio ${ratio.toFixed(2)}; memory per engine ${r.info.pool.memory.map((m) => (m / 2 ** 20).toFixed(0) + ' MiB').join(', ')}`);
    assert.equal(r.info.pool.running, 2, JSON.stringify(r.info.pool));

    // The same tagging with the CPU 4× slower: the main thread's long tasks.
    const cdp = await b.ctx.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    const slow = await page.evaluate(async (items) => {
      const files = items.map((it, i) => ({ file: new File([__blob(it.data)], i + '-' + it.name), path: i + '-' + it.name }));
      const t0 = performance.now();
      const st = await new glimpseTagging.Queue(files, { top: 3, persist: false }, {}).run();
      await new Promise((res) => setTimeout(res, 100));
      const lt = window.__longtasks.filter((e) => e.start >= t0);
      return { st, n: lt.length, max: Math.max(0, ...lt.map((e) => e.ms)) };
    }, Array.from({ length: 28 }, (_, i) => ({ name: photoFiles[i % photoFiles.length], data: photos[photoFiles[i % photoFiles.length]] })));
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    assert.equal(slow.st.failed, 0);
    console.log(`tagging 28 photos with the CPU 4× slower: ${(28 / slow.st.seconds).toFixed(1)}/s; ${slow.n} main-thread long tasks (longest ${slow.max.toFixed(0)} ms)`);
  } finally { await b.close(); }
});

test('a model saved by an older build (an ONNX file in IndexedDB) is compiled again by the importer on the next visit', async () => {
  const { b, page } = await open();
  try {
    const v1 = fs.readFileSync(path.join(shared, 'models/mobilenet_v1_0.25_128/model.onnx')).toString('base64');
    const labels = fs.readFileSync(path.join(shared, 'models/mobilenet_v1_0.25_128/labels.txt'), 'utf8');
    const card = fs.readFileSync(path.join(root, 'testdata/cards/mobilenet_v1_0.25_128.json'), 'utf8');
    // Write the record as the previous build did: the ONNX bytes as the model.
    await page.evaluate(async ([m, labels, card]) => {
      const bin = atob(m);
      const u8 = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
      const db = await new Promise((res, rej) => { const r = indexedDB.open('glimpse', 1); r.onupgradeneeded = () => r.result.createObjectStore('model'); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
      await new Promise((res, rej) => { const tx = db.transaction('model', 'readwrite'); tx.objectStore('model').put({ name: 'old-v1.onnx', model: u8, labels, card, saved: 1 }, 'user'); tx.oncomplete = res; tx.onerror = () => rej(tx.error); });
      db.close();
    }, [v1, labels, card]);
    await page.reload();
    await waitReady(page, 300000);
    await page.waitForFunction(() => glimpse.info().name === 'old-v1.onnx', null, { timeout: 120000 });
    const r = await page.evaluate(async () => {
      const info = glimpse.info();
      const rec = await new Promise((res) => { const o = indexedDB.open('glimpse', 1); o.onsuccess = () => { const tx = o.result.transaction('model'); const g = tx.objectStore('model').get('user'); g.onsuccess = () => res(g.result); }; });
      const head = String.fromCharCode(...rec.model.subarray(0, 8));
      return { info, head, hasSource: !!rec.source, labels: glimpse.labels().length };
    });
    assert.equal(r.head, 'GLIMPSEB', 'the record now holds a bundle');
    assert.ok(r.hasSource, 'with its ONNX source kept');
    assert.equal(r.info.width, 128);
    assert.equal(r.labels, r.info.classes);
    const f = photoFiles.find((x) => /parrot/.test(x));
    const c = await page.evaluate((s) => glimpse.classify(__blob(s)), photos[f]);
    assert.ok(c.top.length > 0 && c.backend === 'cpu');
  } finally { await b.close(); }
});

// The page counts its engines' workers, and remembers the ops it sends
// to them (window.__sent), to stop an engine at a chosen moment.
const countWorkers = () => {
  window.__mainWorkers = 0;
  window.__sent = [];
  const W = window.Worker;
  window.Worker = class extends W {
    constructor(url, opts) {
      super(url, opts);
      if (opts && opts.name === 'glimpse-engine-main') window.__mainWorkers++;
    }
    postMessage(m, t) {
      if (m && m.op) window.__sent.push(m.op);
      return super.postMessage(m, t);
    }
  };
};

test('a lost engine restarts at once with the page model, one not saved too, and the page says so; a model that stops the engine while loading leaves the previous one', async () => {
  const { b, page } = await open([], countWorkers);
  try {
    const v1 = expected('mobilenet_v1_0.25_128');
    const sure = photoFiles.find((x) => v1[x] && v1[x].margin >= 0.1);
    const r = await page.evaluate(async ({ model, photo }) => {
      const notices = [];
      addEventListener('glimpse:notice', (e) => notices.push(e.detail.message));
      await glimpse.loadModel(__blob(model), { name: 'v1.glimpse', persist: false });
      glimpse._killEngine('out of memory (test)');
      // The next call waits for the new engine, which has the model back.
      const c = await glimpse.classify(__blob(photo), { top: 1 });
      return { info: glimpse.info(), top: c.top[0].index, notices, workers: window.__mainWorkers, labels: glimpse.labels().length };
    }, { model: b64(path.join(fixtures, 'v1.glimpse')), photo: photos[sure] });
    assert.equal(r.workers, 2);
    assert.equal(r.info.name, 'v1.glimpse', JSON.stringify(r.info));
    assert.equal(r.info.width, 128);
    assert.equal(r.top, v1[sure].index);
    assert.equal(r.labels, r.info.classes);
    assert.ok(r.notices.some((n) => /stopped \(out of memory \(test\)\).*restart.*v1\.glimpse/.test(n)), JSON.stringify(r.notices));
    await page.waitForFunction(() => /restarted with v1\.glimpse/.test(document.querySelector('#notice')?.textContent || ''), null, { timeout: 30000 });

    // A model whose load stops the engine (as one too big for memory
    // would): the call fails saying so, and the engine comes back with the
    // previous model.
    const l = await page.evaluate(async ({ photo }) => {
      const big = await (await fetch('/web/models/mobilenet_v2_1.0_224/model.glimpse')).blob();
      const before = window.__sent.filter((op) => op === 'loadModel').length;
      const loading = glimpse.loadModel(big, { name: 'hostile.glimpse', persist: false }).then(() => ({ ok: true }), (e) => ({ code: e.code, message: e.message }));
      while (window.__sent.filter((op) => op === 'loadModel').length === before) await new Promise((res) => setTimeout(res, 1));
      glimpse._killEngine('out of memory (test)');
      const res = await loading;
      const c = await glimpse.classify(__blob(photo), { top: 1 });
      return { res, info: glimpse.info(), top: c.top[0].index, workers: window.__mainWorkers };
    }, { photo: photos[sure] });
    assert.equal(l.res.code, 'engine-lost', JSON.stringify(l.res));
    assert.match(l.res.message, /Loading this model stopped the Glimpse engine.*previous model/);
    assert.equal(l.workers, 3);
    assert.equal(l.info.name, 'v1.glimpse');
    assert.equal(l.top, v1[sure].index);
  } finally { await b.close(); }
});

test('a saved model that stops the engine while it boots: one restart with the default model, the page says so, and the model stays saved', async () => {
  const { b, page } = await open([], countWorkers);
  // From the next load on: stop the page's engine as it starts loading the
  // saved model, as a model too big for memory would, when the test asks
  // (sessionStorage).
  await page.addInitScript(() => {
    const W = window.Worker;
    window.Worker = class extends W {
      constructor(url, opts) {
        super(url, opts);
        this.addEventListener('message', (ev) => {
          const d = ev.data;
          if (d && d.event === 'boot' && d.detail && d.detail.saved && sessionStorage.getItem('kill-saved') && !window.__killed) {
            window.__killed = true;
            setTimeout(() => window.glimpse._killEngine('out of memory (test)'), 0);
          }
        });
      }
    };
  });
  try {
    const saved = await page.evaluate(async (model) => (await glimpse.loadModel(__blob(model), { name: 'mine.glimpse' })).name, b64(path.join(fixtures, 'v1.glimpse')));
    assert.equal(saved, 'mine.glimpse');
    await page.evaluate(() => sessionStorage.setItem('kill-saved', '1'));
    await page.reload();
    await waitReady(page, 300000);
    const r = await page.evaluate(() => ({ info: glimpse.info(), killed: !!window.__killed, workers: window.__mainWorkers }));
    assert.ok(r.killed, 'the engine never said it was loading the saved model');
    assert.equal(r.info.isDefault, true, JSON.stringify(r.info));
    assert.equal(r.info.name, 'mobilenet_v2_1.0_224');
    await page.waitForFunction(() => /saved model \(mine\.glimpse\) stopped the Glimpse engine.*using the default model/.test(document.querySelector('#notice')?.textContent || ''), null, { timeout: 30000 });
    // No loop: the second engine stays, and classifies.
    await page.waitForTimeout(3000);
    const f = photoFiles.find((x) => exp[x] && exp[x].margin >= 0.1);
    const c = await page.evaluate((s) => glimpse.classify(__blob(s)), photos[f]);
    assert.equal(c.top[0].index, exp[f].index);
    assert.equal(await page.evaluate(() => window.__mainWorkers), 2);
    // The model is still saved: the next visit (without the stop) boots it.
    await page.evaluate(() => sessionStorage.removeItem('kill-saved'));
    await page.reload();
    await waitReady(page, 300000);
    assert.equal(await page.evaluate(() => glimpse.info().name), 'mine.glimpse');
  } finally { await b.close(); }
});

test('hostile models (huge shapes, 64-bit overflow, negative dims, deep nesting) are refused by loadModel, one line each, and the engine still answers', async () => {
  const dir = path.join(fixtures, 'hostile');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort();
  assert.ok(files.length >= 10, 'hostile fixtures: ' + files.join(', '));
  const { b, page } = await open();
  try {
    const before = await page.evaluate(() => glimpse.info().name);
    for (const f of files) {
      const r = await page.evaluate(async ([data, name, photo]) => {
        const t0 = performance.now();
        let load;
        try {
          const info = await glimpse.loadModel(__blob(data), { name, persist: false });
          load = { ok: true, name: info.name };
        } catch (e) {
          load = { ok: false, code: e.code, message: e.message };
        }
        const ms = performance.now() - t0;
        // The engine still answers, with the model the page holds now.
        const c = await glimpse.classify(__blob(photo));
        return { load, ms, top: c.top.length, model: glimpse.info().name, memory: glimpse.info().memory };
      }, [b64(path.join(dir, f)), f, photos['sunflower.bmp']]);
      console.log(`${f}: ${r.load.ok ? 'loaded' : r.load.code + ': ' + r.load.message} (${r.ms.toFixed(0)} ms, engine ${(r.memory / 2 ** 20).toFixed(0)} MiB)`);
      if (f.includes('.loads.')) {
        assert.equal(r.load.ok, true, `${f} is heavy but valid: ${r.load.message}`);
        await page.evaluate(() => glimpse.resetModel());
        continue;
      }
      assert.equal(r.load.ok, false, `${f} loaded`);
      assert.ok(['invalid-model', 'unsupported-model', 'invalid-card', 'model-compile'].includes(r.load.code), `${f}: code ${r.load.code}`);
      assert.ok(!/\n/.test(r.load.message) && r.load.message.length < 500, `${f}: message ${r.load.message}`);
      assert.ok(!/panic|goroutine|0x[0-9a-f]{6,}|&\{/.test(r.load.message), `${f}: ${r.load.message}`);
      assert.ok(r.top > 0, `${f}: the engine did not answer after the refusal`);
      assert.equal(r.model, before, `${f}: the previous model is no longer active`);
      // Refusals allocate nothing near the declared sizes: the engine
      // stays far below the 1 GiB budget.
      assert.ok(r.memory < 512 * 2 ** 20, `${f}: engine memory ${r.memory}`);
    }
  } finally { await b.close(); }
});
