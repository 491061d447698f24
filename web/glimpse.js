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
  // The shipped default model's bundle (web/engine.js has the same path;
  // wasm/bridge's paths_test keeps them equal).
  const DEFAULT_MODEL = 'web/models/mobilenet_v2_1.0_224/model.glimpse';

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
  // Only the app's own page boots, keeps or resets the visitor's saved model
  // (IndexedDB): the iframe widget, <glimpse-classifier> and every other
  // page get the site's default model unless they load another, and keep
  // nothing. savedOK turns false when the saved model stopped an engine
  // while it loaded, so that engines started after that boot the default.
  let savedOK = onAppPage;

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
  // 'importer' (importer.wasm: ONNX files into bundles, on demand) or
  // 'trainer' (trainer.wasm: fits a head on features, when someone trains).
  // restore (main only) is the page's model to load again once the engine
  // is up, when it is not the one the engine boots (see pageModel).
  class Engine {
    constructor(role, restore) {
      this.role = role;
      this.restore = restore || null;
      this.calls = new Map();
      this.nextId = 1;
      this.memory = 0;
      this.info = null;
      this.dead = false;
      this.bootDone = false;    // the engine said it is ready (for pool engines, up says it joined the pool)
      this.bootingSaved = '';   // the saved model it was loading at boot ("boot" event)
      const helper = role === 'importer' || role === 'trainer'; // no model of its own
      this.usesSaved = savedOK && !helper; // boots the saved model, if any
      this.keeps = onAppPage && !helper;   // may open the store: read, save, replace or clear it
      let bootOK, bootFail;
      this.booted = new Promise((res, rej) => { bootOK = res; bootFail = rej; });
      this.booted.catch(() => {});
      this._bootOK = bootOK; this._bootFail = bootFail;
      const onMessage = (m) => this._receive(m);
      const cfg = { base, wasm: engineWasm, pref: role === 'main' ? loadPref() : 'cpu', useSaved: this.usesSaved, store: this.keeps };
      if (role === 'importer') Object.assign(cfg, { wasm: 'web/importer.wasm', global: 'glimpseImporter' });
      if (role === 'trainer') Object.assign(cfg, { wasm: 'web/trainer.wasm', global: 'glimpseTrainer' });
      if (role === 'explainer') cfg.wasm = 'web/explainer.wasm';
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
      this.call('start', [cfg]).then((r) => { this.started = r; if (helper) bootOK(this); },
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
    // lost ends this engine (it crashed, ran out of memory, or was
    // killed): every call in flight fails with code engine-lost. The page's
    // engine is restarted at once with the page's model (restartMain).
    lost(why) {
      if (this.dead) return;
      this.dead = true;
      if (this.worker) this.worker.terminate();
      const err = coded('The Glimpse engine stopped (' + why + '); the call was lost, try again', 'engine-lost');
      for (const c of this.calls.values()) {
        // A model that stops the engine while it loads would do it again:
        // say so rather than "try again".
        if (c.op === 'loadModel' && this.role === 'main') c.reject(coded('Loading this model stopped the Glimpse engine (' + why + '); the engine restarted with the previous model', 'engine-lost'));
        else c.reject(err);
      }
      this.calls.clear();
      this._bootFail(err);
      pool = pool.filter((e) => e !== this);
      if (importer === this) importer = null;
      if (trainer === this) trainer = null;
      if (explainer === this) explainer = null;
      if (this.role === 'main' && main === this) {
        main = null;
        slots.clear();
        restartMain(this, why);
      }
    }
    terminate() {
      this.dead = true;
      if (this.worker) this.worker.terminate();
      for (const c of this.calls.values()) c.reject(coded('The engine was stopped', 'engine-lost'));
      this.calls.clear();
    }
  }

  // restartMain follows the loss of the page's engine (dead):
  //  - lost while it booted the saved model: that model may be what stopped
  //    it, so a new engine boots the default model instead (and so do the
  //    engines started after it on this page), and the page says so;
  //  - lost once up: a new engine starts at once and loads the page's model
  //    again (the saved one by itself, an unsaved one from pageModel),
  //    unless it died while doing that, which drops pageModel; more than
  //    three losses in a minute leave the restart to the next call;
  //  - lost while it booted the default model: glimpse.ready fails (if it
  //    has not settled yet) and the next call tries again.
  const crashes = [];
  function restartMain(dead, why) {
    if (!dead.bootDone) {
      if (dead.bootingSaved && dead.usesSaved) {
        savedOK = false;
        main = new Engine('main');
        main.notice = 'Your saved model (' + dead.bootingSaved + ') stopped the Glimpse engine while it loaded (' + why +
          '); using the default model. Load it again, or reset to the default model, in the model panel.';
        emit('notice', { message: main.notice });
        return;
      }
      if (!readySettled) failReady(coded('The Glimpse engine could not start (' + why + ')', 'engine-load'));
      return;
    }
    if (dead.restoring && pageModel === dead.restore) pageModel = null; // it stopped the engine again
    const now = Date.now();
    while (crashes.length && now - crashes[0] > 60000) crashes.shift();
    crashes.push(now);
    if (crashes.length > 3) {
      emit('notice', { message: 'The Glimpse engine stopped (' + why + '); it restarts with the next photo.' });
      return;
    }
    main = new Engine('main', pageModel);
    const model = pageModel ? pageModel.name : info.name;
    main.notice = 'The Glimpse engine stopped (' + why + ') and was restarted' + (model ? ' with ' + model : '') + '.';
    emit('notice', { message: 'The Glimpse engine stopped (' + why + '); restarting it' + (model ? ' with ' + model : '') + '…' });
  }

  // pageModel is the page's model when no new engine would boot it by
  // itself (loaded with persist: false, or on a page that keeps nothing):
  // {blob, labels, card, name, maxMemory}, the bundle kept as a Blob (the
  // browser may keep it out of the page's memory) so that a restarted
  // engine can load it again.
  let pageModel = null;

  let main = null;       // the engine of the page's model
  let pool = [];         // extra engines for batch work, on the CPU
  let poolBroken = false; // a pool engine failed to start with the page's model
  let info = { ready: false };
  let labelsCache = [];
  let firstResultMs = null;
  let inferBuf = null;   // infer's input copy, handed back by the engine for reuse
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
        e.bootDone = true;
        if (e !== main) { e._bootOK(e); return; }
        setInfo(e, detail).then(() => restoreModel(e)).then(() => {
          if (e.dead) return;
          e._bootOK(e);
          if (!readySettled) { readySettled = true; resolveReady(publicInfo()); emit('ready', publicInfo()); }
          else emit('model', publicInfo());
          // Said again once the new engine is up, for a page that was not
          // listening yet when it stopped.
          if (e.notice) emit('notice', { message: e.notice });
        });
        return;
      case 'boot': // the engine is about to load the saved model
        e.bootingSaved = String((detail && detail.saved) || 'saved model');
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
      default: // progress, notice, check; train from the trainer
        if (e === main || (name === 'train' && e.role === 'trainer')) emit(name, detail);
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

  // The trainer (trainer.wasm) is fetched when someone trains a head; it
  // stays while the page lives, since it holds the last head fitted.
  let trainer = null;
  async function trainerCall(op, args, transfer) {
    if (!trainer || trainer.dead) trainer = new Engine('trainer');
    const t = trainer;
    await t.booted;
    return t.call(op, args, transfer);
  }

  // The explainer (explainer.wasm: the engine with model/explain's gradient
  // methods — Grad-CAM, integrated gradients, attention rollout) is
  // fetched the first time someone asks where a model looked, so the first
  // visit does not carry model/grad. It runs on the CPU in a worker of its
  // own and boots the page's model as saved, like a pool engine; the
  // page's unsaved model, or a widget's, is loaded into it when asked
  // about. It holds a copy of every activation of a run, so it stops after
  // two minutes without work. Pages without workers explain by occlusion
  // on their engine.
  let explainer = null, explainerTimer = null;
  async function explainerFor(slot) {
    if (!workers) return null;
    if (!explainer || explainer.dead) { explainer = new Engine('explainer'); explainer.slots = new Set(); }
    clearTimeout(explainerTimer);
    const x = explainer;
    await x.booted;
    if (slot) {
      if (!x.slots.has(slot.id)) {
        await x.call('loadModel', [slot.bundle, slot.labels, slot.card, slot.name, slot.id, false]);
        x.slots.add(slot.id);
      }
    } else {
      const m = await engine();
      const same = (a, b) => a && b && a.name === b.name && a.fileBytes === b.fileBytes && a.isDefault === b.isDefault;
      if (!same(x.info, m.info)) {
        const r = await x.call('loadModel', [await modelBytes(), '', '', info.name, undefined, false]);
        x.info = Object.assign({}, r, { name: m.info.name, fileBytes: m.info.fileBytes, isDefault: m.info.isDefault });
      }
    }
    return x;
  }
  function idleExplainer() {
    clearTimeout(explainerTimer);
    const x = explainer;
    explainerTimer = setTimeout(() => { if (x && explainer === x && !x.busy) { x.terminate(); explainer = null; } }, 120000);
  }

  // modelBytes is the page model's bundle, for the trainer to build on:
  // the user's unsaved model, the saved one, or the shipped default.
  async function modelBytes() {
    const e = await engine();
    if (pageModel && pageModel.blob) return new Uint8Array(await pageModel.blob.arrayBuffer());
    if (e.info && e.info.saved && !e.info.isDefault) {
      const rec = await e.call('savedModel');
      if (rec && rec.model) return rec.model instanceof Uint8Array ? rec.model : new Uint8Array(rec.model);
    }
    return fetchBytes(base + DEFAULT_MODEL);
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

  // restoreModel loads the page's unsaved model into a restarted engine.
  async function restoreModel(e) {
    const m = e.restore;
    if (!m || e.dead) return;
    e.restoring = true;
    try {
      const b = new Uint8Array(await m.blob.arrayBuffer());
      await setInfo(e, await e.call('loadModel', [b, m.labels, m.card, m.name, undefined, false, null, m.maxMemory]));
    } catch (err) {
      if (e.dead) return;
      if (pageModel === m) pageModel = null;
      e.notice = 'The Glimpse engine stopped and was restarted, but ' + m.name + ' could not be loaded again (' + err.message + '); using ' + (info.name || 'the default model') + '.';
    } finally {
      e.restoring = false;
    }
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
      pageModel = null;
      emit('model', publicInfo());
    } catch (err) {
      emit('notice', { message: 'Your saved model could not be loaded (' + err.message + '); using the default model.' });
    }
  }

  // engine() is the page's engine once it is ready, starting a new one if
  // the last was lost; a caller waiting for an engine that is lost and
  // replaced (restartMain) waits for its successor.
  async function engine() {
    for (;;) {
      if (!main) main = new Engine('main');
      const m = main;
      try {
        return await m.booted;
      } catch (err) {
        if (!main || main === m || main.dead) throw err;
      }
    }
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

  // toText reads labels or a card: a string is the text itself, whatever
  // it starts with (labels such as "/m/01g317" or "http…" are text, never
  // fetched); a URL object is downloaded; a Blob, ArrayBuffer or
  // Uint8Array is read; a plain object (a card) becomes its JSON.
  async function toText(x) {
    if (x == null) return '';
    if (typeof x === 'string') return x;
    if (x instanceof URL || x instanceof Blob || x instanceof ArrayBuffer || x instanceof Uint8Array) return new TextDecoder().decode(await toBytes(x));
    if (typeof x === 'object') return JSON.stringify(x); // a card given as an object
    throw new TypeError('labels and card are text, a URL object, a Blob or bytes');
  }

  // ---- extra models (embedded widgets) --------------------------------------

  // A slot is a model loaded beside the page's, named by what makes it:
  // the model's URL, its labels and its card (two widgets with one model
  // and different labels get a slot each). At most MAX_SLOTS stay loaded
  // (each holds the model's weights and buffers: ~55 MB for MobileNetV2):
  // a new one first drops the least recently used one in the engine
  // (dropSlot), so that its memory is reused. The engine keeps the same
  // bound by itself.
  const MAX_SLOTS = 4;
  const slots = new Map(); // key → {id, key, p: Promise of {slot, side, engine}, done}, least recently used first
  let slotSeq = 0;
  const objectIds = new WeakMap();
  let objectSeq = 0;
  // partKey names labels or a card in a slot's key: text by its content,
  // a URL by its address, a Blob or bytes by identity.
  function partKey(x) {
    if (x == null || x === '') return '';
    if (typeof x === 'string') return 't:' + x;
    if (x instanceof URL) return 'u:' + x.href;
    if (x instanceof Blob || x instanceof ArrayBuffer || ArrayBuffer.isView(x)) {
      if (!objectIds.has(x)) objectIds.set(x, ++objectSeq);
      return 'o:' + objectIds.get(x);
    }
    return 'j:' + JSON.stringify(x);
  }
  function slotKey(opts) {
    return JSON.stringify([new URL(opts.model, location.href).href, partKey(opts.labels), partKey(opts.card)]);
  }
  function forgetSlot(s) {
    if (slots.get(s.key) === s) slots.delete(s.key);
  }
  // evictSlots drops the least recently used loaded slots beyond the bound.
  function evictSlots() {
    for (const s of slots.values()) {
      if (slots.size <= MAX_SLOTS) return;
      if (!s.done) continue; // still loading: its caller is about to use it
      slots.delete(s.key);
      if (s.engine && !s.engine.dead) s.engine.call('dropSlot', [s.id]).catch(() => {});
      if (explainer && explainer.slots.delete(s.id)) explainer.call('dropSlot', [s.id]).catch(() => {});
    }
  }
  function loadSlot(opts) {
    const key = slotKey(opts);
    let s = slots.get(key);
    if (s) {
      slots.delete(key); // most recently used: to the end
      slots.set(key, s);
      return s.p;
    }
    const url = new URL(opts.model, location.href).href;
    s = { id: 'slot-' + (++slotSeq), key, done: false, engine: null };
    const text = (x) => toText(x).catch((err) => { throw coded(err.message, err.code || 'model-load'); });
    s.p = (async () => {
      let bytes;
      try {
        bytes = await toBytes(url);
      } catch (err) {
        throw coded(err.message, 'model-load');
      }
      const labels = await text(opts.labels);
      const card = await text(opts.card);
      const name = url.split('/').pop();
      const b = await toBundle(bytes, labels, card, name);
      const e = await engine();
      s.engine = e;
      const r = await e.call('loadModel', [b, isBundle(bytes) ? labels : '', isBundle(bytes) ? card : '', name, s.id, false]);
      s.done = true;
      // What the explainer needs to load the same model (explainerFor).
      Object.assign(s, { bundle: b, labels: isBundle(bytes) ? labels : '', card: isBundle(bytes) ? card : '', name });
      return { slot: s.id, side: r.maxSide, engine: e, entry: s };
    })();
    s.p.catch(() => forgetSlot(s)); // a failed load may be retried
    slots.set(key, s);
    evictSlots();
    return s.p;
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
      let r;
      if (opts.model) {
        // The widget's slot; loaded again if the engine restarted or
        // dropped it meanwhile (another widget's model evicted it).
        for (let attempt = 0; ; attempt++) {
          const s = await loadSlot(opts);
          const e = await engine();
          if (s.engine !== e) { forgetSlot(s.entry); if (attempt < 3) continue; throw coded('The Glimpse engine restarted; try again', 'engine-lost'); }
          const [src, transfer] = await portable(source, s.side || 448);
          try {
            r = await e.call('classify', [src, top, s.slot, opts.thumbnail || 0, s.side], transfer);
            break;
          } catch (err) {
            if (err.code !== 'no-model' || attempt >= 2) throw err;
            forgetSlot(s.entry);
          }
        }
      } else {
        const e = opts.batch ? await batchEngine() : await engine();
        const side = (e.info && e.info.maxSide) || info.maxSide || 0; // 0: the engine asks its model
        const [src, transfer] = await portable(source, side || 448);
        r = await e.call('classify', [src, top, undefined, opts.thumbnail || 0, side], transfer);
      }
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
    // loadModel(blobOrURL, {labels, card, name, persist, maxMemory}) →
    // info(). labels and card: text (a string is always the text itself),
    // a URL object (downloaded), a Blob or bytes; a card may also be an
    // object. persist (default true) keeps the model for the next visit, on
    // the app's own page only. maxMemory (bytes) bounds the memory the
    // model may need. A model that fails to load — or that stops the engine
    // — leaves the previous one active.
    async loadModel(model, opts) {
      opts = opts || {};
      await ready.catch(() => {});
      let maxMemory;
      if (opts.maxMemory != null) {
        maxMemory = Number(opts.maxMemory);
        if (!(maxMemory > 0) || !isFinite(maxMemory)) throw coded('maxMemory must be a positive number of bytes', 'bad-argument');
        maxMemory = Math.floor(maxMemory);
      }
      const bytes = await toBytes(model);
      if (!bytes || !bytes.length) throw coded('The model file is empty', 'invalid-model');
      const labels = await toText(opts.labels);
      const card = await toText(opts.card);
      const name = opts.name || (model && model.name) || (typeof model === 'string' ? model.split('/').pop() : 'model.onnx');
      const b = await toBundle(bytes, labels, card, name);
      const e = await engine();
      const own = isBundle(bytes); // a bundle given as it is: labels and card given beside it override its own
      const persist = opts.persist !== false && e.keeps;
      await setInfo(e, await e.call('loadModel', [b, own ? labels : '', own ? card : '', name, undefined, persist, own ? null : bytes, maxMemory]));
      if (persist) savedOK = true; // the saved model is now this one, which loaded
      pageModel = persist ? null : { blob: new Blob([b]), labels: own ? labels : '', card: own ? card : '', name, maxMemory };
      const out = publicInfo();
      emit('model', out);
      return out;
    },
    // resetModel() → info() of the shipped default model
    async resetModel() {
      const e = await engine();
      await setInfo(e, await e.call('resetModel'));
      pageModel = null;
      if (e.keeps) savedOK = true; // nothing is saved any more
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
      const e = await engine();
      // One copy that the worker then owns (transferred), rather than a
      // structured clone's two; the caller's array stays usable. The
      // worker hands the copy back with the result, and the next call of
      // the same size copies into it: a fresh 600 KB array each call
      // costs more than the copy (new pages to fault in).
      if (input instanceof Float32Array) {
        let x = inferBuf && inferBuf.length === input.length ? inferBuf : new Float32Array(input.length);
        inferBuf = null;
        x.set(input);
        const r = await e.call('infer', [x], [x.buffer]);
        if (r && r.input instanceof Float32Array) {
          inferBuf = r.input;
          delete r.input;
        }
        return r;
      }
      return e.call('infer', [input]);
    },
    // embed(source[, {batch}]) → Float32Array: the page model's feature
    // vector of the image (the tensor its classifier layer reads),
    // L2-normalised, for similarity search.
    async embed(source, opts) {
      return (await api.features(source, Object.assign({}, opts, { normalize: true, variants: 0 }))).features;
    },
    // features(source, {variants, seed, normalize, batch}) → {dim, rows,
    // features: Float32Array (rows×dim), feature}: the image's features and
    // those of `variants` augmented versions of it (random crop, flip,
    // rotation, colour jitter; seeded), for training a head.
    async features(source, opts) {
      opts = opts || {};
      await ready;
      const e = opts.batch ? await batchEngine() : await engine();
      const side = (e.info && e.info.maxSide) || info.maxSide || 0;
      const [src, transfer] = await portable(source, side || 448);
      return e.call('features', [src, opts.variants || 0, opts.seed || 0, !!opts.normalize, side], transfer);
    },
    // explain(source, {class, method, patch, stride}) → {class, label,
    // prob, method, rows, cols, heat: Float32Array (rows×cols,
    // non-negative), region: [x0, y0, x1, y1] (the part of the image the
    // grid covers, as fractions of its width and height), ms}: where the
    // page's model (or opts.model's, as classify takes it) looked for that
    // class (default: its top one). method: 'gradcam', 'gradcam++', 'ig',
    // 'gradinput', 'smoothgrad', 'rollout' or 'occlusion'; by default
    // Grad-CAM for a CNN, attention rollout for a ViT, else occlusion. Every
    // method but occlusion runs in the explainer's worker (fetched the first
    // time); occlusion runs the model once per hidden patch (about 170
    // times with the defaults) on the page's engine. Where the explainer
    // cannot start (no workers, offline before it was ever fetched), the
    // default falls back to occlusion.
    async explain(source, opts) {
      opts = opts || {};
      await ready;
      const method = opts.method && opts.method !== 'auto' ? opts.method : '';
      let e, slot = null;
      if (opts.model) {
        const s = await loadSlot(opts);
        e = s.engine;
        slot = s.entry;
      } else {
        e = await engine();
      }
      const side = (e.info && e.info.maxSide) || info.maxSide || 0;
      if (method !== 'occlusion') {
        let x = null;
        try {
          x = await explainerFor(slot);
        } catch (err) {
          if (method || err.code !== 'engine-load') throw err;
        }
        if (x) {
          const [src, transfer] = await portable(source, side || 448);
          try {
            return await x.call('explain', [src, opts.class == null ? -1 : opts.class, opts.patch || 0, opts.stride || 0, side, slot ? slot.id : undefined, method], transfer);
          } finally {
            idleExplainer();
          }
        }
        if (method) throw coded('This page cannot run the explainer (it needs Web Workers); method occlusion works here', 'bad-argument');
      }
      const [src, transfer] = await portable(source, side || 448);
      return e.call('explain', [src, opts.class == null ? -1 : opts.class, opts.patch || 0, opts.stride || 0, side, slot ? slot.id : undefined, 'occlusion'], transfer);
    },
    // heatImage(explanation, opacity) → a canvas of rows×cols pixels: the
    // heat in viridis colours, each cell's alpha growing with its heat, to
    // stretch over the explanation's region of the image.
    heatImage(x, opacity) {
      const c = document.createElement('canvas');
      c.width = x.cols; c.height = x.rows;
      const g = c.getContext('2d');
      const img = g.createImageData(x.cols, x.rows);
      let top = 0;
      for (const v of x.heat) top = Math.max(top, v);
      const stops = [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37]];
      for (let i = 0; i < x.heat.length; i++) {
        const t = top > 0 ? x.heat[i] / top : 0;
        const f = t * (stops.length - 1), k = Math.min(stops.length - 2, Math.floor(f)), u = f - k;
        for (let ch = 0; ch < 3; ch++) img.data[4 * i + ch] = stops[k][ch] * (1 - u) + stops[k + 1][ch] * u;
        img.data[4 * i + 3] = 255 * (opacity == null ? 0.7 : opacity) * (0.4 + 0.6 * t);
      }
      g.putImageData(img, 0, 0);
      return c;
    },
    // heatPNG(source, explanation, opacity) → a PNG Blob of the image with
    // the heat drawn over its region.
    async heatPNG(source, x, opacity) {
      const bmp = await createImageBitmap(source, source instanceof Blob ? { imageOrientation: 'from-image' } : {});
      const c = document.createElement('canvas');
      c.width = bmp.width; c.height = bmp.height;
      const g = c.getContext('2d');
      g.drawImage(bmp, 0, 0);
      bmp.close();
      const [x0, y0, x1, y1] = x.region;
      g.imageSmoothingEnabled = true;
      g.drawImage(api.heatImage(x, opacity), x0 * c.width, y0 * c.height, (x1 - x0) * c.width, (y1 - y0) * c.height);
      return new Promise((res, rej) => c.toBlob((b) => (b ? res(b) : rej(new Error('the image could not be encoded'))), 'image/png'));
    },
    // trainHead(features, dim, photos, config[, onProgress]) → the fitted
    // head's report ({mode, activation, history, val, valProbs, ...}):
    // features holds every photo's rows (the photo, then its variants) one
    // after another, photos says [{rows, classes}] in the same order, config
    // is {classes, multi, mode, val, epochs, seed, ...} (model/train's
    // Config). onProgress gets {phase, epoch, trainLoss, valLoss, trainAcc,
    // valAcc} as it goes. It runs in a worker of its own (trainer.wasm,
    // fetched the first time), which keeps the head for useTrained.
    async trainHead(features, dim, photos, config, onProgress) {
      const listener = (ev) => { if (onProgress) onProgress(ev.detail); };
      window.addEventListener('glimpse:train', listener);
      try {
        return await trainerCall('fitHead', [features, dim, JSON.stringify(photos), JSON.stringify(config)]);
      } finally {
        window.removeEventListener('glimpse:train', listener);
      }
    },
    // trainedBundle(labels, card, {feature, pooled}) → the page's model cut
    // at its features with the last head trained, as bundle bytes; feature
    // and pooled are what features() said.
    async trainedBundle(labels, card, opts) {
      opts = opts || {};
      const text = Array.isArray(labels) ? labels.join('\n') + '\n' : String(labels);
      const cardText = typeof card === 'string' ? card : JSON.stringify(card);
      return trainerCall('headBundle', [await modelBytes(), opts.feature || '', !!opts.pooled, text, cardText]);
    },
    // useTrained(labels, card, {feature, pooled, name}) makes that model the
    // page's model, kept for the next visit → info().
    async useTrained(labels, card, opts) {
      const b = await api.trainedBundle(labels, card, opts);
      return api.loadModel(b, { name: (opts && opts.name) || 'trained.glimpse', persist: true });
    },
    // trainedONNX(backbone, {feature, pooled}) → the last trained model as
    // an ONNX file: the backbone's ONNX file (a URL, Blob or bytes) with the
    // new head, written by the importer (fetched for this).
    async trainedONNX(backbone, opts) {
      opts = opts || {};
      const head = await trainerCall('trainedHead');
      head.feature = opts.feature || '';
      head.pool = !!opts.pooled;
      const bytes = await toBytes(backbone);
      if (!bytes || !bytes.length) throw coded('The backbone file is empty', 'invalid-model');
      if (isBundle(bytes)) throw coded('The ONNX export needs the backbone as an ONNX file, not a bundle', 'bad-argument');
      return importerCall('replaceHead', [bytes, head]);
    },
    // Test hooks: _go.NAME(...) calls the engine's function NAME (e.g.
    // injectFault); _killEngine() ends the engine as a crash would.
    _go: new Proxy({}, {
      // (not for 'then' or symbols: the proxy must not look like a Promise)
      get: (_, op) => (typeof op !== 'string' || op === 'then' ? undefined : (...args) => engine().then((e) => e.call(op, args))),
    }),
    _killEngine(why) { if (main) main.lost(why || 'killed'); },
    _camera: camera,
    _base: base,
    _emit: emit,
  };
  window.glimpse = api;
  if (config.engine !== false) engine();
})();
