// The model check in the model panel: after a user's own model loads and
// the page is idle, the panel shows its opset, ops and where they run,
// folding and fusion, the self-check against the reference and the time
// per run; a model that fails to load is checked as a file, listing every
// missing op. Run by `make test-e2e`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, waitReady, screenshot, shared, staticDir, fixtures } from './harness.mjs';

let server, browser, page;
const pageErrors = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(staticDir, 'index.html')), `no static site in ${staticDir}: run make static`);
  server = await serve(staticDir);
  browser = await launch();
  page = browser.ctx.pages()[0] || (await browser.ctx.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the model panel shows the check of an own model, and of one that cannot run', async () => {
  await page.goto(server.url);
  await waitReady(page);
  // The default model is not checked on its own; a button offers it.
  assert.equal(await page.locator('#model-check').count(), 0);
  assert.equal(await page.locator('#check-run').count(), 1);

  await page.click('#model-panel summary:has-text("Use your own model")');
  await page.setInputFiles('#model-file', path.join(shared, 'zoo/squeezenet1_1/model.onnx'));
  await page.click('#model-load');
  await page.waitForSelector('#model-status:has-text("Now using")', { timeout: 120000 });
  await page.waitForSelector('#model-check[data-verdict]', { timeout: 180000 });
  assert.equal(await page.getAttribute('#model-check', 'data-verdict'), 'ok');
  assert.equal((await page.textContent('#check-verdict')).trim(), 'OK');
  const facts = await page.textContent('#check-facts');
  for (const want of [/Opset\s*13 · IR 7/, /0 folded, 26 fused, 39 run/, /all 38 ops on the GPU/,
    /max \|diff\| \S+ \(tolerance 0\.00012\) · runs agree/, /Time per run\s*[\d.]+ ms optimised · [\d.]+ ms unoptimised/]) {
    assert.match(facts, want);
  }
  await page.click('#model-check summary');
  const ops = await page.$$eval('#model-check table.ops tr', (rows) => rows.map((r) => r.innerText.split('\t').map((s) => s.trim())));
  assert.deepEqual(ops.find((r) => r[0] === 'FusedConv'), ['FusedConv', '0', '26', 'gpu']);
  assert.deepEqual(ops.find((r) => r[0] === 'Relu'), ['Relu', '26', '0', 'fused']);
  const r = await page.evaluate(() => glimpse.check());
  assert.equal(r.verdict, 'ok');
  assert.equal(r.notice, '');
  assert.equal(r.self_check.outputs[0].name, 'logits');
  assert.ok(r.self_check.outputs[0].max_abs_diff <= r.self_check.outputs[0].atol);
  assert.equal(await page.evaluate(() => glimpse.info().checked), 'ok');
  await screenshot(page, 'check-desktop.png');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('#model-check').scrollIntoViewIfNeeded();
  await screenshot(page, 'check-phone.png');
  await page.setViewportSize({ width: 1280, height: 900 });

  // A broken optimised program (injected): the page's model falls back to
  // the unoptimised program, says why, and still classifies.
  assert.deepEqual(await page.evaluate(() => glimpse._go.injectMismatch()), { ok: true });
  const bad = await page.evaluate(() => glimpse.check());
  assert.equal(bad.verdict, 'mismatch');
  assert.match(bad.notice, /^using the unoptimised program because output "logits" of the optimised program differs from the reference by 1 /);
  await page.waitForSelector('#model-check[data-verdict="mismatch"] #check-fallback', { timeout: 30000 });
  assert.equal((await page.textContent('#check-verdict')).trim(), 'Mismatch');
  assert.match(await page.textContent('#check-fallback'), /^Using the unoptimised program because output "logits"/);
  const info = await page.evaluate(() => glimpse.info());
  assert.match(info.fallback, /unoptimised program/);
  // The page runs the bundle the importer compiled (39 nodes, fused); its
  // unoptimised program is that graph without buffer reuse.
  assert.equal(info.opsRun, 39, 'the unoptimised program of the bundle');
  const b64 = fs.readFileSync(path.join(shared, 'photos', 'cat.bmp')).toString('base64');
  const res = await page.evaluate(async (b64) => {
    const bin = atob(b64);
    const u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    return glimpse.classify(new Blob([u8]), { top: 1 });
  }, b64);
  assert.equal(res.top.length, 1);
  await screenshot(page, 'check-fallback-desktop.png');

  // An op Glimpse lacks: the load fails, and the check of the file lists it.
  await page.setInputFiles('#model-file', path.join(fixtures, 'unsupported.onnx'));
  await page.click('#model-load');
  await page.waitForSelector('#model-error', { timeout: 60000 });
  await page.waitForSelector('#model-check[data-verdict="cannot run"]', { timeout: 60000 });
  assert.equal((await page.textContent('#check-verdict')).trim(), 'Cannot run');
  assert.match(await page.textContent('#check-missing'), /FancyWarp ×1 \(warp_1\)/);
  assert.match(await page.textContent('#model-check h3'), /Check of unsupported\.onnx/);
  await screenshot(page, 'check-unsupported-desktop.png');
  assert.deepEqual(pageErrors, []);
});
