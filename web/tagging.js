// tagging.js — the browser side of photo tagging and evaluation: reading
// folders (picker, drag and drop, File System Access), content hashes, a
// queue that decodes the next photos while the engine classifies the
// current one, small thumbnails, and IndexedDB storage of results keyed by
// content hash so that a reload or a crash loses nothing, with embeddings
// for finding similar photos. The page (Go) decides tags from the stored
// scores; nothing here leaves the device.
(function () {
  'use strict';
  const IMAGE = /\.(jpe?g|png|gif|bmp|webp|tiff?|avif|heic)$/i;

  // ---- files ------------------------------------------------------------------

  // filesFromDrop walks dropped folders (webkitGetAsEntry) recursively.
  async function filesFromDrop(dataTransfer) {
    const out = [];
    const walk = async (entry, prefix) => {
      if (entry.isFile) {
        const f = await new Promise((res, rej) => entry.file(res, rej));
        out.push({ file: f, path: prefix + f.name });
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
          if (!batch.length) break;
          for (const e of batch) await walk(e, prefix + entry.name + '/');
        }
      }
    };
    const items = [...(dataTransfer.items || [])].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    if (items.length) {
      for (const e of items) await walk(e, '');
    } else {
      for (const f of dataTransfer.files || []) out.push({ file: f, path: f.name });
    }
    return out;
  }

  // filesFromInput reads an <input type=file> (with or without webkitdirectory).
  function filesFromInput(input) {
    return [...input.files].map((f) => ({ file: f, path: f.webkitRelativePath || f.name }));
  }

  // filesFromDirectoryPicker uses the File System Access API where it exists.
  async function filesFromDirectoryPicker() {
    const dir = await window.showDirectoryPicker();
    const out = [];
    const walk = async (handle, prefix) => {
      for await (const [name, h] of handle.entries()) {
        if (h.kind === 'file') out.push({ file: await h.getFile(), path: prefix + name });
        else await walk(h, prefix + name + '/');
      }
    };
    await walk(dir, dir.name + '/');
    return out;
  }

  function images(list) {
    return list.filter((x) => IMAGE.test(x.path) || (x.file.type || '').startsWith('image/'));
  }

  async function hash(file) {
    const d = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }

  async function thumbnail(bitmap, side = 256) {
    const s = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
    const c = document.createElement('canvas');
    c.width = Math.max(1, Math.round(bitmap.width * s));
    c.height = Math.max(1, Math.round(bitmap.height * s));
    c.getContext('2d').drawImage(bitmap, 0, 0, c.width, c.height);
    return new Promise((res) => c.toBlob(res, 'image/jpeg', 0.8));
  }

  // ---- storage ------------------------------------------------------------------

  // idbStore opens one object store of one database per transaction:
  // op(mode, fn) runs fn(store) and resolves to its request's result. The
  // Train view's storage (training.js) uses it too.
  function idbStore(name, storeName, opts) {
    const open = () => new Promise((res, rej) => {
      const r = indexedDB.open(name, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(storeName, opts);
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    return async function op(mode, fn) {
      const d = await open();
      try {
        return await new Promise((res, rej) => {
          const t = d.transaction(storeName, mode);
          const req = fn(t.objectStore(storeName));
          t.oncomplete = () => res(req && req.result);
          t.onerror = () => rej(t.error);
          t.onabort = () => rej(t.error || new Error('storage aborted (is the disk full?)'));
        });
      } finally {
        d.close();
      }
    };
  }
  const tx = idbStore('glimpse-tags', 'photos', { keyPath: 'hash' });
  const store = {
    all: () => tx('readonly', (s) => s.getAll()),
    get: (h) => tx('readonly', (s) => s.get(h)),
    put: (rec) => tx('readwrite', (s) => s.put(rec)),
    clear: () => tx('readwrite', (s) => s.clear()),
  };

  // ---- the queue ------------------------------------------------------------------

  // Queue classifies photos, up to `lanes` at once — one per engine of
  // Glimpse's pool (glimpse.poolSize(): one per core, within memory),
  // each in its own worker — while the next ones are hashed. Each file goes
  // to its engine as it is: the engine decodes it once, classifies it and
  // makes its thumbnail, so the main thread decodes nothing. A photo whose engine stopped mid-run is tried once
  // more on the restarted engine, so a crash loses no tags.
  class Queue {
    constructor(items, opts, on) {
      this.items = items;
      this.opts = Object.assign({ top: 10, ahead: 3, persist: true, lanes: 0 }, opts || {});
      this.on = on || {};
      this.done = 0;
      this.skipped = 0;
      this.failed = 0;
      this.paused = false;
      this.cancelled = false;
      this.times = [];
      this.writes = [];
      this._waiters = [];
    }
    pause() { this.paused = true; }
    resume() { this.paused = false; const w = this._waiters; this._waiters = []; w.forEach((f) => f()); }
    cancel() { this.cancelled = true; this.resume(); }

    async _prepare(item) {
      const h = await hash(item.file);
      if (this.opts.persist) {
        const old = await store.get(h).catch(() => null);
        if (old) return { item, hash: h, old };
      }
      return { item, hash: h };
    }

    async _classify(file) {
      const opts = { top: this.opts.top, batch: true, thumbnail: 256 };
      try {
        return await glimpse.classify(file, opts);
      } catch (e) {
        if (e.code !== 'engine-lost') throw e;
        return glimpse.classify(file, opts); // the engine restarts for this call
      }
    }

    async _one(x) {
      let rec;
      try {
        if (x.err) throw x.err;
        if (x.old) {
          rec = x.old;
          this.skipped++;
        } else {
          const t0 = performance.now();
          const r = await this._classify(x.item.file);
          this.times.push(performance.now() - t0);
          rec = { hash: x.hash, file: x.item.path, scores: r.top, ms: r.ms, backend: r.backend, at: Date.now(), thumb: r.thumb };
          if (this.on.thumb) this.on.thumb(rec);
          // The write runs while the next photo is classified.
          if (this.opts.persist) this.writes.push(store.put(rec).catch((e) => { if (this.on.error) this.on.error(e, x.item); }));
        }
        this.done++;
        if (this.on.photo) this.on.photo(rec, x.item);
      } catch (e) {
        this.failed++;
        this.done++;
        if (this.on.error) this.on.error(e, x.item);
      }
    }

    async run() {
      await glimpse.ready;
      const n = this.items.length;
      const lanes = Math.max(1, this.opts.lanes || (glimpse.poolSize ? glimpse.poolSize() : 1));
      if (lanes > 1 && glimpse.warmPool) glimpse.warmPool(); // the pool boots while the first photos are decoded
      const ahead = Math.max(this.opts.ahead, lanes + 1);
      const started = performance.now();
      const pending = [];
      let next = 0;
      const fill = () => {
        while (pending.length < ahead && next < n) {
          const item = this.items[next++];
          pending.push(this._prepare(item).catch((err) => ({ item, err })));
        }
      };
      const progress = () => {
        const now = performance.now();
        const rate = this.done / Math.max((now - started) / 1000, 1e-3);
        // The page re-renders on progress: at most four times a second.
        if (this.on.progress && (now - (this._shown || 0) > 250 || this.done === n)) {
          this._shown = now;
          this.on.progress({ done: this.done, total: n, skipped: this.skipped, failed: this.failed, rate, eta: (n - this.done) / Math.max(rate, 1e-6), lanes });
        }
      };
      const lane = async () => {
        while (!this.cancelled) {
          if (this.paused) {
            await new Promise((r) => this._waiters.push(r));
            continue;
          }
          const p = pending.shift();
          if (!p) return;
          fill();
          await this._one(await p);
          progress();
        }
      };
      fill();
      await Promise.all(Array.from({ length: lanes }, lane));
      await Promise.all(this.writes);
      const stats = { done: this.done, total: n, skipped: this.skipped, failed: this.failed, cancelled: this.cancelled, seconds: (performance.now() - started) / 1000, lanes };
      if (this.on.finish) this.on.finish(stats);
      return stats;
    }
  }

  function download(name, text, type) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
  }

  // setTags records tags edited by hand.
  async function setTags(hash, tags) {
    const r = await store.get(hash);
    if (!r) throw new Error('that photo is no longer stored');
    r.tags = tags;
    r.edited = true;
    await store.put(r);
  }

  // importRecord merges an imported record, keeping a stored thumbnail.
  async function importRecord(rec) {
    const old = await store.get(rec.hash).catch(() => null);
    await store.put(Object.assign({}, old || {}, rec, { thumb: old && old.thumb }));
  }

  // ---- similar photos ---------------------------------------------------------------

  // Each record keeps the page model's embedding of its thumbnail
  // (glimpse.embed: the features its classifier reads, unit length) beside
  // its tags, with the model it came from; embedAll fills in the missing
  // ones on the engine pool, on.progress({done, total}).
  const modelKey = () => { const i = glimpse.info(); return i.name + ':' + i.fileBytes; };
  async function embedAll(on) {
    const key = modelKey();
    const todo = (await store.all()).filter((r) => r.thumb && r.embedModel !== key);
    let done = 0, next = 0;
    const lane = async () => {
      while (next < todo.length) {
        const r = todo[next++];
        try {
          const e = await glimpse.embed(r.thumb, { batch: true });
          const fresh = await store.get(r.hash);
          if (fresh) await store.put(Object.assign(fresh, { embedding: e, embedModel: key }));
        } catch (err) { /* a thumbnail the engine cannot read is left out */ }
        done++;
        if (on && on.progress) on.progress({ done, total: todo.length });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, glimpse.poolSize()) }, lane));
  }

  // similar → the k stored photos nearest to the photo with this content
  // hash (cosine similarity of embeddings), best first: [{hash, score}].
  async function similar(hash, k, on) {
    await embedAll(on);
    const key = modelKey();
    const recs = (await store.all()).filter((r) => r.embedModel === key && r.embedding);
    const me = recs.find((r) => r.hash === hash);
    if (!me) throw new Error('This photo has no thumbnail to compare with the others.');
    const out = [];
    for (const r of recs) {
      if (r.hash === hash) continue;
      let s = 0;
      for (let i = 0; i < me.embedding.length; i++) s += me.embedding[i] * r.embedding[i];
      out.push({ hash: r.hash, score: s });
    }
    out.sort((a, b) => b.score - a.score);
    return out.slice(0, k);
  }

  window.glimpseTagging = { idbStore, filesFromDrop, filesFromInput, filesFromDirectoryPicker, images, hash, thumbnail, store, Queue, download, setTags, importRecord, embedAll, similar };
})();
