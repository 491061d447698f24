// glimpse.js — the browser side of Glimpse. It defines window.glimpse (the
// public API) and runs the engine (web/engine.js + engine.wasm) in a
// dedicated Web Worker, so the page's main thread only draws: every call is
// a message, pixels travel as a transferred ImageBitmap or a Blob, never as
// copies made on the main thread. Without Worker support the same engine
// runs on the page (info().engine says which, and why).
// Batch work (tagging) may spread over a pool of engines: classify(src,
// {batch: true}). Errors carry a stable code (README lists them).
(function () {
  'use strict';
  if (window.glimpse && window.glimpse._defined) return;

  const config = window.glimpseConfig || {};
  // The site's root, from this script's own address (BASE/web/glimpse.js), so
  // that the engine finds its files wherever the page itself lives.
  const script = document.currentScript && document.currentScript.src;
  const base = script ? new URL('..', script).href : new URL('/', location.href).href;

  let resolveReady, rejectReady;
  const ready = new Promise((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => {}); // rejections are reported through events and the UI too

  function emit(name, detail) {
    window.dispatchEvent(new CustomEvent('glimpse:' + name, { detail }));
  }

  function coded(message, code) {
    const e = new Error(message);
    e.code = code;
    return e;
  }

  // ---- engines ----------------------------------------------------------------

  // The wasm the engines run. The app's own page (go-app's app.js from this
  // same site, loaded before this script) runs app.wasm, which holds the
  // engine too, so that a first visit downloads the Go runtime once;
  // embedding pages get the smaller engine.wasm.
  const onAppPage = Array.from(document.scripts).some((s) => s.src === base + 'app.js');
  const engineWasm = onAppPage ? 'web/app.wasm' : 'web/engine.wasm';

  const workers = config.worker !== false && typeof Worker !== 'undefined';
  const engineMode = workers ? 'worker' : 'page';
  const engineReason = workers ? '' : (config.worker === false ? 'the page asked for no worker (glimpseConfig.worker = false)' : 'this browser has no Web Workers');

  function loadPref() { try { return localStorage.getItem('glimpse.backend') || 'auto'; } catch (e) { return 'auto'; } }
  function savePref(v) { try { localStorage.setItem('glimpse.backend', v); } catch (e) { /* private mode */ } }

  // workerURL: the host script itself on the same origin; from a page on
  // another origin (an embedding site), a tiny same-origin script that
  // imports it, since a Worker must come from the page's origin.
  function workerURL() {
    const url = base + 'web/engine.js';
    if (new URL(url).origin === location.origin) return url;
    return URL.createObjectURL(new Blob(['importScripts(' + JSON.stringify(url) + ');'], { type: 'text/javascript' }));
  }

  // localTransport runs a host on the page itself (no workers): the engine,
  // and the importer beside it when needed.
  async function localTransport(onMessage) {
    if (!window.glimpseEngineHost) {
      await new Promise((res, rej) => {
        const s = document.createElement('script');
        s.src = base + 'web/engine.js';
        s.onload = res;
        s.onerror = () => rej(coded('Could not load ' + s.src, 'engine-load'));
        document.head.appendChild(s);
      });
    }
    const handle = window.glimpseEngineHost((m) => setTimeout(() => onMessage(m), 0));
    return (m) => handle(m);
  }

  // Engine is one engine instance: a worker (or the page) running
  // engine.wasm, and the calls in flight to it. role is 'main' (the page's
  // model, slots, the camera), 'pool' (extra engines for batch work) or
  // 'importer' (importer.wasm: ONNX files into bundles, on demand).
  class Engine {
    constructor(role) {
      this.role = role;
      this.calls = new Map();
      this.nextId = 1;
      this.memory = 0;
      this.info = null;
      this.dead = false;
      let bootOK, bootFail;
      this.booted = new Promise((res, rej) => { bootOK = res; bootFail = rej; });
      this.booted.catch(() => {});
      this._bootOK = bootOK; this._bootFail = bootFail;
      const onMessage = (m) => this._receive(m);
      const cfg = { base, wasm: engineWasm, pref: role === 'main' ? loadPref() : 'cpu' };
      if (role === 'importer') Object.assign(cfg, { wasm: 'web/importer.wasm', global: 'glimpseImporter' });
      if (workers) {
        this.worker = new Worker(workerURL(), { name: 'glimpse-engine-' + role });
        this.worker.onmessage = (ev) => onMessage(ev.data);
        this.worker.onerror = (ev) => { ev.preventDefault(); this.lost('the engine failed: ' + (ev.message || 'worker error')); };
        this.worker.onmessageerror = () => this.lost('the engine sent a message that could not be read');
        this.send = Promise.resolve((m, transfer) => this.worker.postMessage(m, transfer || []));
      } else {
        this.send = localTransport(onMessage);
        this.send.catch((e) => this.lost(e.message));
      }
      this.call('start', [cfg]).then((r) => { this.started = r; if (role === 'importer') bootOK(this); },
        (e) => { bootFail(e); if (role === 'main') failReady(e); });
    }
    get busy() { return this.calls.size; }
    call(op, args, transfer) {
      if (this.dead) return Promise.reject(coded('The engine stopped; try again', 'engine-lost'));
      return new Promise((resolve, reject) => {
        const id = this.nextId++;
        this.calls.set(id, { resolve, reject, op });
        this.send.then((post) => post({ id, op, args: args || [] }, transfer), (e) => { this.calls.delete(id); reject(e); });
      });
    }
    _receive(m) {
      if (m.mem) this.memory = m.mem;
      if (m.id) {
        const c = this.calls.get(m.id);
        if (!c) return;
        this.calls.delete(m.id);
        if (m.err) c.reject(coded(m.err.message, m.err.code));
        else c.resolve(m.ok);
        return;
      }
      onEvent(this, m.event, m.detail);
    }
    // lost ends this engine: every call in flight fails with code
    // engine-lost, and the next call starts a new engine.
    lost(why) {
      if (this.dead) return;
      this.dead = true;
      if (this.worker) this.worker.terminate();
      const err = coded('The Glimpse engine stopped (' + why + '); the call was lost, try again', 'engine-lost');
      for (const c of this.calls.values()) c.reject(err);
      this.calls.clear();
      this._bootFail(err);
      if (this.role === 'main' && !readySettled) failReady(coded('The Glimpse engine could not start (' + why + ')', 'engine-load'));
      if (this.role === 'main' && main === this) {
        main = null;
        slots.clear();
        emit('notice', { message: 'The Glimpse engine stopped (' + why + '); it restarts with the next photo.' });
      }
      pool = pool.filter((e) => e !== this);
      if (importer === this) importer = null;
    }
    terminate() {
      this.dead = true;
      if (this.worker) this.worker.terminate();
      for (const c of this.calls.values()) c.reject(coded('The engine was stopped', 'engine-lost'));
      this.calls.clear();
    }
  }

  let main = null;       // the engine of the page's model
  let pool = [];         // extra engines for batch work, on the CPU
  let poolBroken = false; // a pool engine failed to start with the page's model
  let info = { ready: false };
  let labelsCache = [];
  let firstResultMs = null;
  let readySettled = false;

  function failReady(e) {
    if (readySettled) return;
    readySettled = true;
    rejectReady(e);
    emit('error', { message: e.message, code: e.code });
  }

  // setInfo records an engine's info; for the page's engine, a new model
  // also drops the pool and reloads the labels (awaited by its callers, so
  // labels() is right as soon as ready or loadModel resolves).
  async function setInfo(e, v) {
    if (!v || typeof v !== 'object' || !('ready' in v)) return;
    e.info = v;
    if (e !== main) return;
    const changed = !info.ready || info.name !== v.name || info.fileBytes !== v.fileBytes || info.isDefault !== v.isDefault;
    info = v;
    if (changed) {
      // The pool's engines ran the old model: let them go.
      poolBroken = false;
      if (pool.length) {
        for (const p of pool) p.terminate();
        pool = [];
        emit('pool', publicInfo().pool);
      }
      try {
        const l = await e.call('labels');
        if (e === main) labelsCache = l;
      } catch (err) { /* the engine is gone; its successor reloads them */ }
    }
  }

  function onEvent(e, name, detail) {
    switch (name) {
      case 'ready':
        e.info = detail;
        if (e !== main) { e._bootOK(e); return; }
        setInfo(e, detail).then(() => {
          e._bootOK(e);
          if (!readySettled) { readySettled = true; resolveReady(publicInfo()); emit('ready', publicInfo()); }
        });
        return;
      case 'failed': {
        const err = coded(detail.message, detail.code);
        e._bootFail(err);
        if (e === main) failReady(err);
        return;
      }
      case 'exit':
        e.lost(detail.message);
        return;
      case 'pref':
        savePref(detail);
        return;
      case 'rebuild': // a saved model this runtime cannot load: compile it again
        if (e === main) rebuildSaved(e, detail);
        return;
      case 'model':
        setInfo(e, detail).then(() => { if (e === main) emit('model', publicInfo()); });
        return;
      default: // progress, notice, check
        if (e === main) emit(name, detail);
    }
  }

  // ---- the importer ------------------------------------------------------------

  // The importer (importer.wasm, with onnx-go) is only fetched when someone
  // brings an ONNX file; it runs in a worker of its own and is stopped after
  // a minute without work, which frees its memory.
  let importer = null, importerTimer = null;
  const isBundle = (b) => b && b.length >= 8 && String.fromCharCode.apply(null, b.subarray(0, 8)) === 'GLIMPSEB';

  async function importerCall(op, args) {
    if (!importer || importer.dead) importer = new Engine('importer');
    clearTimeout(importerTimer);
    const imp = importer;
    try {
      await imp.booted;
      return await imp.call(op, args);
    } finally {
      importerTimer = setTimeout(() => { if (importer === imp && !imp.busy) { imp.terminate(); importer = null; } }, 60000);
    }
  }

  // toBundle compiles ONNX bytes into a bundle (with labels and card inside);
  // a bundle is returned as it is.
  async function toBundle(bytes, labels, card, name) {
    if (isBundle(bytes)) return bytes;
    emit('progress', { what: 'compile', loaded: 0, total: bytes.length });
    const b = await importerCall('compile', [bytes, labels, card, name, 'auto']);
    emit('progress', { what: 'compile', loaded: bytes.length, total: bytes.length });
    return b;
  }

  // rebuildSaved compiles the saved model again (an ONNX file saved by an
  // older build, or a bundle in an older format) and loads it.
  async function rebuildSaved(e, detail) {
    try {
      const rec = await e.call('savedModel');
      if (!rec) return;
      const src = rec.source || rec.model;
      const b = await toBundle(src, rec.labels || '', rec.card || '', rec.name);
      await setInfo(e, await e.call('loadModel', [b, '', '', rec.name, undefined, true, src]));
      emit('model', publicInfo());
    } catch (err) {
      emit('notice', { message: 'Your saved model could not be loaded (' + err.message + '); using the default model.' });
    }
  }

  // engine() is the page's engine once it is ready, starting a new one if
  // the last was lost.
  function engine() {
    if (!main) main = new Engine('main');
    return main.booted;
  }

  // poolSize: how many engines batch work may use. Auto: one per core,
  // at most 4, and one per 512 MB of device memory; glimpseConfig.pool or
  // localStorage glimpse.pool set it.
  function poolSize() {
    let n = Number(config.pool) || 0;
    if (!n) { try { n = Number(localStorage.getItem('glimpse.pool')) || 0; } catch (e) { /* private mode */ } }
    if (!n) {
      const cores = navigator.hardwareConcurrency || 2;
      const mem = navigator.deviceMemory || 4; // GB, rounded down by the browser
      n = Math.min(cores, 4, Math.max(1, Math.floor(mem * 2)));
    }
    if (!workers) return 1;
    if (info.backend === 'webgpu') return 1; // the GPU is already parallel
    return Math.max(1, Math.min(8, Math.floor(n)));
  }

  // warmPool starts the pool's engines (up to poolSize) so that they boot
  // while batch work begins on the main engine: each loads the page's model
  // as saved (the default, or the user's model kept in IndexedDB), so a
  // model that is not saved has no pool. An engine joins the pool when it
  // is up with the same model; a failed or different one is dropped.
  function warmPool(m) {
    if (poolBroken || !(m.info && (m.info.isDefault || m.info.saved))) return;
    while (pool.length + 1 < poolSize()) {
      const p = new Engine('pool');
      pool.push(p);
      p.booted.then((e) => {
        if (e.dead) return;
        if (e.info && e.info.name === info.name && e.info.fileBytes === info.fileBytes) {
          e.up = true;
          emit('pool', publicInfo().pool);
          return;
        }
        e.terminate();
        pool = pool.filter((x) => x !== e);
        poolBroken = true; // not again for this model
      }, () => { pool = pool.filter((x) => x !== p); poolBroken = true; });
    }
  }

  // batchEngine is the least busy engine that is up, for batch work.
  async function batchEngine() {
    const m = await engine();
    warmPool(m);
    let best = m;
    for (const e of pool) if (e.up && !e.dead && e.busy < best.busy) best = e;
    return best;
  }

  function publicInfo() {
    const out = Object.assign({}, info);
    out.firstResultMs = firstResultMs;
    out.engine = engineMode;
    if (engineReason) out.engineReason = engineReason;
    const engines = (main ? [main] : []).concat(pool.filter((p) => p.up && !p.dead));
    out.pool = { size: poolSize(), running: engines.length, memory: engines.map((e) => e.memory) };
    out.memory = main ? main.memory : 0;
    // The engine's start: its wasm fetched and compiled, then Go running
    // (ms, in the worker); loadMs is the model's load after that.
    if (main && main.started) out.engineStart = { wasmMs: Math.round(main.started.wasmMs), startMs: Math.round(main.started.startMs) };
    return out;
  }

  // ---- pixels ------------------------------------------------------------------

  function sourceSize(src) {
    if (src instanceof HTMLVideoElement) return [src.videoWidth, src.videoHeight];
    if (src instanceof HTMLImageElement) return [src.naturalWidth, src.naturalHeight];
    return [src.width, src.height];
  }

  // portable turns any supported source into what the engine takes: a Blob
  // as it is (decoded in the engine), anything else as an ImageBitmap no
  // larger than maxSide, transferred.
  async function portable(src, maxSide) {
    if (src instanceof Blob) return [src, []];
    if (src instanceof HTMLImageElement && !src.complete) await src.decode();
    if (src instanceof HTMLVideoElement && src.readyState < 2) throw coded('The video has no frame yet', 'not-an-image');
    const ok = src instanceof HTMLImageElement || src instanceof HTMLCanvasElement || src instanceof HTMLVideoElement ||
      (typeof ImageBitmap !== 'undefined' && src instanceof ImageBitmap) ||
      (typeof OffscreenCanvas !== 'undefined' && src instanceof OffscreenCanvas) ||
      (typeof ImageData !== 'undefined' && src instanceof ImageData) ||
      (typeof VideoFrame !== 'undefined' && src instanceof VideoFrame);
    if (!ok) throw new TypeError('classify() takes an image, canvas, video, ImageBitmap, ImageData, VideoFrame or Blob');
    const [sw, sh] = src instanceof VideoFrame ? [src.displayWidth, src.displayHeight] : sourceSize(src);
    if (!sw || !sh) throw coded('The image is empty', 'not-an-image');
    const scale = Math.min(1, maxSide / Math.max(sw, sh));
    const opts = scale < 1 ? { resizeWidth: Math.max(1, Math.round(sw * scale)), resizeHeight: Math.max(1, Math.round(sh * scale)), resizeQuality: 'high' } : {};
    const bmp = await createImageBitmap(src, opts);
    return [bmp, [bmp]];
  }

  async function fetchBytes(url) {
    let resp;
    try {
      resp = await fetch(url);
    } catch (e) {
      throw new Error('Could not download ' + url + ': ' + e.message);
    }
    if (!resp.ok) throw new Error('Could not download ' + url + ': HTTP ' + resp.status);
    return new Uint8Array(await resp.arrayBuffer());
  }

  async function toBytes(x) {
    if (x == null) return null;
    if (x instanceof Uint8Array) return x;
    if (x instanceof ArrayBuffer) return new Uint8Array(x);
    if (x instanceof Blob) return new Uint8Array(await x.arrayBuffer());
    if (typeof x === 'string' || x instanceof URL) return fetchBytes(String(x));
    throw new TypeError('expected a Blob, ArrayBuffer, Uint8Array or URL');
  }

  async function toText(x) {
    if (x == null) return '';
    if (typeof x === 'string' && !/^(https?:|\/|\.\/|blob:)/.test(x)) return x; // literal text
    if (typeof x === 'object' && !(x instanceof Blob) && !(x instanceof URL) && !(x instanceof ArrayBuffer) && !(x instanceof Uint8Array)) {
      return JSON.stringify(x); // a card given as an object
    }
    return new TextDecoder().decode(await toBytes(x));
  }

  // ---- extra models (embedded widgets) --------------------------------------

  const slots = new Map(); // absolute model URL → Promise of {slot, side}
  function loadSlot(opts) {
    const url = new URL(opts.model, location.href).href;
    if (!slots.has(url)) {
      const p = (async () => {
        const e = await engine();
        let bytes;
        try {
          bytes = await toBytes(url);
        } catch (err) {
          throw coded(err.message, 'model-load');
        }
        const labels = opts.labels ? await toText(new URL(opts.labels, location.href)).catch((err) => { throw coded(err.message, 'model-load'); }) : '';
        const card = opts.card ? await toText(new URL(opts.card, location.href)).catch((err) => { throw coded(err.message, 'model-load'); }) : '';
        const name = url.split('/').pop();
        const b = await toBundle(bytes, labels, card, name);
        const r = await e.call('loadModel', [b, isBundle(bytes) ? labels : '', isBundle(bytes) ? card : '', name, url, false]);
        return { slot: url, side: r.maxSide, engine: e };
      })();
      p.catch(() => slots.delete(url)); // a failed load may be retried
      slots.set(url, p);
    }
    return slots.get(url);
  }

  // ---- camera ---------------------------------------------------------------

  const camera = {
    supported() {
      if (!window.isSecureContext) return 'The camera needs a secure page: open Glimpse over https or on localhost.';
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return 'This browser gives no access to cameras.';
      return '';
    },
    async list() {
      const devs = await navigator.mediaDevices.enumerateDevices();
      return devs.filter((d) => d.kind === 'videoinput').map((d, i) => ({ id: d.deviceId, label: d.label || ('Camera ' + (i + 1)) }));
    },
    async start(video, deviceId, facing) {
      const why = camera.supported();
      if (why) throw new Error(why);
      camera.stop(video);
      const constraints = { audio: false, video: { width: { ideal: 640 }, height: { ideal: 480 } } };
      if (deviceId) constraints.video.deviceId = { exact: deviceId };
      else if (facing) constraints.video.facingMode = facing;
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia(constraints);
      } catch (e) {
        const msg = {
          NotAllowedError: 'Camera permission was denied. Allow the camera for this site in the browser settings, then try again.',
          SecurityError: 'Camera permission was denied. Allow the camera for this site in the browser settings, then try again.',
          NotFoundError: 'No camera was found on this device.',
          OverconstrainedError: 'That camera is not available.',
          NotReadableError: 'The camera is in use by another application.',
        }[e.name];
        throw new Error(msg || ('The camera could not start: ' + e.message));
      }
      video.srcObject = stream;
      video.muted = true;
      video.playsInline = true;
      await video.play();
      return true;
    },
    stop(video) {
      const s = video && video.srcObject;
      if (s) s.getTracks().forEach((t) => t.stop());
      if (video) video.srcObject = null;
    },
  };

  // ---- the public API --------------------------------------------------------

  const api = {
    _defined: true,
    ready,
    // classify(source, {top, model, labels, card, batch, thumbnail}) → {backend, ms, top: [{index, label, prob}]}
    // With opts.thumbnail (a side in pixels), the result also has thumb: a
    // JPEG Blob of the image made from the same decode.
    // With opts.model (a URL), that model is loaded beside the page's own
    // (once per URL) and used for this call: embedded widgets use this.
    // With opts.batch, the call may run on another engine of the pool.
    async classify(source, opts) {
      opts = opts || {};
      await ready;
      const top = opts.top || 5;
      let e, slot, side;
      if (opts.model) {
        const s = await loadSlot(opts);
        e = await engine();
        if (s.engine !== e) { slots.clear(); return api.classify(source, opts); } // the engine restarted
        slot = s.slot; side = s.side;
      } else {
        e = opts.batch ? await batchEngine() : await engine();
        side = (e.info && e.info.maxSide) || info.maxSide || 0; // 0: the engine asks its model
      }
      const [src, transfer] = await portable(source, side || 448);
      const r = await e.call('classify', [src, top, slot, opts.thumbnail || 0, side], transfer);
      if (firstResultMs === null) {
        firstResultMs = performance.now();
        emit('first-result', { ms: firstResultMs });
      }
      return r;
    },
    // prepare({model, labels, card}) loads a model for later classify calls
    // with the same options, without classifying anything.
    async prepare(opts) {
      await ready;
      if (opts && opts.model) await loadSlot(opts);
    },
    // loadModel(blobOrURL, {labels, card, name, persist}) → info(). A model
    // that fails to load leaves the previous one active.
    async loadModel(model, opts) {
      opts = opts || {};
      await ready.catch(() => {});
      const bytes = await toBytes(model);
      if (!bytes || !bytes.length) throw coded('The model file is empty', 'invalid-model');
      const labels = await toText(opts.labels);
      const card = await toText(opts.card);
      const name = opts.name || (model && model.name) || (typeof model === 'string' ? model.split('/').pop() : 'model.onnx');
      const e = await engine();
      const b = await toBundle(bytes, labels, card, name);
      const own = isBundle(bytes); // a bundle given as it is: labels and card given beside it override its own
      await setInfo(e, await e.call('loadModel', [b, own ? labels : '', own ? card : '', name, undefined, opts.persist !== false, own ? null : bytes]));
      const out = publicInfo();
      emit('model', out);
      return out;
    },
    // resetModel() → info() of the shipped default model
    async resetModel() {
      const e = await engine();
      await setInfo(e, await e.call('resetModel'));
      const out = publicInfo();
      emit('model', out);
      return out;
    },
    // setBackend('auto' | 'webgpu' | 'cpu') → info(). Auto uses a hardware
    // GPU when there is one; the choice is remembered in this browser.
    async setBackend(name) {
      await ready;
      const e = await engine();
      await setInfo(e, await e.call('setBackend', [name]));
      const out = publicInfo();
      emit('model', out);
      return out;
    },
    // labels() → the labels of the page's model, class i at index i.
    labels() { return labelsCache.slice(); },
    // info() → the page's model and engine: name, input, ops, backend,
    // simd (and simdReason), engine ('worker' or 'page', and why), the
    // pool's size and memory per engine, firstResultMs.
    info() { return publicInfo(); },
    // poolSize() → how many engines batch work may use.
    poolSize,
    // warmPool() starts the pool's engines ahead of batch work.
    async warmPool() { warmPool(await engine()); },
    // check([model, {card}]) → the model check's report: ops and where they
    // run, folding and fusion, a self-check of the optimised program against
    // the reference, time per run, and a verdict. Without a model it checks
    // the page's model (which falls back to the unoptimised program if they
    // disagree; report.notice says so); with a Blob, URL or bytes it checks
    // that file alone.
    async check(model, opts) {
      if (model === undefined || model === null) {
        await ready;
        return (await engine()).call('check');
      }
      await ready.catch(() => {});
      const bytes = await toBytes(model);
      if (!bytes || !bytes.length) throw coded('The model file is empty', 'invalid-model');
      const card = await toText((opts || {}).card);
      if (isBundle(bytes)) return (await engine()).call('check', [bytes, card]);
      const r = JSON.parse(await importerCall('check', [bytes, card]));
      r.notice = '';
      return r;
    },
    // infer(Float32Array) runs the model on an already preprocessed input
    // and returns {backend, ms, output}: for benchmarks and conformance.
    async infer(input) {
      await ready;
      return (await engine()).call('infer', [input]);
    },
    // Test hooks: _go.NAME(...) calls the engine's function NAME (e.g.
    // injectFault); _killEngine() ends the engine as a crash would.
    _go: new Proxy({}, {
      // (not for 'then' or symbols: the proxy must not look like a Promise)
      get: (_, op) => (typeof op !== 'string' || op === 'then' ? undefined : (...args) => engine().then((e) => e.call(op, args))),
    }),
    _killEngine() { if (main) main.lost('killed'); },
    _camera: camera,
    _base: base,
    _emit: emit,
  };
  window.glimpse = api;
  if (config.engine !== false) engine();
})();
