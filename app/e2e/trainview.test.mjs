// The Train view as a person uses it: classes as cards, photos added from
// files and from the (fake) camera while a button is held, kept across a
// reload; training with progress and curves; the validation report; "Use
// this model" making it the page's model. Screenshots at desktop and phone
// size. The photos are drawn here (shapes the model has never seen).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { serve, launch, waitReady, staticDir, fixtures, screenshot } from './harness.mjs';

let server;
before(async () => { server = await serve(staticDir); });
after(async () => { await server?.close(); });

// shapes(kind, n, seed) → n PNG files {name, mimeType, buffer} drawn in the page.
async function shapes(page, kind, n, seed) {
  const list = await page.evaluate(async ({ kind, n, seed }) => {
    const out = [];
    let s = seed >>> 0;
    const rnd = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
    for (let i = 0; i < n; i++) {
      const c = new OffscreenCanvas(200, 160);
      const g = c.getContext('2d');
      g.fillStyle = `hsl(${360 * rnd()},40%,${35 + 30 * rnd()}%)`;
      g.fillRect(0, 0, 200, 160);
      g.fillStyle = `hsl(${360 * rnd()},85%,${rnd() < 0.5 ? 20 : 85}%)`;
      const r = 30 + 25 * rnd(), x = r + (200 - 2 * r) * rnd(), y = r + (160 - 2 * r) * rnd();
      if (kind === 'circle') { g.beginPath(); g.arc(x, y, r, 0, 2 * Math.PI); g.fill(); }
      else { g.save(); g.translate(x, y); g.rotate(rnd()); g.fillRect(-r * 0.8, -r * 0.8, 1.6 * r, 1.6 * r); g.restore(); }
      const b = await c.convertToBlob({ type: 'image/png' });
      const u8 = new Uint8Array(await b.arrayBuffer());
      let bin = '';
      for (const v of u8) bin += String.fromCharCode(v);
      out.push(btoa(bin));
    }
    return out;
  }, { kind, n, seed });
  return list.map((b64, i) => ({ name: `${kind}-${i}.png`, mimeType: 'image/png', buffer: Buffer.from(b64, 'base64') }));
}

test('the Train view: classes of photos and camera frames, kept, trained with curves and a report, then used', async () => {
  const b = await launch(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${path.join(fixtures, 'camera.y4m')}`]);
  try {
    const page = b.ctx.pages()[0] || (await b.ctx.newPage());
    await page.goto(server.url + '#train');
    await waitReady(page, 300000);
    await page.waitForSelector('#train-add-class');
    for (let i = 0; i < 3; i++) await page.click('#train-add-class');
    await page.waitForFunction(() => document.querySelectorAll('.train-class').length === 3);
    const names = page.locator('.train-name');
    await names.nth(0).fill('circle'); await names.nth(0).press('Enter');
    await page.waitForSelector('.train-class[data-class="circle"]');
    await names.nth(1).fill('square'); await names.nth(1).press('Enter');
    await page.waitForSelector('.train-class[data-class="square"]');
    await names.nth(2).fill('camera'); await names.nth(2).press('Enter');
    await page.waitForSelector('.train-class[data-class="camera"]');
    await page.setInputFiles('#train-files-0', await shapes(page, 'circle', 8, 1));
    await page.setInputFiles('#train-files-1', await shapes(page, 'square', 8, 2));
    await page.waitForFunction(() => document.querySelectorAll('.train-class')[1].querySelectorAll('.train-thumb').length === 8);

    // A folder of class folders: its "circle" photos join the circle class.
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'glimpse-train-'));
    fs.mkdirSync(path.join(folder, 'circle'));
    for (const f of await shapes(page, 'circle', 3, 9)) fs.writeFileSync(path.join(folder, 'circle', f.name), f.buffer);
    fs.writeFileSync(path.join(folder, 'circle', 'notes.txt'), 'not a photo');
    await page.setInputFiles('#train-folder', folder);
    await page.waitForFunction(() => document.querySelector('.train-class[data-class="circle"] .muted').textContent === '11 photos');
    assert.match(await page.textContent('#train-error'), /1 file\(s\) were not photos and were skipped/);
    fs.rmSync(folder, { recursive: true, force: true });

    // Camera frames while "Hold to record" is held.
    await page.click('#train-camera');
    await page.waitForFunction(() => { const v = document.getElementById('train-video'); return v && v.readyState >= 2; });
    const rec = page.locator('.train-class[data-class="camera"] button.record');
    await rec.hover();
    await page.mouse.down();
    await page.waitForFunction(() => document.querySelector('.train-class[data-class="camera"]').querySelectorAll('.train-thumb').length >= 6, null, { timeout: 20000 });
    await page.mouse.up();
    await page.click('#train-camera');
    await screenshot(page, 'train-desktop-classes.png');

    // Kept across a reload.
    const counts = await page.evaluate(() => [...document.querySelectorAll('.train-class')].map((c) => c.querySelectorAll('.train-thumb').length));
    await page.reload();
    await waitReady(page, 300000);
    await page.waitForFunction((n) => document.querySelectorAll('.train-class').length === n, counts.length);
    const again = await page.evaluate(() => [...document.querySelectorAll('.train-class')].map((c) => [c.dataset.class, c.querySelectorAll('.train-thumb').length]));
    assert.deepEqual(again.map((x) => x[0]), ['circle', 'square', 'camera']);
    assert.deepEqual(again.map((x) => x[1]), counts);

    // Train.
    await page.selectOption("#train-augment", "2");
    await page.click('#train-start');
    await page.waitForSelector('#train-report', { timeout: 300000 });
    await page.waitForSelector('#train-curves svg');
    const report = await page.evaluate(() => ({
      acc: document.getElementById('train-accuracy')?.textContent,
      summary: document.getElementById('train-summary')?.textContent,
      confusion: document.querySelectorAll('#train-confusion tbody tr').length,
      curves: document.querySelectorAll('#train-curves svg polyline').length,
    }));
    console.log(JSON.stringify(report));
    assert.equal(report.confusion, 3);
    assert.equal(report.curves, 4);
    assert.match(report.summary, /Trained a \S+ head on \d+ photos of 3 classes/);
    assert.ok(parseFloat(report.acc) >= 60, `validation accuracy ${report.acc}`);
    await screenshot(page, 'train-desktop-report.png');

    await page.click('#train-use');
    await page.waitForSelector('#train-try');
    const labels = await page.evaluate(() => glimpse.labels());
    assert.deepEqual(labels, ['circle', 'square', 'camera']);
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'train-phone-report.png');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'train-phone-top.png');
  } finally {
    await b.close();
  }
});
