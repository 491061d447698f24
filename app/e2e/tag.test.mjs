// Photo tagging and evaluation in the browser, on ../shared/photos.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve, launch, expected, waitReady, track, screenshot, shared, staticDir, cspViolations } from './harness.mjs';

const exp = expected();
const display = (label) => label.split(',')[0].trim();
const photosDir = path.join(shared, 'photos');
const photoFiles = fs.readdirSync(photosDir).filter((f) => /\.(jpg|png|bmp)$/.test(f)).sort();
let server, b, page, tmp, violations;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glimpse-tag-'));
  // 14 photos as they are.
  const mine = path.join(tmp, 'photos');
  fs.mkdirSync(mine);
  for (const f of photoFiles) fs.copyFileSync(path.join(photosDir, f), path.join(mine, f));
  // 50 distinct images: the photos plus copies with bytes appended after
  // the image data (still valid images, different content hashes).
  const fifty = path.join(tmp, 'fifty');
  fs.mkdirSync(fifty);
  let n = 0;
  for (const f of photoFiles) { fs.copyFileSync(path.join(photosDir, f), path.join(fifty, f)); n++; }
  const copyable = photoFiles.filter((f) => /\.(jpg|png)$/.test(f));
  for (let i = 0; n < 50; i++, n++) {
    const f = copyable[i % copyable.length];
    const data = Buffer.concat([fs.readFileSync(path.join(photosDir, f)), Buffer.from(`glimpse-copy-${i}`)]);
    fs.writeFileSync(path.join(fifty, `copy${i}-${f}`), data);
  }
  server = await serve(staticDir);
  b = await launch();
  page = b.ctx.pages()[0] || (await b.ctx.newPage());
  page.on('dialog', (d) => d.accept());
  violations = await cspViolations(page); // served with the server's Content-Security-Policy
  await page.addInitScript(() => {
    window.__longtasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push({ start: e.startTime, ms: e.duration }); })
      .observe({ type: 'longtask', buffered: true });
  });
  await page.goto(server.url + '#tag');
  await waitReady(page);
});

after(async () => {
  await b?.close();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function tagFolder(dir, count) {
  await page.setInputFiles('#tag-folder', dir);
  await page.waitForFunction((n) => (document.querySelector('#tag-count')?.textContent || '') === `${n} / ${n}` &&
    /Tagged|Cancelled/.test(document.querySelector('#tag-msg')?.textContent || ''), count, { timeout: 300000 });
}

async function cardTags() {
  return page.$$eval('#gallery .photo', (els) => Object.fromEntries(els.map((e) => [e.dataset.file.split('/').pop(), e.dataset.tags.split(';').filter(Boolean)])));
}

test('tagging the 14 photos gives each its expected top-1 as a tag, and the progress reaches 14/14', async () => {
  await tagFolder(path.join(tmp, 'photos'), 14);
  const tags = await cardTags();
  assert.equal(Object.keys(tags).length, 14);
  for (const f of photoFiles) {
    assert.ok(tags[f].includes(display(exp[f].label)), `${f}: tags ${tags[f]}, want ${display(exp[f].label)}`);
  }
  assert.match(await page.textContent('#tag-progress'), /14 \/ 14/);
  await screenshot(page, 'tag-desktop.png');
  await page.click('#gallery .photo[data-file$="parrot.jpg"]');
  await page.waitForSelector('#tag-detail');
  assert.match(await page.textContent('#tag-detail'), /macaw/);
  // Where the model looked, on the thumbnail kept with the tags (Grad-CAM
  // in the explainer's worker); a score's label explains that class.
  await page.click('#tag-detail .explain-btn');
  await page.waitForSelector('#tag-detail img.heat', { timeout: 180000 });
  assert.match(await page.textContent('#tag-detail .explain'), /macaw.*Grad-CAM/);
  await screenshot(page, 'tag-detail-desktop.png');
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'tag-phone.png');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.click('#tag-detail-close');
});

test('similar photos: the nearest photo to one cat is the other cat, from embeddings kept beside the tags', async () => {
  await page.click('#gallery .photo[data-file$="cat.bmp"]');
  await page.waitForSelector('#tag-detail');
  await page.click('#tag-similar');
  await page.waitForSelector('#tag-similar-results .photo', { timeout: 120000 });
  const hits = await page.$$eval('#tag-similar-results .photo', (els) => els.map((e) => [e.title.split('/').pop(), e.textContent]));
  console.log(JSON.stringify(hits.slice(0, 4)));
  assert.equal(hits.length, 12);
  assert.equal(hits[0][0], 'chelsea.png');
  await screenshot(page, 'tag-similar-desktop.png');
  // The embeddings are stored with the records: asking again computes none.
  const stored = await page.evaluate(async () => (await glimpseTagging.store.all()).filter((r) => r.embedding && r.embedding.length === 1280).length);
  assert.equal(stored, 14);
  await page.click('#tag-detail-close');
});

test('a tag corrected by hand, the export and the import round-trip; a re-run skips done photos', async () => {
  // Correct parrot.jpg: add "parrot".
  await page.click('#gallery .photo[data-file$="parrot.jpg"]');
  await page.fill('#new-tag', 'parrot');
  await page.press('#new-tag', 'Enter');
  await page.waitForFunction(() => /parrot/.test(document.querySelector('#gallery .photo[data-file$="parrot.jpg"]')?.dataset.tags || ''));
  await page.click('#tag-detail-close');
  const before = await cardTags();

  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#tag-export-json')]);
  const file = path.join(tmp, 'export.json');
  await dl.saveAs(file);
  const exported = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(exported.length, 14);
  assert.ok(exported.every((r) => r.hash && r.file && Array.isArray(r.tags)));

  await page.click('#tag-clear');
  await page.waitForFunction(() => !document.querySelector('#gallery'));
  await page.setInputFiles('#tag-import-file', file);
  await page.waitForFunction(() => document.querySelectorAll('#gallery .photo').length === 14);
  assert.deepEqual(await cardTags(), before, 'tags after export and import');

  // The same folder again: every photo is already done (keyed by content hash).
  await tagFolder(path.join(tmp, 'photos'), 14);
  assert.match(await page.textContent('#tag-msg'), /\(14 already done/);
  await page.reload();
  await waitReady(page);
  await page.waitForFunction(() => document.querySelectorAll('#gallery .photo').length === 14);
  assert.deepEqual(await cardTags(), before, 'tags after a reload (IndexedDB)');
});

test('tagging 50 images sends nothing anywhere; throughput beside single-image classification', async () => {
  // Single-image speed: each photo classified on its own, as a Blob, the
  // way the Classify view does it (decoding included).
  const blobs = photoFiles.map((f) => fs.readFileSync(path.join(photosDir, f)).toString('base64'));
  const single = await page.evaluate(async (list) => {
    const times = [];
    for (const b64 of list) {
      const bin = atob(b64);
      const u8 = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
      const t0 = performance.now();
      await glimpse.classify(new Blob([u8]));
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[times.length >> 1];
  }, blobs);
  const t = track(page);
  await page.click('#tag-clear');
  const t0 = await page.evaluate(() => performance.now());
  await tagFolder(path.join(tmp, 'fifty'), 50);
  t.stop();
  const lt = await page.evaluate((t0) => window.__longtasks.filter((e) => e.start >= t0), t0);
  console.log(`tagging 50 in the app: ${lt.length} main-thread long tasks over 50 ms (longest ${Math.max(0, ...lt.map((e) => e.ms)).toFixed(0)} ms)`);
  // The only requests allowed are a pool engine starting: the engine's own
  // files (app.wasm on the app's page) and the model, from the page's
  // origin. No photo goes anywhere.
  const origin = new URL(page.url()).origin;
  const startup = /^\/(web\/(engine|app|explainer)\.(js|wasm)|wasm_exec\.js|web\/models\/mobilenet_v2_1\.0_224\/model\.glimpse)$/;
  assert.deepEqual(t.seen.filter((u) => /^https?:/.test(u) && !(new URL(u).origin === origin && startup.test(new URL(u).pathname))), [], 'tagging made network requests');
  console.log(`tagging: ${t.seen.filter((u) => /^https?:/.test(u)).length} same-origin requests from a pool engine starting`);
  const rate = Number((await page.textContent('#tag-rate')).match(/([\d.]+) photos\/s/)[1]);
  console.log(`tagging: ${rate.toFixed(2)} photos/s; single-image classify median ${single.toFixed(0)} ms (${(1000 / single).toFixed(2)}/s); ratio ${(rate * single / 1000).toFixed(2)}`);
});

test('evaluating a labelled folder shows the right accuracy and a confusion matrix', async () => {
  // One sub-folder per expected top-1 (its first synonym), and hot_dog.jpg
  // deliberately filed under "macaw": 13 of 14 right.
  const lab = path.join(tmp, 'labelled');
  for (const f of photoFiles) {
    const cls = f === 'hot_dog.jpg' ? 'macaw' : display(exp[f].label);
    fs.mkdirSync(path.join(lab, cls), { recursive: true });
    fs.copyFileSync(path.join(photosDir, f), path.join(lab, cls, f));
  }
  await page.click('#tab-eval');
  await page.setInputFiles('#eval-folder', lab);
  await page.waitForSelector('#eval-run:not([disabled])');
  assert.match(await page.textContent('#eval-run'), /Evaluate 14 photos/);
  await page.click('#eval-run');
  await page.waitForSelector('#eval-accuracy', { timeout: 300000 });
  assert.equal(await page.textContent('#eval-accuracy'), `${(100 * 13 / 14).toFixed(1)}%`);
  const rows = await page.$$eval('#eval-confusion tbody tr', (r) => r.length);
  const classes = new Set(photoFiles.map((f) => display(exp[f].label))).size + 0;
  assert.ok(rows >= classes, `confusion matrix has ${rows} rows for ${classes} classes`);
  assert.match(await page.textContent('#eval-misses'), /hot_dog\.jpg/);
  // A misclassified photo shows where the model looked for what it
  // predicted; its true class is a click away.
  await page.click('#eval-misses .photo[data-file$="hot_dog.jpg"]');
  await page.waitForSelector('#eval-miss img.heat', { timeout: 180000 });
  const box = await page.evaluate(() => {
    const h = document.querySelector('#eval-miss img.heat').getBoundingClientRect();
    const p = document.querySelector('#eval-miss img.detail-img').getBoundingClientRect();
    return { h: [h.left, h.top, h.right, h.bottom], p: [p.left, p.top, p.right, p.bottom] };
  });
  assert.ok(box.h[0] >= box.p[0] - 1 && box.h[1] >= box.p[1] - 1 && box.h[2] <= box.p[2] + 1 && box.h[3] <= box.p[3] + 1, 'the heat lies on the photo: ' + JSON.stringify(box));
  assert.match(await page.textContent('#eval-miss .explain'), /hotdog/);
  await page.click('#eval-miss .preds li:nth-child(2)');
  await page.waitForFunction(() => /macaw/.test(document.querySelector('#eval-miss .explain')?.textContent || ''), null, { timeout: 120000 });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#eval-export-json')]);
  const file = path.join(tmp, 'report.json');
  await dl.saveAs(file);
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.ok(Math.abs(report.accuracy - 13 / 14) < 1e-9, `report accuracy ${report.accuracy}`);
  for (const k of ['top5_accuracy', 'per_class', 'macro', 'weighted', 'confusion']) assert.ok(k in report, k);
  await screenshot(page, 'eval-desktop.png');
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'eval-phone.png');
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('tagging and evaluating met no Content-Security-Policy violation', () => {
  assert.deepEqual(violations, []);
});
