// Embedding: <glimpse-classifier> and the iframe widget on a host page served
// from another origin than the Glimpse deployment (two 127.0.0.1 ports: the
// same site, so the iframe shares the Glimpse origin's storage with the
// app). The Glimpse site is served with the server's security headers
// (Content-Security-Policy; /embed/ may be framed by anyone, the app not).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve, launch, expected, screenshot, corsHeaders, shared, staticDir, fixtures, track, waitReady, cspViolations } from './harness.mjs';

const exp = expected();
let glimpseSrv, hostSrv, hostDir, b, page, violations;

const bytes = (p) => fs.readFileSync(path.join(shared, 'photos', p)).toString('base64');
const v1Classes = fs.readFileSync(path.join(shared, 'models/mobilenet_v1_0.25_128/labels.txt'), 'utf8').trim().split('\n').length;
const v1 = expected('mobilenet_v1_0.25_128');

// frameCall posts a classify message to the iframe #id and waits for the
// reply with that id.
async function frameCall(id, msgId, photo, extra = {}) {
  const G = new URL(glimpseSrv.url).origin;
  return page.evaluate(async ({ id, msgId, b64, G, extra }) => {
    const bin = atob(b64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    document.getElementById(id).contentWindow.postMessage({ type: 'glimpse:classify', id: msgId, image: new Blob([u8]), ...extra }, G);
    for (let t = 0; t < 1200; t++) {
      const m = window.__frames.find((m) => m.data && m.data.id === msgId);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  }, { id, msgId, b64: bytes(photo), G, extra });
}

before(async () => {
  glimpseSrv = await serve(staticDir, 0, corsHeaders);
  hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'glimpse-host-'));
  hostSrv = await serve(hostDir, 0, {}, { site: false });
  const G = glimpseSrv.url, H = new URL(hostSrv.url).origin;
  fs.copyFileSync(path.join(fixtures, 'unsupported.onnx'), path.join(hostDir, 'unsupported.onnx'));
  // A second model for widgets of their own (mobilenet v1, 1000 classes),
  // with two labels files of its size and a page of widgets using it.
  fs.copyFileSync(path.join(fixtures, 'v1.glimpse'), path.join(hostDir, 'v1.glimpse'));
  for (const k of ['a', 'b']) fs.writeFileSync(path.join(hostDir, `labels-${k}.txt`), Array.from({ length: v1Classes }, (_, i) => `${k}-${i}`).join('\n') + '\n');
  fs.writeFileSync(path.join(hostDir, 'widgets.html'), `<!doctype html>
<html><head><meta charset="utf-8"><title>widgets</title>
<script src="${G}glimpse-embed.js"></script></head>
<body>
<glimpse-classifier id="la" model="/v1.glimpse" labels="/labels-a.txt"></glimpse-classifier>
<glimpse-classifier id="lb" model="/v1.glimpse" labels="labels-b.txt"></glimpse-classifier>
<glimpse-classifier id="lx" model="/v1.glimpse" labels="/no-such-labels.txt"></glimpse-classifier>
<iframe id="app" src="${G}"></iframe>
</body></html>`);
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
  violations = await cspViolations(page); // in the iframes and workers of the Glimpse site
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

test("the iframe's top applies to its own message only", async () => {
  const three = await frameCall('ok', 'top-3', 'parrot.jpg', { top: 3 });
  const plain = await frameCall('ok', 'top-default', 'parrot.jpg');
  const two = await frameCall('ok', 'top-2', 'parrot.jpg', { top: 2 });
  const again = await frameCall('ok', 'top-default-2', 'parrot.jpg');
  assert.equal(three.data.top.length, 3);
  assert.equal(plain.data.top.length, 5, 'a message without top got the previous message\'s');
  assert.equal(two.data.top.length, 2);
  assert.equal(again.data.top.length, 5);
  // A silly top is bounded, not obeyed.
  const huge = await frameCall('ok', 'top-huge', 'parrot.jpg', { top: 1e9 });
  assert.equal(huge.data.type, 'glimpse:result');
  assert.equal(huge.data.top.length, 100);
  const shown = await page.frameLocator('#ok').locator('glimpse-classifier li').count();
  assert.equal(shown, 100);
});

test('widgets with one model and different labels each get their own labels; a bad labels URL fails only its widget', async () => {
  const H = hostSrv.url;
  await page.goto(H + 'widgets.html');
  const sure = Object.keys(v1).find((f) => v1[f].margin >= 0.1);
  const run = (id) => page.evaluate(async ({ id, b64 }) => {
    const bin = atob(b64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    try {
      const r = await document.getElementById(id).classify(new Blob([u8]));
      return { label: r.top[0].label, index: r.top[0].index, shown: document.getElementById(id).shadowRoot.querySelector('li span').textContent };
    } catch (e) {
      return { error: e.message, code: e.code, shown: document.getElementById(id).shadowRoot.querySelector('.status').textContent };
    }
  }, { id, b64: bytes(sure) });
  const [a, bb, x] = await Promise.all([run('la'), run('lb'), run('lx')]);
  const i = v1[sure].index;
  assert.deepEqual(a, { label: `a-${i}`, index: i, shown: `a-${i}` });
  assert.deepEqual(bb, { label: `b-${i}`, index: i, shown: `b-${i}` });
  assert.equal(x.code, 'model-load', JSON.stringify(x));
  assert.match(x.error, /no-such-labels\.txt.*404/);
  assert.match(x.shown, /no-such-labels/);
  // Once more, in the other order: still each its own.
  assert.equal((await run('lb')).label, `b-${i}`);
  assert.equal((await run('la')).label, `a-${i}`);

  // The app's page may not be framed by another site (frame-ancestors
  // 'self'); the browser refuses it and says so. That refusal is the only
  // violation this test expects.
  await page.waitForLoadState('load');
  const appFrame = page.frames().find((f) => f !== page.mainFrame());
  const framed = await appFrame.evaluate(() => typeof window.glimpse).catch(() => 'blocked');
  assert.notEqual(framed, 'object', `the app's page ran inside another site's frame (${appFrame.url()})`);
  for (let t = 0; t < 50 && !violations.some((v) => /frame-ancestors/.test(v)); t++) await new Promise((r) => setTimeout(r, 100));
  const refusals = violations.filter((v) => /frame-ancestors/.test(v));
  assert.ok(refusals.length > 0, 'no frame-ancestors refusal seen: ' + JSON.stringify(violations));
  violations.splice(0, violations.length, ...violations.filter((v) => !/frame-ancestors/.test(v)));
});

test('extra models stay at most four in the engine, their memory is reused, and labels given as text are never fetched', async () => {
  const H = hostSrv.url;
  const t = track(page);
  const r = await page.evaluate(async ({ b64, model, n, classes }) => {
    const bin = atob(b64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    const photo = new Blob([u8]);
    const out = { labels: [], slots: [], memory: [] };
    for (let k = 0; k < n; k++) {
      // Labels that look like addresses: text all the same.
      const first = k % 2 ? `/m/0k${k}` : `http://127.0.0.1:9/label-${k}`;
      const labels = [first].concat(Array.from({ length: classes - 1 }, (_, i) => `/m/${k}/${i + 1}`)).join('\n');
      const res = await glimpse.classify(photo, { model, labels, top: 1 });
      out.labels.push(res.top[0].label);
      out.slots.push((await glimpse._go.info()).slots);
      out.memory.push(glimpse.info().memory);
    }
    return out;
  }, { b64: bytes('parrot.jpg'), model: H + 'v1.glimpse', n: 12, classes: v1Classes });
  t.stop();
  const i = v1['parrot.jpg'].index;
  for (let k = 0; k < 12; k++) {
    assert.equal(r.labels[k], i === 0 ? (k % 2 ? `/m/0k${k}` : `http://127.0.0.1:9/label-${k}`) : `/m/${k}/${i}`, `model ${k}: ${r.labels[k]}`);
    assert.ok(r.slots[k] <= 4, `${r.slots[k]} slots after ${k + 1} models`);
  }
  const fetched = t.seen.filter((u) => /\/m\/|label-|127\.0\.0\.1:9\//.test(u));
  assert.deepEqual(fetched, [], 'labels text was fetched as a URL');
  const mib = (x) => (x / 2 ** 20).toFixed(0) + ' MiB';
  console.log(`engine memory with 4, 8 and 12 extra models loaded one after another: ${mib(r.memory[3])}, ${mib(r.memory[7])}, ${mib(r.memory[11])}`);
  assert.ok(r.memory[11] - r.memory[3] < 48 * 2 ** 20, `memory grew from ${mib(r.memory[3])} to ${mib(r.memory[11])}`);
});

test("embeds never boot the visitor's saved model: the iframe and the element, on the same origin and on another, use the default", async () => {
  const G = glimpseSrv.url;
  // Save a model of one's own in the app (on the Glimpse origin), as a
  // visitor does, and check that the app boots it on the next visit.
  const app = await b.ctx.newPage();
  try {
    await app.goto(G);
    await waitReady(app);
    const saved = await app.evaluate(async (b64) => {
      const bin = atob(b64);
      const u8 = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
      return glimpse.loadModel(new Blob([u8]), { name: 'private-v1.glimpse' });
    }, fs.readFileSync(path.join(fixtures, 'v1.glimpse')).toString('base64'));
    assert.equal(saved.name, 'private-v1.glimpse');
    await app.reload();
    await waitReady(app);
    const again = await app.evaluate(() => glimpse.info());
    assert.equal(again.name, 'private-v1.glimpse', 'the app did not keep the model: this test would prove nothing');
    assert.equal(again.isDefault, false);
  } finally { await app.close(); }

  const isDefault = (i) => i && i.isDefault === true && i.name === 'mobilenet_v2_1.0_224' && i.width === 224;
  // readyInfo: info() and the first labels of the engine of a page or frame, once ready.
  const readyInfo = async (f) => {
    await f.waitForFunction(() => window.glimpse && window.glimpse._defined, null, { timeout: 180000 });
    return f.evaluate(async () => { await glimpse.ready; return Object.assign(glimpse.info(), { firstLabels: glimpse.labels().slice(0, 3) }); });
  };
  let defaultLabels;
  // The iframe widget, opened on its own origin.
  const p = await b.ctx.newPage();
  try {
    await p.goto(G + 'embed/');
    const i = await readyInfo(p);
    assert.ok(isDefault(i), JSON.stringify(i));
    defaultLabels = i.firstLabels;
    assert.equal(defaultLabels.length, 3);
    // The embedding demo: an element and an iframe on the Glimpse origin.
    await p.goto(G + 'embed-demo.html');
    const d = await readyInfo(p);
    assert.ok(isDefault(d), JSON.stringify(d));
    assert.deepEqual(d.firstLabels, defaultLabels);
    const demoFrame = p.frames().find((f) => f !== p.mainFrame());
    const df = await readyInfo(demoFrame);
    assert.ok(isDefault(df), JSON.stringify(df));
    assert.deepEqual(df.firstLabels, defaultLabels);
  } finally { await p.close(); }

  // The host page on another origin: its elements and its iframe.
  await page.goto(hostSrv.url);
  await page.waitForFunction(() => window.__frames.some((m) => m.data && m.data.type === 'glimpse:ready'), null, { timeout: 180000 });
  assert.ok(isDefault(await readyInfo(page)));
  const ok = page.frames().find((f) => f.url().startsWith(G + 'embed/') && !f.url().includes('127.0.0.1%3A9'));
  const oi = await readyInfo(ok);
  assert.ok(isDefault(oi), 'the iframe on another origin booted the saved model: ' + JSON.stringify(oi));
  assert.deepEqual(oi.firstLabels, defaultLabels);
  const reply = await frameCall('ok', 'private', 'parrot.jpg', { top: 3 });
  assert.equal(reply.data.top[0].index, exp['parrot.jpg'].index);
  const all = await ok.evaluate(() => glimpse.labels());
  assert.equal(reply.data.top[0].label, all[exp['parrot.jpg'].index]);
});

test('the explain attribute draws where the model looked over each photo; the iframe explains on request', async () => {
  const G = glimpseSrv.url, H = new URL(hostSrv.url).origin;
  fs.writeFileSync(path.join(hostDir, 'explain.html'), `<!doctype html>
<html><head><meta charset="utf-8"><title>explain</title>
<style>body { font-family: sans-serif; } .row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; } glimpse-classifier { width: 320px; }</style>
<script src="${G}glimpse-embed.js"></script></head>
<body>
<div class="row">
  <glimpse-classifier id="e" top="3" explain></glimpse-classifier>
  <glimpse-classifier id="v" top="3" model="/v1.glimpse" explain="occlusion"></glimpse-classifier>
</div>
<iframe id="fx" src="${G}embed/?origins=${encodeURIComponent(H)}&explain"></iframe>
<script>
  window.__events = [];
  for (const el of document.querySelectorAll('glimpse-classifier')) {
    for (const t of ['glimpse-ready', 'glimpse-result', 'glimpse-explain', 'glimpse-error']) {
      el.addEventListener(t, (e) => window.__events.push({ id: el.id, type: t, detail: t === 'glimpse-explain' ? { method: e.detail.method, label: e.detail.label, class: e.detail.class, rows: e.detail.rows } : e.detail }));
    }
  }
  window.__frames = [];
  window.addEventListener('message', (e) => window.__frames.push({ origin: e.origin, data: e.data }));
</script>
</body></html>`);
  await page.goto(hostSrv.url + 'explain.html');
  await page.waitForFunction(() => window.__events.filter((e) => e.type === 'glimpse-ready').length >= 2, null, { timeout: 180000 });
  const explained = (id) => page.waitForFunction((id) => window.__events.find((e) => e.id === id && e.type === 'glimpse-explain')?.detail, id, { timeout: 180000 }).then((h) => h.jsonValue());
  const [e, v] = await Promise.all([explained('e'), explained('v'), classifyIn('e', 'parrot.jpg'), classifyIn('v', 'parrot.jpg')]);
  console.log(JSON.stringify({ e, v }));
  assert.deepEqual([e.method, e.label, e.rows], ['gradcam', 'macaw', 7], 'the default model by Grad-CAM, in the explainer');
  assert.deepEqual([v.method, v.class], ['occlusion', v1['parrot.jpg'].index], "the widget's own model, by the attribute's method");
  for (const id of ['e', 'v']) assert.equal(await page.locator(`#${id} canvas`).count(), 1, `${id} draws the heat`);
  // explain() on the element: another method, on the widget's model.
  const g = await page.evaluate(async () => { const x = await document.getElementById('v').explain({ method: 'gradcam' }); return [x.method, x.rows, x.cols]; });
  assert.deepEqual(g, ['gradcam', 4, 4], 'MobileNet v1 at 128: a 4×4 last feature map');
  await screenshot(page, 'embed-explain-desktop.png');
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'embed-explain-phone.png');
  await page.setViewportSize({ width: 1280, height: 900 });
  // The iframe: classify, then ask where it looked.
  const r = await frameCall('fx', 'x1', 'parrot.jpg');
  assert.equal(r.data.type, 'glimpse:result');
  const x = await page.evaluate(async (G) => {
    document.getElementById('fx').contentWindow.postMessage({ type: 'glimpse:explain', id: 'x2', class: 88 }, G);
    for (let t = 0; t < 1800; t++) {
      const m = window.__frames.find((m) => m.data && m.data.id === 'x2');
      if (m) return { type: m.data.type, method: m.data.method, class: m.data.class, n: m.data.heat && m.data.heat.length, rows: m.data.rows, cols: m.data.cols };
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  }, new URL(G).origin);
  assert.deepEqual(x, { type: 'glimpse:explanation', method: 'gradcam', class: 88, n: 49, rows: 7, cols: 7 });
});

test('no Content-Security-Policy violation on the Glimpse site', () => {
  assert.deepEqual(violations, []);
});
