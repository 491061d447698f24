// engine.js — the host of Glimpse's engine (engine.wasm: the runtime, which
// loads compiled bundles) and of its importer (importer.wasm: ONNX → bundle,
// started only when someone brings an ONNX file). It normally runs in a
// dedicated Web Worker that web/glimpse.js starts, so the page's main
// thread only draws; in a page without Worker support glimpse.js loads it as
// a plain script and the engine runs on the page instead. Either way it
// speaks the same messages:
//   in:  {id, op, args}           op: start, classify, or a function of the
//                                 engine's _go (loadModel, infer, check...)
//   out: {id, ok} | {id, err: {code, message}}, and {event, detail} for
//        ready, failed, progress, notice, model, check, pref and exit.
// Pixels arrive as a Blob (decoded here, EXIF orientation applied) or an
// ImageBitmap (transferred, never copied through the main thread) and are
// drawn into an OffscreenCanvas at the size the model needs.
(function (scope) {
  'use strict';
  const inWorker = typeof WorkerGlobalScope !== 'undefined' && scope instanceof WorkerGlobalScope;

  // ---- fetch with progress --------------------------------------------------

  async function fetchBytes(url, onProgress) {
    let resp;
    try {
      resp = await fetch(url);
    } catch (e) {
      throw new Error('Could not download ' + url + ': ' + e.message);
    }
    if (!resp.ok) throw new Error('Could not download ' + url + ': HTTP ' + resp.status);
    const total = Number(resp.headers.get('Content-Length')) || 0;
    if (!resp.body || !resp.body.getReader) {
      const buf = new Uint8Array(await resp.arrayBuffer());
      if (onProgress) onProgress(buf.length, buf.length);
      return buf;
    }
    const reader = resp.body.getReader();
    const chunks = [];
    let got = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      got += value.length;
      if (onProgress) onProgress(got, total);
    }
    const out = new Uint8Array(got);
    let at = 0;
    for (const c of chunks) { out.set(c, at); at += c.length; }
    return out;
  }

  // The default model's bundle is fetched as soon as the engine starts,
  // while its wasm compiles: the engine's own request for it (Go's
  // bridge.DefaultModel, which a bridge test keeps equal to this path) then
  // takes the bytes already on their way, progress included.
  const DEFAULT_MODEL = 'web/models/mobilenet_v2_1.0_224/model.glimpse';
  const early = new Map(); // url → {p, last: [got, total], progress}
  function prefetch(url) {
    const e = { last: null, progress: null };
    e.p = fetchBytes(url, (got, total) => { e.last = [got, total]; if (e.progress) e.progress(got, total); });
    e.p.catch(() => {});
    early.set(url, e);
  }
  function fetchModel(url, onProgress) {
    const e = early.get(url);
    if (!e) return fetchBytes(url, onProgress);
    early.delete(url);
    e.progress = onProgress;
    if (onProgress && e.last) onProgress(e.last[0], e.last[1]);
    return e.p.catch(() => fetchBytes(url, onProgress)); // a failed early fetch is tried again
  }

  // ---- IndexedDB: the user's own model survives reloads and works offline ----

  const DB = 'glimpse', STORE = 'model';
  function idb() {
    return new Promise((res, rej) => {
      const r = indexedDB.open(DB, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE);
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
  }
  async function idbOp(mode, fn) {
    const db = await idb();
    try {
      return await new Promise((res, rej) => {
        const tx = db.transaction(STORE, mode);
        const req = fn(tx.objectStore(STORE));
        tx.oncomplete = () => res(req && req.result);
        tx.onerror = () => rej(tx.error);
        tx.onabort = () => rej(tx.error || new Error('storage aborted (quota?)'));
      });
    } finally {
      db.close();
    }
  }
  const store = {
    get: () => idbOp('readonly', (s) => s.get('user')),
    put: (rec) => idbOp('readwrite', (s) => s.put(rec, 'user')),
    clear: () => idbOp('readwrite', (s) => s.delete('user')),
  };
  // An engine started for an embed (start's cfg.store false: the iframe
  // widget, <glimpse-classifier>, any page but the app's own) never opens
  // the store: the visitor's saved model is private to the app's page.
  const noStore = {
    get: () => Promise.resolve(undefined),
    put: () => Promise.reject(new Error('this page does not keep models')),
    clear: () => Promise.resolve(),
  };

  // ---- pixels ---------------------------------------------------------------

  let canvas = null;
  function scratch(w, h) {
    if (!canvas) {
      canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(w, h) : document.createElement('canvas');
    }
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    return canvas;
  }

  function coded(message, code) {
    const e = new Error(message);
    e.code = code;
    return e;
  }

  // thumb draws bmp with its longer side at most side and encodes it as a
  // JPEG Blob (the tag gallery's preview), so a photo is decoded only once.
  async function thumb(bmp, side) {
    const s = Math.min(1, side / Math.max(bmp.width, bmp.height));
    const w = Math.max(1, Math.round(bmp.width * s)), h = Math.max(1, Math.round(bmp.height * s));
    if (typeof OffscreenCanvas === 'undefined') {
      const c = document.createElement('canvas');
      c.width = w; c.height = h;
      c.getContext('2d').drawImage(bmp, 0, 0, w, h);
      return new Promise((res) => c.toBlob(res, 'image/jpeg', 0.8));
    }
    const c = new OffscreenCanvas(w, h);
    c.getContext('2d').drawImage(bmp, 0, 0, w, h);
    return c.convertToBlob({ type: 'image/jpeg', quality: 0.8 });
  }

  // pixels draws src scaled so that its longer side is at most maxSide (the
  // browser's resampler acts as an antialiasing pre-filter) and returns the
  // RGBA bytes; the engine then crops and resizes exactly as the card says.
  // With thumbSide, it also makes a thumbnail of the image.
  async function pixels(src, maxSide, thumbSide) {
    let bmp = src;
    if (typeof Blob !== 'undefined' && src instanceof Blob) {
      try {
        bmp = await createImageBitmap(src, { imageOrientation: 'from-image' });
      } catch (e) {
        throw coded('This file is not an image the browser can decode' + (src.name ? ' (' + src.name + ')' : ''), 'not-an-image');
      }
    } else if (typeof ImageData !== 'undefined' && src instanceof ImageData) {
      bmp = await createImageBitmap(src);
    } else if (!(typeof ImageBitmap !== 'undefined' && src instanceof ImageBitmap)) {
      throw coded('the engine takes a Blob, an ImageBitmap or ImageData', 'bad-argument');
    }
    try {
      const sw = bmp.width, sh = bmp.height;
      if (!sw || !sh) throw coded('The image is empty', 'not-an-image');
      const scale = Math.min(1, maxSide / Math.max(sw, sh));
      const w = Math.max(1, Math.round(sw * scale)), h = Math.max(1, Math.round(sh * scale));
      const ctx = scratch(w, h).getContext('2d', { willReadFrequently: true });
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.clearRect(0, 0, w, h);
      ctx.drawImage(bmp, 0, 0, w, h);
      const out = { data: ctx.getImageData(0, 0, w, h).data, width: w, height: h };
      if (thumbSide) out.thumb = await thumb(bmp, thumbSide);
      return out;
    } finally {
      if (typeof bmp.close === 'function') bmp.close();
    }
  }

  // ---- the host ---------------------------------------------------------------

  function errorOf(e) {
    if (e && typeof e === 'object') return { code: e.code || 'internal', message: e.message || String(e) };
    return { code: 'internal', message: String(e) };
  }

  function loadScript(src) {
    if (inWorker) { importScripts(src); return Promise.resolve(); }
    return new Promise((res, rej) => {
      const s = document.createElement('script');
      s.src = src;
      s.onload = res;
      s.onerror = () => rej(coded('Could not load ' + src, 'engine-load'));
      document.head.appendChild(s);
    });
  }

  // makeHost gives the object the Go engine uses (glimpseEngine) and the
  // message handler; post sends a message back to glimpse.js.
  function makeHost(send) {
    let mem = null;
    // Every message says how much memory this engine holds now.
    const post = (m, transfer) => { m.mem = mem ? mem.buffer.byteLength : 0; send(m, transfer); };
    let pref = 'auto';
    let keeps = false; // start's cfg.store: the app's own page only
    const host = {
      _base: '',
      _fetch: fetchModel,
      _store: noStore,
      _useSaved: false,
      _emit: (name, detail) => post({ event: name, detail }),
      _resolveReady: (info) => post({ event: 'ready', detail: info }),
      _rejectReady: (err) => post({ event: 'failed', detail: errorOf(err) }),
      _loadPref: () => pref,
      _savePref: (v) => { pref = v; post({ event: 'pref', detail: v }); },
      _goMemory: () => mem,
    };
    async function start(cfg) {
      const t0 = performance.now();
      // The Go program finds its host under this global name.
      scope[cfg.global || 'glimpseEngine'] = host;
      host._base = cfg.base;
      // Only the app's own page opens the store (cfg.store) and boots the
      // visitor's saved model (cfg.useSaved; not after that model stopped
      // an engine while it loaded).
      keeps = !!cfg.store && !cfg.global;
      host._useSaved = keeps && !!cfg.useSaved;
      host._store = keeps ? store : noStore;
      if (!cfg.global) prefetch(cfg.base + DEFAULT_MODEL); // an engine, not the importer
      pref = cfg.pref || 'auto';
      if (typeof Go === 'undefined') await loadScript(cfg.base + 'wasm_exec.js');
      const go = new Go();
      // app.wasm runs as the engine, not the UI, when started with -engine
      // (engine.wasm and importer.wasm ignore it).
      go.argv = ['glimpse', '-engine'];
      const url = cfg.base + (cfg.wasm || 'web/engine.wasm');
      let inst;
      try {
        inst = (await WebAssembly.instantiateStreaming(fetch(url), go.importObject)).instance;
      } catch (e) { // hosts that serve .wasm without application/wasm
        let resp;
        try { resp = await fetch(url); } catch (e2) { throw coded('Could not load the Glimpse engine: ' + e2.message, 'engine-load'); }
        if (!resp.ok) throw coded('Could not load the Glimpse engine: HTTP ' + resp.status, 'engine-load');
        inst = (await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject)).instance;
      }
      mem = inst.exports.mem;
      const t1 = performance.now();
      // go.run settles only if the Go program exits, which it never does
      // on purpose: a fatal error (out of memory) ends the engine.
      go.run(inst).then(() => post({ event: 'exit', detail: { message: 'the engine stopped' } }),
        (e) => post({ event: 'exit', detail: { message: 'the engine stopped: ' + (e && e.message) } }));
      if (!host._go) throw coded('the engine did not start', 'engine-load');
      // How long the engine took to start: fetching and compiling its
      // wasm, then Go's start-up (until it registered its functions).
      return { worker: inWorker, wasmMs: t1 - t0, startMs: performance.now() - t0 };
    }

    async function run(op, args) {
      const g = host._go;
      if (op === 'start') return start(args[0]);
      if (!g) throw coded('the engine is not running', 'engine-load');
      switch (op) {
        case 'classify': { // (source, top, slot, thumbSide, maxSide)
          // The page knows the model's size (info().maxSide) and passes it:
          // asking the engine would queue behind the frame it is running.
          const [source, top, slot, thumbSide, side] = args;
          const px = await pixels(source, side || await g.maxSide(slot), thumbSide);
          const r = await g.classifyRGBA(px.data, px.width, px.height, top, slot);
          if (px.thumb) r.thumb = px.thumb;
          return r;
        }
        case 'features': { // (source, variants, seed, normalize, maxSide[, slot])
          const [source, variants, seed, normalize, side, slot] = args;
          const px = await pixels(source, side || await g.maxSide(slot));
          return g.featuresRGBA(px.data, px.width, px.height, variants || 0, seed || 0, !!normalize, slot);
        }
        case 'explain': { // (source, class, patch, stride, maxSide[, slot[, method]])
          const [source, cls, patch, stride, side, slot, method] = args;
          const px = await pixels(source, side || await g.maxSide(slot));
          return g.explainRGBA(px.data, px.width, px.height, cls == null ? -1 : cls, patch || 0, stride || 0, slot, method || '');
        }
        case 'infer': { // (Float32Array): the array goes back with the result, for the page to reuse
          const r = await g.infer(...args);
          if (args[0] instanceof Float32Array) r.input = args[0];
          return r;
        }
        case 'loadModel': { // (bundle, labels, card, name, slot, persist, source, maxMemory)
          const [bytes, labels, card, name, slot, persist, source, maxMemory] = args;
          const keep = !!persist && !slot && keeps; // an embed keeps nothing
          const info = await g.loadModel(bytes, labels, card, name, slot, keep, maxMemory == null ? undefined : maxMemory);
          if (keep) {
            try {
              // The ONNX source is kept too, to rebuild the bundle after
              // an update that changes the bundle format.
              await store.put({ name, model: bytes, source: source || null, labels, card, saved: Date.now() });
            } catch (e) {
              post({ event: 'notice', detail: { message: 'The model works now but could not be saved for next time: ' + e.message } });
            }
          }
          return info;
        }
        case 'savedModel': // the record of the user's saved model, for a rebuild
          return keeps ? store.get() : null;
        case 'resetModel':
          if (keeps) await store.clear().catch(() => {});
          return g.loadDefault();
        default:
          if (typeof g[op] !== 'function') throw coded('no engine function ' + op, 'bad-argument');
          return g[op](...args);
      }
    }

    // handle answers one message. Results that hold a typed array (infer's
    // output, and its input handed back) are transferred, not copied.
    async function handle(msg) {
      let reply;
      const transfer = [];
      try {
        const ok = await run(msg.op, msg.args || []);
        if (ok && ok.output && ok.output.buffer) transfer.push(ok.output.buffer);
        if (ok && ok.features && ok.features.buffer) transfer.push(ok.features.buffer);
        if (ok && ok.heat && ok.heat.buffer) transfer.push(ok.heat.buffer);
        if (ok && ok.input && ok.input.buffer) transfer.push(ok.input.buffer);
        reply = { id: msg.id, ok };
      } catch (e) {
        reply = { id: msg.id, err: errorOf(e) };
      }
      post(reply, transfer);
    }
    return handle;
  }

  if (inWorker) {
    const handle = makeHost((m, transfer) => scope.postMessage(m, transfer || []));
    scope.onmessage = (ev) => handle(ev.data);
  } else {
    // On a page without workers: glimpse.js calls glimpseEngineHost(post).
    scope.glimpseEngineHost = makeHost;
  }
})(self);
