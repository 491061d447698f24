// Training in the browser: features from the engines (with augmented
// variants), a head fitted in the trainer's worker with live progress, the
// new model made the page's model and kept across a reload, embeddings,
// and the ONNX export read back by the importer giving the same answers.
// The photos are drawn in the page (shapes in random colours on noisy
// backgrounds), so the model has never seen them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, waitReady, staticDir, screenshot } from './harness.mjs';

let server;
before(async () => { server = await serve(staticDir); });
after(async () => { await server?.close(); });

// In the page: draw(kind, seed) → a 160×160 canvas with a circle, a square
// or stripes, in a random colour, size and place, on a noisy background.
const pageHelpers = () => {
  window.__draw = (kind, seed) => {
    let s = seed * 2654435761 >>> 0;
    const rnd = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
    const c = document.createElement('canvas');
    c.width = c.height = 160;
    const g = c.getContext('2d');
    g.fillStyle = `hsl(${360 * rnd()},${30 + 40 * rnd()}%,${30 + 40 * rnd()}%)`;
    g.fillRect(0, 0, 160, 160);
    const img = g.getImageData(0, 0, 160, 160);
    for (let i = 0; i < img.data.length; i += 4) { const n = (rnd() - 0.5) * 40; img.data[i] += n; img.data[i + 1] += n; img.data[i + 2] += n; }
    g.putImageData(img, 0, 0);
    g.fillStyle = `hsl(${360 * rnd()},80%,${rnd() < 0.5 ? 20 : 80}%)`;
    const r = 30 + 30 * rnd(), x = r + (160 - 2 * r) * rnd(), y = r + (160 - 2 * r) * rnd();
    g.save(); g.translate(x, y); g.rotate(rnd() * Math.PI);
    if (kind === 'circle') { g.beginPath(); g.arc(0, 0, r, 0, 2 * Math.PI); g.fill(); }
    if (kind === 'square') g.fillRect(-r * 0.8, -r * 0.8, 1.6 * r, 1.6 * r);
    if (kind === 'stripes') for (let k = -3; k <= 3; k += 2) g.fillRect(k * r / 4, -r, r / 4, 2 * r);
    g.restore();
    return c;
  };
};

test('a head trained in the browser becomes the page model, is kept, embeds, and exports to ONNX', async () => {
  const b = await launch();
  try {
    const page = b.ctx.pages()[0] || (await b.ctx.newPage());
    await page.addInitScript(pageHelpers);
    await page.goto(server.url);
    await waitReady(page, 300000);
    const r = await page.evaluate(async () => {
      const kinds = ['circle', 'square', 'stripes'];
      const rows = [], photos = [];
      let dim = 0, feature = '', pooled = false;
      for (let i = 0; i < 30; i++) {
        const k = i % 3;
        const f = await glimpse.features(__draw(kinds[k], i + 1), { variants: 2, seed: i, batch: true });
        dim = f.dim; feature = f.feature; pooled = f.pooled;
        rows.push(f.features);
        photos.push({ rows: f.rows, classes: [k] });
      }
      const all = new Float32Array(rows.reduce((n, a) => n + a.length, 0));
      let at = 0;
      for (const a of rows) { all.set(a, at); at += a.length; }
      const events = [];
      const fit = await glimpse.trainHead(all, dim, photos, { classes: 3, seed: 1, val: 0.2 }, (p) => events.push(p));
      const card = { name: 'shapes', output: { activation: 'none' }, training: { date: new Date().toISOString(), backbone: glimpse.info().name, feature, classes: kinds.map((n) => ({ name: n, photos: 10, validation: 2 })), head: { mode: fit.mode, optimizer: 'L-BFGS', weight_decay: fit.weightDecay, epochs: fit.history.length, best_epoch: fit.bestEpoch, class_weight: true }, split: { train: fit.train, validation: fit.val.length, fraction: 0.2, rows: fit.rows }, seed: 1 } };
      const info = await glimpse.useTrained(kinds, card, { feature, pooled, name: 'shapes.glimpse' });
      const bundle = await glimpse.trainedBundle(kinds, card, { feature, pooled });
      let bin = '';
      for (const v of bundle) bin += String.fromCharCode(v);
      window.__bundle64 = btoa(bin);
      let right = 0;
      const tops = [];
      for (let i = 0; i < 12; i++) {
        const k = i % 3;
        const c = await glimpse.classify(__draw(kinds[k], 1000 + i), { top: 3 });
        tops.push(c.top[0].label);
        if (c.top[0].label === kinds[k]) right++;
      }
      const e1 = await glimpse.embed(__draw('circle', 5000));
      let norm = 0;
      for (const v of e1) norm += v * v;
      // The ONNX export, loaded back (through the importer) without saving it.
      const onnx = await glimpse.trainedONNX(new URL('web/models/mobilenet_v2_1.0_224/model.onnx', location.href), { feature, pooled });
      const probe = __draw('square', 4242);
      const viaBundle = await glimpse.classify(probe, { top: 3 });
      // With the backbone's card: the same input as the bundle, whose card is the backbone's.
      const backboneCard = await (await fetch('web/models/mobilenet_v2_1.0_224/card.json')).text();
      await glimpse.loadModel(new Blob([onnx]), { name: 'shapes.onnx', persist: false, labels: kinds.join('\n'), card: backboneCard });
      const viaONNX = await glimpse.classify(probe, { top: 3 });
      return { dim, feature, rows: at / dim, fit: { mode: fit.mode, val: fit.val.length, hist: fit.history.length, acc: fit.history[fit.history.length - 1].valAcc },
        events: events.length, phases: [...new Set(events.map((e) => e.phase))], info: { name: info.name, classes: info.classes, labels: glimpse.labels() },
        right, tops, embedDim: e1.length, norm, onnxBytes: onnx.length, viaBundle: viaBundle.top, viaONNX: viaONNX.top };
    });
    console.log(JSON.stringify({ ...r, viaBundle: r.viaBundle.map((t) => [t.label, t.prob.toFixed(5)]), viaONNX: r.viaONNX.map((t) => [t.label, t.prob.toFixed(5)]) }));
    assert.equal(r.dim, 1280);
    assert.equal(r.feature, 'MobilenetV2/Logits/AvgPool');
    assert.equal(r.rows, 90, 'each photo and two variants');
    assert.equal(r.fit.mode, 'linear');
    assert.equal(r.fit.val, 6, 'a fifth of each class held out');
    assert.ok(r.events > 0 && r.phases.length > 0, 'progress while it fits');
    assert.deepEqual(r.info.labels, ['circle', 'square', 'stripes']);
    assert.equal(r.info.classes, 3);
    assert.ok(r.right >= 10, `the trained model gets ${r.right}/12 new photos right (${r.tops})`);
    assert.equal(r.embedDim, 1280);
    assert.ok(Math.abs(r.norm - 1) < 1e-4, 'embeddings are unit length');
    assert.ok(r.onnxBytes > 1e6);
    assert.deepEqual(r.viaONNX.map((t) => t.label), r.viaBundle.map((t) => t.label));
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(r.viaONNX[i].prob - r.viaBundle[i].prob) < 1e-5, 'the ONNX export gives what the bundle gives');

    // The bundle on a site, as an embedded widget loads it by URL (a slot
    // beside the page's model).
    const hosted = path.join(staticDir, 'trained-e2e.glimpse');
    fs.writeFileSync(hosted, Buffer.from(await page.evaluate(() => window.__bundle64), 'base64'));
    try {
      const viaURL = await page.evaluate(async () => {
        const out = [];
        for (const [k, seed] of [['circle', 31337], ['stripes', 31338], ['square', 31339]]) out.push([k, (await glimpse.classify(__draw(k, seed), { model: 'trained-e2e.glimpse', top: 1 })).top[0].label]);
        return out;
      });
      for (const [want, got] of viaURL) assert.equal(got, want, 'the trained bundle loaded by URL');
    } finally {
      fs.rmSync(hosted, { force: true });
    }

    // The trained model is kept for the next visit (it was used, not the ONNX one).
    await page.reload();
    await waitReady(page, 300000);
    const after = await page.evaluate(async () => ({ labels: glimpse.labels(), top: (await glimpse.classify(__draw('stripes', 777), { top: 1 })).top[0].label }));
    assert.deepEqual(after.labels, ['circle', 'square', 'stripes']);
    await screenshot(page, 'train-api-after-reload.png');
  } finally {
    await b.close();
  }
});
