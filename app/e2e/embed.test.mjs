// Embedding: <glimpse-classifier> and the iframe widget on a host page served
// from another origin than the Glimpse deployment (two 127.0.0.1 ports).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve, launch, expected, screenshot, corsHeaders, shared, staticDir, fixtures } from './harness.mjs';

const exp = expected();
let glimpseSrv, hostSrv, hostDir, b, page;

const bytes = (p) => fs.readFileSync(path.join(shared, 'photos', p)).toString('base64');

before(async () => {
  glimpseSrv = await serve(staticDir, 0, corsHeaders);
  hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'glimpse-host-'));
  hostSrv = await serve(hostDir);
  const G = glimpseSrv.url, H = new URL(hostSrv.url).origin;
  fs.copyFileSync(path.join(fixtures, 'unsupported.onnx'), path.join(hostDir, 'unsupported.onnx'));
  fs.writeFileSync(path.join(hostDir, 'index.html'), `<!doctype html>
<html><head><meta charset="utf-8"><title>host</title>
<style>
  * { all: unset; }
  head, script, style, title { display: none; }
  body { display: block; font-family: Georgia, serif; background: #fdf6e3; padding: 16px; }
  h1 { display: block; font-size: 28px; margin-bottom: 12px; }
  .row { display: flex; gap: 16px; align-items: flex-start; }
  glimpse-classifier { width: 320px; }
</style>
<script src="${G}glimpse-embed.js"></script></head>
<body>
<h1>A host page with aggressive CSS</h1>
<div class="row">
  <glimpse-classifier id="a" top="3"></glimpse-classifier>
  <glimpse-classifier id="b" top="3" theme="dark" camera></glimpse-classifier>
  <glimpse-classifier id="c" top="3"></glimpse-classifier>
</div>
<glimpse-classifier id="missing" model="${G}nope/missing.onnx" hidden></glimpse-classifier>
<glimpse-classifier id="bad" model="/unsupported.onnx" hidden></glimpse-classifier>
<iframe id="ok" src="${G}embed/?origins=${encodeURIComponent(H)}"></iframe>
<iframe id="deny" src="${G}embed/?origins=${encodeURIComponent('http://127.0.0.1:9')}"></iframe>
<script>
  window.__events = [];
  for (const el of document.querySelectorAll('glimpse-classifier')) {
    for (const t of ['glimpse-ready', 'glimpse-result', 'glimpse-error']) {
      el.addEventListener(t, (e) => window.__events.push({ id: el.id, type: t, detail: JSON.parse(JSON.stringify(e.detail)) }));
    }
  }
  window.__frames = [];
  window.addEventListener('message', (e) => window.__frames.push({ origin: e.origin, data: e.data }));
</script>
</body></html>`);
  b = await launch();
  page = b.ctx.pages()[0] || (await b.ctx.newPage());
  // Count Go wasm instances created in this page (Go's exports include getsp).
  await page.addInitScript(() => {
    window.__goInstances = 0;
    const count = (p) => p.then((r) => { if ((r.instance || r).exports && (r.instance || r).exports.getsp) window.__goInstances++; return r; });
    const is = WebAssembly.instantiateStreaming, i = WebAssembly.instantiate;
    WebAssembly.instantiateStreaming = (...a) => count(is.apply(WebAssembly, a));
    WebAssembly.instantiate = (...a) => count(i.apply(WebAssembly, a));
  });
});

after(async () => {
  await b?.close();
  await glimpseSrv?.close();
  await hostSrv?.close();
  if (hostDir) fs.rmSync(hostDir, { recursive: true, force: true });
});

async function classifyIn(id, photo) {
  return page.evaluate(async ({ id, b64 }) => {
    const bin = atob(b64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    try {
      const r = await document.getElementById(id).classify(new Blob([u8]));
      return { index: r.top[0].index };
    } catch (e) {
      return { error: e.message, code: e.code };
    }
  }, { id, b64: bytes(photo) });
}

test('three widgets on another origin classify three photos at once with one engine, in a worker', async () => {
  // The engine runs in a worker: from another origin, a blob: worker that
  // imports engine.js (the iframes are documents of their own, with their
  // own same-origin worker).
  const blobWorkers = [];
  page.on('worker', (w) => { if (w.url().startsWith('blob:')) blobWorkers.push(w.url()); });
  await page.goto(hostSrv.url);
  await page.waitForFunction(() => window.__events.filter((e) => e.type === 'glimpse-ready').length >= 3, null, { timeout: 180000 });
  const third = Object.keys(exp).find((f) => exp[f].margin >= 0.1 && !['parrot.jpg', 'coffee.png'].includes(f));
  const t0 = await page.evaluate(() => {
    window.__longtasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push({ start: e.startTime, ms: e.duration }); }).observe({ type: 'longtask' });
    return performance.now();
  });
  const [a, bb, c] = await Promise.all([classifyIn('a', 'parrot.jpg'), classifyIn('b', 'coffee.png'), classifyIn('c', third)]);
  for (let i = 0; i < 3; i++) await Promise.all([classifyIn('a', 'parrot.jpg'), classifyIn('b', 'coffee.png'), classifyIn('c', third)]);
  const lt = await page.evaluate((t0) => window.__longtasks.filter((e) => e.start >= t0), t0);
  console.log(`host page, three widgets classifying 12 photos: ${lt.length} main-thread long tasks over 50 ms (longest ${Math.max(0, ...lt.map((e) => e.ms)).toFixed(0)} ms)`);
  assert.equal(a.index, exp['parrot.jpg'].index, JSON.stringify(a));
  assert.equal(bb.index, exp['coffee.png'].index, JSON.stringify(bb));
  assert.equal(c.index, exp[third].index, JSON.stringify(c));
  const results = await page.evaluate(() => window.__events.filter((e) => e.type === 'glimpse-result'));
  const byId = Object.fromEntries(results.map((e) => [e.id, e.detail]));
  assert.equal(byId.a.top[0].index, exp['parrot.jpg'].index);
  assert.equal(byId.b.top[0].index, exp['coffee.png'].index);
  assert.equal(byId.c.top[0].index, exp[third].index);
  assert.ok(byId.a.ms > 0 && byId.a.backend);
  assert.equal(await page.evaluate(() => window.__goInstances), 0, 'no Go instance on the host page itself');
  assert.equal(blobWorkers.length, 1, `engine workers on the host page: ${blobWorkers.length}`);
  const info = await page.evaluate(() => glimpse.info());
  assert.equal(info.engine, 'worker');
  assert.equal(info.simd, true, info.simdReason);
  assert.equal(info.pool.running, 1);
  // The host's "* { all: unset }" must not collapse the widgets.
  for (const id of ['a', 'b', 'c']) {
    const box = await page.locator('#' + id).boundingBox();
    assert.ok(box.width >= 250 && box.height >= 150, `${id} box ${JSON.stringify(box)}`);
    const li = await page.locator(`#${id} li`).count();
    assert.equal(li, 3, `${id} shows 3 results`);
  }
  await screenshot(page, 'embed-host-desktop.png');
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'embed-host-phone.png');
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('a missing model URL and an unsupported model fire glimpse-error with clear messages', async () => {
  const missing = await classifyIn('missing', 'cat.bmp');
  assert.equal(missing.code, 'model-load');
  assert.match(missing.error, /missing\.onnx.*404|404.*missing\.onnx|Could not download/);
  const bad = await classifyIn('bad', 'cat.bmp');
  assert.equal(bad.code, 'unsupported-model');
  assert.match(bad.error, /FancyWarp/);
  const errs = await page.evaluate(() => window.__events.filter((e) => e.type === 'glimpse-error').map((e) => ({ id: e.id, ...e.detail })));
  assert.ok(errs.some((e) => e.id === 'missing' && e.code === 'model-load' && e.message), JSON.stringify(errs));
  assert.ok(errs.some((e) => e.id === 'bad' && e.code === 'unsupported-model' && /FancyWarp/.test(e.message)), JSON.stringify(errs));
  // The page's widgets still work afterwards.
  assert.equal((await classifyIn('a', 'cat.bmp')).index, exp['cat.bmp'].index);
});

test('the iframe widget answers an allowed origin and ignores others', async () => {
  const G = new URL(glimpseSrv.url).origin;
  await page.waitForFunction(() => window.__frames.some((m) => m.data && m.data.type === 'glimpse:ready'), null, { timeout: 180000 });
  const reply = await page.evaluate(async ({ b64, G }) => {
    const bin = atob(b64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    const frame = document.getElementById('ok').contentWindow;
    frame.postMessage({ type: 'glimpse:classify', id: 7, image: new Blob([u8]), top: 3 }, G);
    for (let t = 0; t < 600; t++) {
      const m = window.__frames.find((m) => m.data && m.data.id === 7);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  }, { b64: bytes('parrot.jpg'), G });
  assert.ok(reply, 'no reply from the iframe');
  assert.equal(reply.origin, G);
  assert.equal(reply.data.type, 'glimpse:result');
  assert.equal(reply.data.top[0].index, exp['parrot.jpg'].index);
  assert.equal(reply.data.top.length, 3);

  // The deny frame only accepts http://127.0.0.1:9: our message is ignored.
  const deny = page.frames().find((f) => f.url().includes('127.0.0.1%3A9') || f.url().includes('127.0.0.1:9'));
  assert.ok(deny, 'deny frame not found');
  await deny.waitForFunction(() => window.glimpse && window.glimpse._go, null, { timeout: 180000 });
  const ignored = await page.evaluate(async ({ b64, G }) => {
    const bin = atob(b64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    document.getElementById('deny').contentWindow.postMessage({ type: 'glimpse:classify', id: 8, image: new Blob([u8]) }, G);
    await new Promise((r) => setTimeout(r, 4000));
    return !window.__frames.some((m) => m.data && m.data.id === 8);
  }, { b64: bytes('parrot.jpg'), G });
  assert.ok(ignored, 'the iframe answered an origin that is not allowed');
  const size = fs.statSync(path.join(staticDir, 'glimpse-embed.js')).size;
  console.log(`glimpse-embed.js: ${size} bytes`);
});
