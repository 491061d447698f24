// Shared pieces of the browser tests: a static file server on 127.0.0.1,
// Debian's headless Chromium with the project's flags, and the reference
// results from ../shared/photos/expected.tsv.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const shared = path.resolve(root, process.env.SHARED || '../shared');
export const staticDir = path.resolve(root, process.env.GLIMPSE_STATIC || 'static');
export const fixtures = process.env.GLIMPSE_FIXTURES || path.join(root, 'app/e2e/.fixtures');
export const shots = path.join(root, 'app/e2e/screenshots');

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.json': 'application/json', '.webmanifest': 'application/manifest+json', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8', '.onnx': 'application/octet-stream',
};

// The Content-Security-Policy glimpse serve sends (app/server.go: cspApp
// for the site, cspEmbed for the iframe widget under /embed/, which other
// sites may frame); a Go test keeps these two lines equal to the server's.
export const appCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";
export const embedCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'";

// siteHeaders are the security headers of a Glimpse site's response for a
// path, as app/server.go's securityHeaders sets them.
export function siteHeaders(pathname) {
  if (pathname === '/embed' || pathname.startsWith('/embed/')) return { 'Content-Security-Policy': embedCSP, 'X-Content-Type-Options': 'nosniff' };
  return { 'Content-Security-Policy': appCSP, 'X-Frame-Options': 'SAMEORIGIN', 'X-Content-Type-Options': 'nosniff' };
}

// serve starts a static server for dir on 127.0.0.1 (a random port unless
// given). Unknown paths without an extension get index.html, as a static
// host configured for a single-page app would. A Glimpse site (the default)
// is served with the server's security headers (siteHeaders); pass
// {site: false} for another page, such as an embedding host's.
export function serve(dir, port = 0, headers = {}, { site = true } = {}) {
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let p = path.join(dir, decodeURIComponent(url.pathname));
    if (!p.startsWith(dir)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) p = path.join(p, 'index.html');
    if (!fs.existsSync(p) && !path.extname(p)) p = path.join(dir, 'index.html');
    fs.readFile(p, (err, data) => {
      if (err) { res.writeHead(404, headers).end('not found'); return; }
      const sec = site ? siteHeaders(url.pathname) : {};
      res.writeHead(200, { 'Content-Type': types[path.extname(p)] || 'application/octet-stream', 'Content-Length': data.length, 'Cache-Control': 'no-cache', ...sec, ...headers });
      res.end(data);
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/`, port,
        close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
      });
    });
  });
}

// launch starts Chromium with a fresh profile. extraArgs adds flags such as
// the fake camera's.
export async function launch(extraArgs = [], viewport = { width: 1280, height: 900 }) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'glimpse-e2e-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // Playwright's own defaults stay (its download handling needs them),
    // except --enable-unsafe-swiftshader: WebGPU is on only when a test asks.
    ignoreDefaultArgs: ['--enable-unsafe-swiftshader'],
    args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-quic', ...extraArgs],
    viewport,
    acceptDownloads: true,
    downloadsPath: path.join(profile, 'downloads'),
  });
  const close = async () => { await ctx.close(); fs.rmSync(profile, { recursive: true, force: true }); };
  return { ctx, close };
}

// The headers a Glimpse deployment needs so that other sites can embed it.
export const corsHeaders = { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };

// expected returns {photo: {index, label, margin}} for one model.
export function expected(model = 'mobilenet_v2_1.0_224') {
  const rows = fs.readFileSync(path.join(shared, 'photos/expected.tsv'), 'utf8').trim().split('\n').slice(1);
  const out = {};
  for (const r of rows) {
    const c = r.split('\t');
    if (c[0] === model) out[c[1]] = { index: Number(c[2]), label: c[3], margin: Number(c[5]) };
  }
  return out;
}

export async function waitReady(page, timeout = 180000) {
  await page.waitForSelector('.glimpse[data-ready="true"]', { timeout });
}

// track records every request the page makes from now on.
export function track(page) {
  const seen = [];
  const on = (req) => seen.push(req.url());
  page.on('request', on);
  return { seen, stop: () => page.off('request', on) };
}

// cspViolations records what a Content-Security-Policy blocks in a page
// and in its workers, from the browser's console ("Refused to …", or a
// message naming the policy) and from securitypolicyviolation events
// (call it before the page loads). Returns the list it fills.
export async function cspViolations(page) {
  const seen = [];
  const isCSP = (t) => /Content[- ]Security[- ]Policy|Refused to (load|execute|apply|compile|create|connect|frame|evaluate)/i.test(t);
  const onConsole = (m) => { if (isCSP(m.text())) seen.push(m.text()); };
  page.on('console', onConsole);
  page.on('worker', (w) => w.on('console', onConsole));
  await page.exposeBinding('__cspViolation', (_, v) => seen.push(v)).catch(() => {});
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolation && window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile || location.href}:${e.lineNumber}`);
    });
  });
  return seen;
}

export function screenshot(page, name) {
  fs.mkdirSync(shots, { recursive: true });
  return page.screenshot({ path: path.join(shots, name), fullPage: true });
}
