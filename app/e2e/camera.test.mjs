// The webcam path with Chromium's fake camera playing a clip made from a
// real photo (sunflower.bmp, whose reference top-1 is "daisy").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { serve, launch, expected, waitReady, track, screenshot, staticDir, fixtures, cspViolations } from './harness.mjs';

const want = expected()['sunflower.bmp'];

test('live classification of the camera shows the clip photo\'s top-1, with no network request', async () => {
  const server = await serve(staticDir);
  const b = await launch(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${path.join(fixtures, 'camera.y4m')}`]);
  try {
    const page = b.ctx.pages()[0] || (await b.ctx.newPage());
    const violations = await cspViolations(page); // served with the server's Content-Security-Policy
    await page.addInitScript(() => {
      window.__longtasks = [];
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push({ start: e.startTime, ms: e.duration }); })
        .observe({ type: 'longtask', buffered: true });
    });
    await page.goto(server.url);
    await waitReady(page);
    const t = track(page);
    await page.click('#camera-start');
    await page.waitForSelector(`#live[data-index="${want.index}"]`, { timeout: 120000 });
    await page.waitForFunction(() => /([2-9]|\d\d+) frames/.test(document.querySelector('#live-stats')?.textContent || ''), null, { timeout: 120000 });
    t.stop();
    assert.match(await page.textContent('#live-stats'), /fps · \d+ ms per frame/);
    assert.deepEqual(t.seen.filter((u) => /^https?:/.test(u)), []);
    // Ten seconds of camera: frames classified per second beside the time
    // one frame takes, and the main thread's long tasks (reported).
    const live = await page.evaluate(async () => {
      const frames = () => Number((document.querySelector('#live-stats').textContent.match(/(\d+) frames/) || [])[1]);
      const f0 = frames(), t0 = performance.now();
      await new Promise((r) => setTimeout(r, 10000));
      const lt = window.__longtasks.filter((e) => e.start >= t0);
      return { fps: (frames() - f0) / ((performance.now() - t0) / 1000), stats: document.querySelector('#live-stats').textContent, longTasks: lt.length, longest: Math.max(0, ...lt.map((e) => e.ms)) };
    });
    const ms = Number(live.stats.match(/(\d+) ms per frame/)[1]);
    console.log(`camera: ${live.fps.toFixed(1)} frames classified per second over 10 s; ${ms} ms per frame in the engine (so at most ${(1000 / Math.max(ms, 1)).toFixed(0)}/s); main-thread long tasks: ${live.longTasks} (longest ${live.longest.toFixed(0)} ms)`);
    assert.ok(live.fps > 0);
    await screenshot(page, 'camera-desktop.png');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'camera-phone.png');
    await page.click('#camera-stop');
    await page.waitForSelector('#camera-start');
    assert.deepEqual(violations, [], 'Content-Security-Policy violations');
  } finally {
    await b.close();
    await server.close();
  }
});

test('a denied camera permission gets a clear message', async () => {
  const server = await serve(staticDir);
  const b = await launch(['--use-fake-device-for-media-stream', '--deny-permission-prompts']);
  try {
    const page = b.ctx.pages()[0] || (await b.ctx.newPage());
    await page.goto(server.url);
    await waitReady(page);
    await page.click('#camera-start');
    await page.waitForSelector('#camera-error', { timeout: 60000 });
    assert.match(await page.textContent('#camera-error'), /permission was denied/i);
  } finally {
    await b.close();
    await server.close();
  }
});

test('a page without a camera, and an insecure origin, get clear messages', async () => {
  const server = await serve(staticDir);
  // No fake device: headless Chromium then has no camera at all.
  const b = await launch(['--use-fake-ui-for-media-stream', `--host-resolver-rules=MAP glimpse.test 127.0.0.1`]);
  try {
    const page = b.ctx.pages()[0] || (await b.ctx.newPage());
    await page.goto(server.url);
    await waitReady(page);
    await page.click('#camera-start');
    await page.waitForSelector('#camera-error', { timeout: 60000 });
    assert.match(await page.textContent('#camera-error'), /No camera was found/);

    // The same site under a plain-http host name is not a secure context.
    await page.goto(`http://glimpse.test:${server.port}/`);
    await waitReady(page);
    await page.click('#camera-start');
    await page.waitForSelector('#camera-error', { timeout: 60000 });
    assert.match(await page.textContent('#camera-error'), /secure page/);
  } finally {
    await b.close();
    await server.close();
  }
});
