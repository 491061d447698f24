// The WebGPU backend in the app: Chromium with --enable-unsafe-webgpu (the
// SwiftShader adapter here — slow, but real), forced through the backend
// setting because "auto" leaves software adapters alone. Then faults, and a
// browser without the flag.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, expected, waitReady, screenshot, shared, staticDir } from './harness.mjs';

const exp = expected();
let server, b, page;

before(async () => {
  server = await serve(staticDir);
  b = await launch(['--enable-unsafe-webgpu']);
  page = b.ctx.pages()[0] || (await b.ctx.newPage());
  await page.addInitScript(() => localStorage.setItem('glimpse.backend', 'webgpu'));
});

after(async () => {
  await b?.close();
  await server?.close();
});

const photo = (f) => fs.readFileSync(path.join(shared, 'photos', f)).toString('base64');

async function classifyBlob(f) {
  return page.evaluate(async (b64) => {
    const bin = atob(b64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    return glimpse.classify(new Blob([u8]), { top: 3 });
  }, photo(f));
}

test('with an adapter the whole model runs on WebGPU and gives the CPU\'s answers', async () => {
  await page.goto(server.url);
  await waitReady(page, 300000);
  const info = await page.evaluate(() => glimpse.info());
  assert.equal(info.backend, 'webgpu', JSON.stringify(info));
  assert.match(info.adapter, /swiftshader/i);
  assert.deepEqual(info.cpuOps || [], []);
  await page.waitForSelector('#backend-badge:has-text("webgpu")');

  // Every shared photo whose reference margin is at least 0.1.
  for (const f of Object.keys(exp).filter((f) => exp[f].margin >= 0.1)) {
    const r = await classifyBlob(f);
    assert.equal(r.backend, 'webgpu');
    assert.equal(r.top[0].index, exp[f].index, f);
  }
  // The same input on both backends: probabilities within 1e-3.
  const diff = await page.evaluate(async () => {
    const n = 3 * 224 * 224;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37);
    const g = await glimpse.infer(x);
    await glimpse.setBackend('cpu');
    const c = await glimpse.infer(x);
    await glimpse.setBackend('webgpu');
    let d = 0;
    for (let i = 0; i < c.output.length; i++) d = Math.max(d, Math.abs(g.output[i] - c.output[i]));
    return { d, g: g.backend, c: c.backend };
  });
  assert.equal(diff.g, 'webgpu');
  assert.equal(diff.c, 'cpu');
  assert.ok(diff.d <= 1e-3, `max |gpu - cpu| on probabilities ${diff.d}`);
  console.log(`webgpu vs cpu, MobileNetV2 probabilities: max |diff| ${diff.d.toExponential(2)}`);
  await page.click('#model-panel summary').catch(() => {});
  await screenshot(page, 'webgpu-desktop.png');
});

test('the small MobileNet also runs on WebGPU with the reference top-1', async () => {
  const v1 = expected('mobilenet_v1_0.25_128');
  const dir = path.join(shared, 'models/mobilenet_v1_0.25_128');
  const card = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '../../testdata/cards/mobilenet_v1_0.25_128.json'), 'utf8');
  const info = await page.evaluate(async ({ b64, labels, card }) => {
    const bin = atob(b64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    return glimpse.loadModel(new Blob([u8]), { labels, card, name: 'mobilenet_v1_0.25_128', persist: false });
  }, { b64: fs.readFileSync(path.join(dir, 'model.onnx')).toString('base64'), labels: fs.readFileSync(path.join(dir, 'labels.txt'), 'utf8'), card });
  assert.equal(info.backend, 'webgpu', JSON.stringify(info));
  assert.equal(info.width, 128);
  for (const f of Object.keys(v1).filter((f) => v1[f].margin >= 0.1)) {
    const r = await classifyBlob(f);
    assert.equal(r.backend, 'webgpu');
    assert.equal(r.top[0].index, v1[f].index, f);
  }
  await page.evaluate(() => glimpse.resetModel());
  assert.equal((await page.evaluate(() => glimpse.info())).backend, 'webgpu');
});

test('a lost device switches to the CPU with a notice, and classification goes on', async () => {
  assert.equal((await page.evaluate(() => glimpse.info())).backend, 'webgpu');
  const r = await page.evaluate(() => glimpse._go.injectFault('lost'));
  assert.ok(r.ok, JSON.stringify(r));
  await page.waitForSelector('#notice:has-text("switched to the CPU")', { timeout: 60000 });
  await page.waitForFunction(() => glimpse.info().backend === 'cpu');
  const after = await classifyBlob('cat.bmp');
  assert.equal(after.backend, 'cpu');
  assert.equal(after.top[0].index, exp['cat.bmp'].index);
});

test('a validation error switches to the CPU, and no frame is dropped', async () => {
  const info = await page.evaluate(() => glimpse.setBackend('webgpu'));
  assert.equal(info.backend, 'webgpu', 'a new device after the lost one');
  await page.evaluate(() => glimpse._go.injectFault('validation'));
  // The error surfaces when commands are flushed: every frame still gets a result.
  for (let i = 0; i < 3; i++) {
    const r = await classifyBlob('coffee.png');
    assert.equal(r.top[0].index, exp['coffee.png'].index, `frame ${i} on ${r.backend}`);
  }
  await page.waitForFunction(() => glimpse.info().backend === 'cpu', null, { timeout: 60000 });
  assert.match(await page.textContent('#notice'), /switched to the CPU/);
});

test('without the flag there is no adapter: the app says so and uses the CPU', async () => {
  const c = await launch();
  try {
    const p = c.ctx.pages()[0] || (await c.ctx.newPage());
    await p.addInitScript(() => localStorage.setItem('glimpse.backend', 'webgpu'));
    await p.goto(server.url);
    await waitReady(p);
    const info = await p.evaluate(() => glimpse.info());
    assert.equal(info.backend, 'cpu');
    assert.match(info.gpuReason || '', /no adapter|not available/);
    await p.waitForSelector('#notice:has-text("using the CPU")', { timeout: 60000 });
    const r = await p.evaluate(async () => {
      const cv = document.createElement('canvas');
      cv.width = cv.height = 64;
      return glimpse.classify(cv);
    });
    assert.equal(r.backend, 'cpu');
  } finally {
    await c.close();
  }
});
