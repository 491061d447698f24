// training.js — the browser side of the Train view: the user's classes
// and their example photos, kept in IndexedDB (small JPEG copies, never
// sent anywhere) until the user deletes them; camera frames while a button
// is held; feature extraction on the engine pool (with augmented
// variants); the fit in the trainer's worker; using and exporting the
// result. The page (Go, app/ui_train.go) renders what this reports.
(function () {
  'use strict';
  const DB = 'glimpse-training', STORE = 'set', KEY = 'classes';
  const SIDE = 448; // stored photos: longer side at most twice the model's input

  const op = window.glimpseTagging.idbStore(DB, STORE);

  // The set: [{name, photos: [{id, blob}]}]; urls maps photo ids to object URLs.
  let classes = null;
  const urls = new Map();
  let nextId = 1;

  async function load() {
    if (!classes) {
      try {
        classes = (await op('readonly', (s) => s.get(KEY))) || [];
      } catch (e) {
        classes = [];
        throw new Error('Your saved training photos could not be read: ' + e.message);
      }
      for (const c of classes) for (const p of c.photos) nextId = Math.max(nextId, p.id + 1);
    }
    return snapshot();
  }
  const save = () => op('readwrite', (s) => s.put(classes, KEY));

  // snapshot is what the page renders: names, counts and thumbnail URLs.
  function snapshot() {
    return classes.map((c) => ({
      name: c.name,
      photos: c.photos.map((p) => {
        if (!urls.has(p.id)) urls.set(p.id, URL.createObjectURL(p.blob));
        return { id: p.id, url: urls.get(p.id) };
      }),
    }));
  }

  function drop(p) {
    const u = urls.get(p.id);
    if (u) URL.revokeObjectURL(u);
    urls.delete(p.id);
  }

  // small draws a source with its longer side at most SIDE, as a JPEG Blob.
  async function small(src) {
    const bmp = await createImageBitmap(src, src instanceof Blob ? { imageOrientation: 'from-image' } : {});
    try {
      const s = Math.min(1, SIDE / Math.max(bmp.width, bmp.height));
      const w = Math.max(1, Math.round(bmp.width * s)), h = Math.max(1, Math.round(bmp.height * s));
      const c = document.createElement('canvas');
      c.width = w; c.height = h;
      const g = c.getContext('2d');
      g.imageSmoothingQuality = 'high';
      g.drawImage(bmp, 0, 0, w, h);
      return await new Promise((res, rej) => c.toBlob((b) => (b ? res(b) : rej(new Error('the photo could not be encoded'))), 'image/jpeg', 0.9));
    } finally {
      bmp.close();
    }
  }

  function uniqueName(base) {
    let name = base, i = 2;
    while (classes.some((c) => c.name === name)) name = base + ' ' + i++;
    return name;
  }

  async function addClass(name) {
    await load();
    classes.push({ name: uniqueName((name || '').trim() || 'Class ' + (classes.length + 1)), photos: [] });
    await save();
    return snapshot();
  }

  async function renameClass(i, name) {
    await load();
    name = (name || '').trim();
    if (!name) throw new Error('A class needs a name.');
    if (classes.some((c, j) => j !== i && c.name === name)) throw new Error('Another class is already called "' + name + '".');
    classes[i].name = name;
    await save();
    return snapshot();
  }

  async function removeClass(i) {
    await load();
    classes[i].photos.forEach(drop);
    classes.splice(i, 1);
    await save();
    return snapshot();
  }

  // addFiles stores the image files among files in class i; the others are
  // skipped and counted.
  async function addFiles(i, files) {
    await load();
    let skipped = 0;
    for (const f of files) {
      if (f.type && !f.type.startsWith('image/')) { skipped++; continue; }
      try {
        classes[i].photos.push({ id: nextId++, blob: await small(f) });
      } catch (e) {
        skipped++;
      }
    }
    await save();
    return { classes: snapshot(), skipped };
  }

  // addFolder adds a folder of sub-folders, one per class (items are
  // glimpseTagging's {file, path}): each sub-folder's photos go to the class
  // of that name, made if there is none.
  async function addFolder(items) {
    await load();
    let skipped = 0;
    const groups = new Map();
    for (const it of items) {
      const parts = it.path.split('/');
      if (parts.length < 2) { skipped++; continue; }
      const name = parts[parts.length - 2];
      if (!groups.has(name)) groups.set(name, []);
      groups.get(name).push(it.file);
    }
    if (!groups.size) throw new Error('That folder has no sub-folders: put each class\'s photos in a folder named after it.');
    for (const [name, files] of groups) {
      let i = classes.findIndex((c) => c.name === name);
      if (i < 0) { classes.push({ name, photos: [] }); i = classes.length - 1; }
      const r = await addFiles(i, files);
      skipped += r.skipped;
    }
    return { classes: snapshot(), skipped };
  }

  // capture stores the video's current frame in class i.
  async function capture(i, video) {
    await load();
    if (!video || video.readyState < 2) throw new Error('The camera has no picture yet.');
    classes[i].photos.push({ id: nextId++, blob: await small(video) });
    await save();
    return snapshot();
  }

  async function removePhoto(i, id) {
    await load();
    const k = classes[i].photos.findIndex((p) => p.id === id);
    if (k >= 0) { drop(classes[i].photos[k]); classes[i].photos.splice(k, 1); }
    await save();
    return snapshot();
  }

  async function clear() {
    await load();
    classes.forEach((c) => c.photos.forEach(drop));
    classes = [];
    await save();
    return snapshot();
  }

  // train extracts every photo's features (and `augment` variants of each)
  // on the engine pool, then fits the head: on.features({done, total}),
  // on.fit(progress). It returns what use() and exportFiles() need.
  async function train(opts, on) {
    await load();
    const used = classes.filter((c) => c.photos.length > 0);
    if (used.length < 2) throw new Error('Add photos to at least two classes.');
    const few = used.find((c) => c.photos.length < 2);
    if (few) throw new Error('"' + few.name + '" has one photo; every class needs at least two.');
    const jobs = [];
    used.forEach((c, k) => c.photos.forEach((p) => jobs.push({ k, p })));
    // Auto (augment < 0): more copies for fewer photos, about 300 rows in
    // all and at most 4 copies each, so a big set still trains in seconds.
    if (!(opts.augment >= 0)) opts = Object.assign({}, opts, { augment: Math.max(0, Math.min(4, Math.round(300 / jobs.length) - 1)) });
    const out = new Array(jobs.length);
    let done = 0, next = 0, dim = 0, feature = '', pooled = false;
    const t0 = performance.now();
    await glimpse.warmPool();
    const lane = async () => {
      while (next < jobs.length) {
        const idx = next++;
        const j = jobs[idx];
        const f = await glimpse.features(j.p.blob, { variants: opts.augment || 0, seed: j.p.id, batch: true });
        out[idx] = f;
        dim = f.dim; feature = f.feature; pooled = f.pooled;
        done++;
        if (on.features) on.features({ done, total: jobs.length });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, glimpse.poolSize()) }, lane));
    const featureMs = performance.now() - t0;
    const all = new Float32Array(out.reduce((n, f) => n + f.features.length, 0));
    let at = 0;
    for (const f of out) { all.set(f.features, at); at += f.features.length; }
    const photos = jobs.map((j, i) => ({ rows: out[i].rows, classes: [j.k] }));
    const config = { classes: used.length, mode: opts.mode || 'auto', val: opts.val || 0.2, seed: opts.seed || 1 };
    const t1 = performance.now();
    const fit = await glimpse.trainHead(all, dim, photos, config, on.fit);
    return {
      fit, feature, pooled, names: used.map((c) => c.name), counts: used.map((c) => c.photos.length),
      truth: jobs.map((j) => j.k), augment: opts.augment || 0, val: config.val, seed: config.seed,
      featureMs, fitMs: performance.now() - t1, backbone: glimpse.info().name, isDefault: !!glimpse.info().isDefault,
    };
  }

  // card is the new model's card: its output and how it was trained (the
  // backbone's input comes from the backbone's own card).
  function card(r, name) {
    const valCounts = r.names.map(() => 0);
    for (const i of r.fit.val) valCounts[r.truth[i]]++;
    const last = r.fit.history[Math.max(0, r.fit.bestEpoch - 1)] || {};
    const c = {
      name, output: { activation: 'none' }, labels: 'labels.txt',
      source: 'trained in Glimpse on the features of ' + r.backbone,
      training: {
        date: new Date().toISOString(), backbone: r.backbone, feature: r.feature,
        classes: r.names.map((n, i) => ({ name: n, photos: r.counts[i], validation: valCounts[i] })),
        head: { mode: r.fit.mode, optimizer: r.fit.mode === 'mlp' ? 'Adam' : r.fit.mode === 'ncm' ? 'class means' : 'L-BFGS', weight_decay: r.fit.weightDecay, epochs: r.fit.history.length, best_epoch: r.fit.bestEpoch, class_weight: true },
        split: { train: r.fit.train, validation: r.fit.val.length, fraction: r.val, rows: r.fit.rows },
        seed: r.seed,
      },
    };
    if (r.augment) c.training.augment = { variants: r.augment, scale: [0.6, 1], ratio: [0.75, 4 / 3], flip: true, rotate: 15, brightness: 0.2, contrast: 0.2, saturation: 0.2 };
    if (last.valAcc != null) c.training.validation = { accuracy: last.valAcc, loss: last.valLoss };
    return c;
  }

  async function use(r, name) {
    return glimpse.useTrained(r.names, card(r, name), { feature: r.feature, pooled: r.pooled, name: name + '.glimpse' });
  }

  // exportFiles downloads the model as ONNX (when the page's model is the
  // shipped one, whose ONNX file is on the site), its labels and card, and
  // the bundle.
  async function exportFiles(r, name) {
    const download = window.glimpseTagging.download;
    const c = card(r, name);
    const bundle = await glimpse.trainedBundle(r.names, c, { feature: r.feature, pooled: r.pooled });
    download(name + '.glimpse', bundle, 'application/octet-stream');
    download('labels.txt', r.names.join('\n') + '\n', 'text/plain');
    let onnx = false;
    if (r.isDefault) {
      const bytes = await glimpse.trainedONNX(new URL('web/models/mobilenet_v2_1.0_224/model.onnx', glimpse._base), { feature: r.feature, pooled: r.pooled });
      download(name + '.onnx', bytes, 'application/octet-stream');
      onnx = true;
      // The ONNX file's card says everything itself, the input included.
      const base = await (await fetch(new URL('web/models/mobilenet_v2_1.0_224/card.json', glimpse._base))).json();
      c.input = base.input;
    }
    download('card.json', JSON.stringify(c, null, 2), 'application/json');
    return { onnx };
  }

  window.glimpseTraining = { load, addClass, renameClass, removeClass, addFiles, addFolder, capture, removePhoto, clear, train, use, exportFiles, card };
})();
