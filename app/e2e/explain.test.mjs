// Where the model looked, in the browser: glimpse.explain on a composite
// (a photo pasted into one quadrant of a grey canvas) puts most of the
// heat in that quadrant, by occlusion on the page's engine and by
// Grad-CAM and Grad-CAM++ in the explainer's worker; in the app, a result's "Where did it look?" shows
// the heat over the photo, a label explains its class, and Save PNG
// downloads the photo with the heat.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, waitReady, staticDir, shared, screenshot } from './harness.mjs';

let server;
before(async () => { server = await serve(staticDir); });
after(async () => { await server?.close(); });

test('explanations: the heat lies where the object is, and the app shows it over the photo', async () => {
  const b = await launch();
  try {
    const page = b.ctx.pages()[0] || (await b.ctx.newPage());
    await page.goto(server.url);
    await waitReady(page, 300000);
    const parrot = fs.readFileSync(path.join(shared, 'photos', 'parrot.jpg')).toString('base64');
    const shares = await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const photo = await createImageBitmap(new Blob([bytes]));
      const out = [];
      for (const [qx, qy, opts] of [[0, 0, { method: 'occlusion', patch: 32, stride: 32 }], [1, 1, { method: 'occlusion', patch: 32, stride: 32 }], [1, 0, {}], [0, 1, { method: 'gradcam++' }]]) {
        const c = document.createElement('canvas');
        c.width = c.height = 448;
        const g = c.getContext('2d');
        g.fillStyle = '#808080';
        g.fillRect(0, 0, 448, 448);
        g.drawImage(photo, qx * 224, qy * 224, 224, 224);
        const x = await glimpse.explain(c, opts);
        let total = 0, inside = 0;
        for (let r = 0; r < x.rows; r++) for (let k = 0; k < x.cols; k++) {
          const v = x.heat[r * x.cols + k];
          total += v;
          if ((r < x.rows / 2) === (qy === 0) && (k < x.cols / 2) === (qx === 0)) inside += v;
        }
        out.push({ q: [qx, qy], method: x.method, label: x.label, rows: x.rows, cols: x.cols, share: inside / total, region: x.region, ms: x.ms });
      }
      return out;
    }, parrot);
    console.log(JSON.stringify(shares));
    // The default is Grad-CAM (in the explainer's worker) on MobileNetV2's
    // last 7×7 feature map.
    assert.deepEqual(shares.map((s) => s.method), ['occlusion', 'occlusion', 'gradcam', 'gradcam++']);
    assert.deepEqual([shares[2].rows, shares[2].cols], [7, 7]);
    for (const s of shares) {
      assert.equal(s.label, 'macaw');
      assert.ok(s.share > 0.5, `heat in the quadrant with the parrot: ${s.share}`);
      assert.deepEqual(s.region, [0, 0, 1, 1], 'a square image is read whole');
    }

    // The app: upload, explain, explain another label, save.
    await page.setInputFiles('#file-input', path.join(shared, 'photos', 'parrot.jpg'));
    await page.waitForSelector('.result[data-state=done]');
    await page.click('.result .explain-btn');
    await page.waitForSelector('.result .preview-wrap img.heat', { timeout: 120000 });
    const box = await page.evaluate(() => {
      const h = document.querySelector('.result img.heat').getBoundingClientRect();
      const p = document.querySelector('.result img.preview').getBoundingClientRect();
      return { h: [h.left - p.left, h.top - p.top, h.width, h.height], p: [p.width, p.height] };
    });
    assert.ok(box.h[2] > 0.5 * box.p[0] && box.h[3] > 0.5 * box.p[1] && box.h[2] <= box.p[0] + 1 && box.h[3] <= box.p[1] + 1, JSON.stringify(box));
    assert.match(await page.textContent('.result .explain'), /macaw/);
    await screenshot(page, 'explain-desktop.png');
    await page.click('.result .preds li:nth-child(2)');
    await page.waitForFunction(() => !/macaw/.test(document.querySelector('.result .explain')?.textContent || 'macaw'), null, { timeout: 120000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.result .explain button:has-text("Save PNG")')]);
    const file = await download.path();
    const head = fs.readFileSync(file).subarray(0, 8);
    assert.deepEqual([...head], [137, 80, 78, 71, 13, 10, 26, 10], 'a PNG');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'explain-phone.png');
  } finally {
    await b.close();
  }
});
