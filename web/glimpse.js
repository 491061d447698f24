// glimpse.js — the browser side of Glimpse. It defines window.glimpse (the
// public API) before the wasm engine loads, and the few browser helpers the
// Go engine calls: pixels from any image source in one copy, fetch with
// progress, IndexedDB for a user's own model, and the camera.
// The engine registers itself as window.glimpse._go when app.wasm is up.
(function () {
  'use strict';
  if (window.glimpse && window.glimpse._defined) return;

  // Go's linear memory, for the engine's SIMD kernels (wasm/simd), which
  // work on Go's slices in place: recorded when the Go instance (the one
  // exporting mem, run and getsp) is created, so this must run before
  // app.wasm is instantiated.
  let goMemory = null;
  (function () {
    const W = window.WebAssembly;
    if (!W) return;
    const note = (r) => {
      const ex = r && (r.instance || r).exports;
      if (ex && ex.mem instanceof W.Memory && typeof ex.run === 'function' && typeof ex.getsp === 'function') goMemory = ex.mem;
      return r;
    };
    const inst = W.instantiate;
    W.instantiate = function () { return inst.apply(this, arguments).then(note); };
    const stream = W.instantiateStreaming;
    if (stream) W.instantiateStreaming = function () { return stream.apply(this, arguments).then(note); };
  })();

  // The site's root, from this script's own address (BASE/web/glimpse.js), so
  // that the engine finds its model wherever the page itself lives.
  const script = document.currentScript && document.currentScript.src;
  const base = script ? new URL('..', script).href : new URL('/', location.href).href;

  let resolveReady, rejectReady;
  const ready = new Promise((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => {}); // rejections are reported through events and the UI too

  function emit(name, detail) {
    window.dispatchEvent(new CustomEvent('glimpse:' + name, { detail }));
  }

  function engine() {
    const go = window.glimpse._go;
    if (!go) throw new Error('Glimpse is still loading');
    return go;
  }

  // ---- pixels --------------------------------------------------------------

  let canvas = null;
  function scratchCanvas(w, h) {
    if (!canvas) canvas = document.createElement('canvas');
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    return canvas;
  }

  function sourceSize(src) {
    if (src instanceof HTMLVideoElement) return [src.videoWidth, src.videoHeight];
    if (src instanceof HTMLImageElement) return [src.naturalWidth, src.naturalHeight];
    return [src.width, src.height];
  }

  // toDrawable turns any supported source into something drawImage takes.
  async function toDrawable(src) {
    if (src instanceof Blob) {
      try {
        return await createImageBitmap(src, { imageOrientation: 'from-image' });
      } catch (e) {
        const err = new Error('This file is not an image the browser can decode' + (src.name ? ' (' + src.name + ')' : ''));
        err.code = 'not-an-image';
        throw err;
      }
    }
    if (typeof ImageData !== 'undefined' && src instanceof ImageData) {
      const c = document.createElement('canvas');
      c.width = src.width; c.height = src.height;
      c.getContext('2d').putImageData(src, 0, 0);
      return c;
    }
    if (src instanceof HTMLImageElement && !src.complete) {
      await src.decode();
    }
    if (src instanceof HTMLVideoElement && src.readyState < 2) {
      throw new Error('The video has no frame yet');
    }
    const ok = src instanceof HTMLImageElement || src instanceof HTMLCanvasElement ||
      src instanceof HTMLVideoElement || (typeof ImageBitmap !== 'undefined' && src instanceof ImageBitmap) ||
      (typeof OffscreenCanvas !== 'undefined' && src instanceof OffscreenCanvas);
    if (!ok) throw new TypeError('classify() takes an image, canvas, video, ImageBitmap, ImageData or Blob');
    return src;
  }

  // pixels draws src scaled so that its longer side is at most maxSide (the
  // browser's resampler acts as an antialiasing pre-filter) and returns the
  // RGBA bytes. Go then crops and resizes exactly as the model card says.
  async function pixels(src, maxSide) {
    const d = await toDrawable(src);
    const [sw, sh] = sourceSize(d);
    if (!sw || !sh) throw new Error('The image is empty');
    const scale = Math.min(1, maxSide / Math.max(sw, sh));
    const w = Math.max(1, Math.round(sw * scale)), h = Math.max(1, Math.round(sh * scale));
    const c = scratchCanvas(w, h);
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.clearRect(0, 0, w, h);
    ctx.drawImage(d, 0, 0, w, h);
    if (d !== src && typeof d.close === 'function') d.close();
    return { data: ctx.getImageData(0, 0, w, h).data, width: w, height: h };
  }

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

  // ---- errors and extra models ---------------------------------------------------

  // coded makes an Error with a machine-readable code for embedders.
  function coded(message, code) {
    const e = new Error(message);
    e.code = /unsupported op/.test(message) ? 'unsupported-model'
      : /not a valid ONNX|empty ONNX|model file is empty/.test(message) ? 'invalid-model' : code;
    return e;
  }

  const slots = new Map(); // absolute model URL → Promise of the slot name
  function loadSlot(opts) {
    const url = new URL(opts.model, location.href).href;
    if (!slots.has(url)) {
      const p = (async () => {
        let bytes;
        try {
          bytes = await fetchBytes(url);
        } catch (e) {
          throw coded(e.message, 'model-load');
        }
        const labels = opts.labels ? await toText(new URL(opts.labels, location.href)).catch((e) => { throw coded(e.message, 'model-load'); }) : '';
        const card = opts.card ? await toText(new URL(opts.card, location.href)).catch((e) => { throw coded(e.message, 'model-load'); }) : '';
        const r = await engine().loadModel(bytes, labels, card, url.split('/').pop(), url);
        if (r.error) throw coded(r.error, 'model-load');
        return url;
      })();
      p.catch(() => slots.delete(url)); // a failed load may be retried
      slots.set(url, p);
    }
    return slots.get(url);
  }

  // ---- the public API --------------------------------------------------------

  let firstResultMs = null;

  const api = {
    _defined: true,
    ready,
    // classify(source, {top, model, labels, card}) → {backend, ms, top: [{index, label, prob}]}
    // With opts.model (a URL), that model is loaded beside the page's own
    // (once per URL) and used for this call: embedded widgets use this.
    async classify(source, opts) {
      opts = opts || {};
      await ready;
      const top = opts.top || 5;
      const go = engine();
      const slot = opts.model ? await loadSlot(opts) : undefined;
      const px = await pixels(source, go.maxSide(slot));
      const r = await go.classifyRGBA(px.data, px.width, px.height, top, slot);
      if (r.error) throw coded(r.error, 'classify');
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
    // loadModel(blobOrURL, {labels, card, name, persist}) → info()
    async loadModel(model, opts) {
      opts = opts || {};
      await ready.catch(() => {});
      const bytes = await toBytes(model);
      if (!bytes || !bytes.length) throw new Error('The model file is empty');
      const labels = await toText(opts.labels);
      const card = await toText(opts.card);
      const name = opts.name || (model && model.name) || (typeof model === 'string' ? model.split('/').pop() : 'model.onnx');
      const info = await engine().loadModel(bytes, labels, card, name);
      if (info.error) throw new Error(info.error);
      if (opts.persist !== false) {
        try {
          await store.put({ name, model: bytes, labels, card, saved: Date.now() });
        } catch (e) {
          console.warn('glimpse: the model works now but could not be saved for next time:', e);
        }
      }
      emit('model', info);
      return info;
    },
    // resetModel() → info() of the shipped default model
    async resetModel() {
      await store.clear().catch(() => {});
      const info = await engine().loadDefault();
      if (info.error) throw new Error(info.error);
      emit('model', info);
      return info;
    },
    // setBackend('auto' | 'webgpu' | 'cpu') → info(). Auto uses a hardware
    // GPU when there is one; the choice is remembered in this browser.
    async setBackend(name) {
      await ready;
      const info = await engine().setBackend(name);
      emit('model', info);
      return info;
    },
    // labels() → the labels of the page's model, class i at index i.
    labels() {
      const go = window.glimpse._go;
      return go ? go.labels() : [];
    },
    info() {
      const go = window.glimpse._go;
      const out = go ? go.info() : { ready: false };
      out.firstResultMs = firstResultMs;
      return out;
    },
    // check([model, {card}]) → the model check's report: ops and where they
    // run, folding and fusion, a self-check of the optimised program against
    // the reference, time per run, and a verdict. Without a model it checks
    // the page's model (which falls back to the unoptimised program if they
    // disagree; report.notice says so); with a Blob, URL or bytes it checks
    // that file alone. It costs about two runs of the model, in small steps.
    async check(model, opts) {
      if (model === undefined || model === null) {
        await ready;
        return engine().check();
      }
      await ready.catch(() => {});
      const bytes = await toBytes(model);
      if (!bytes || !bytes.length) throw new Error('The model file is empty');
      return engine().check(bytes, await toText((opts || {}).card));
    },
    // infer(Float32Array) runs the model on an already preprocessed input
    // and returns {ms, output}: for benchmarks and conformance checks.
    async infer(input) {
      await ready;
      const r = await engine().infer(input);
      if (r.error) throw new Error(r.error);
      return r;
    },
    // internals used by the Go engine
    _base: base,
    _resolveReady: (info) => { resolveReady(info); emit('ready', info); },
    _rejectReady: (msg) => { rejectReady(new Error(msg)); emit('error', { message: msg }); },
    _emit: emit,
    _pixels: pixels,
    _fetch: fetchBytes,
    _store: store,
    _camera: camera,
    _goMemory: () => goMemory,
    _loadPref: () => { try { return localStorage.getItem('glimpse.backend') || 'auto'; } catch (e) { return 'auto'; } },
    _savePref: (v) => { try { localStorage.setItem('glimpse.backend', v); } catch (e) { /* private mode */ } },
  };
  window.glimpse = api;
})();
