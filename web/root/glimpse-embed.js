/*! glimpse-embed.js — <glimpse-classifier>: Glimpse's on-device image
 * classifier as a web component. One <script> tag; the engine (engine.wasm
 * and the model, in a Web Worker) loads lazily, once per page, shared by
 * every element. */
(function () {
  'use strict';
  if (window.customElements && customElements.get('glimpse-classifier')) return;
  const BASE = new URL('.', document.currentScript.src).href;

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = src;
      s.onload = resolve;
      s.onerror = () => reject(Object.assign(new Error('Could not load ' + src), { code: 'engine-load' }));
      document.head.appendChild(s);
    });
  }

  let engineP = null;
  // engine loads glimpse.js once for the whole page; it runs the engine
  // (engine.wasm) in a Web Worker, shared by every element.
  function engine() {
    if (engineP) return engineP;
    engineP = (async () => {
      if (!(window.glimpse && window.glimpse._defined)) await loadScript(BASE + 'web/glimpse.js');
      await window.glimpse.ready;
      return window.glimpse;
    })();
    engineP.catch(() => { engineP = null; });
    return engineP;
  }

  const css = `
    :host { display: block !important; contain: content; min-width: 200px; }
    :host([hidden]) { display: none !important; }
    .w { all: initial; display: block; box-sizing: border-box; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
      color: var(--glimpse-text, #17202a); background: var(--glimpse-bg, #fff); border: 1px solid var(--glimpse-line, #dde3ea);
      border-radius: var(--glimpse-radius, 12px); padding: 12px; }
    .w.dark { --glimpse-text: #e8edf2; --glimpse-bg: #181e26; --glimpse-line: #2a333e; --glimpse-accent: #3dd6b0; --glimpse-bar: #22302c; --glimpse-muted: #9aa7b5; }
    @media (prefers-color-scheme: dark) { .w.auto { --glimpse-text: #e8edf2; --glimpse-bg: #181e26; --glimpse-line: #2a333e; --glimpse-accent: #3dd6b0; --glimpse-bar: #22302c; --glimpse-muted: #9aa7b5; } }
    * { box-sizing: border-box; }
    .drop { display: block; border: 2px dashed var(--glimpse-line, #dde3ea); border-radius: 10px; padding: 14px; text-align: center; }
    .drop.over { border-color: var(--glimpse-accent, #0f8f74); }
    .drop p { margin: 0 0 8px; }
    button { font: inherit; cursor: pointer; border-radius: 8px; padding: 8px 14px; min-height: 40px; border: 1px solid var(--glimpse-accent, #0f8f74);
      background: var(--glimpse-accent, #0f8f74); color: var(--glimpse-accent-text, #fff); font-weight: 600; margin: 2px; }
    button.alt { background: transparent; color: var(--glimpse-accent, #0f8f74); }
    button:focus-visible { outline: 3px solid var(--glimpse-accent, #0f8f74); outline-offset: 2px; }
    input[type=file] { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
    video { display: none; width: 100%; max-height: 260px; object-fit: contain; border-radius: 8px; margin-top: 10px; background: #0001; } video.on { display: block; }
    .pv { position: relative; width: fit-content; margin: 10px auto 0; }
    .pv img { display: block; max-width: 100%; max-height: 260px; border-radius: 8px; }
    .pv canvas { position: absolute; pointer-events: none; image-rendering: auto; }
    img:not([src]), .pv:has(img:not([src])) { display: none; }
    li.x { cursor: pointer; border-radius: 6px; } li.x:focus-visible { outline: 3px solid var(--glimpse-accent, #0f8f74); }
    ol { list-style: none; margin: 10px 0 0; padding: 0; }
    li { margin: 6px 0; }
    .row { display: flex; justify-content: space-between; gap: 8px; }
    li:first-child .row { font-weight: 600; }
    .pct { color: var(--glimpse-muted, #5b6775); font-variant-numeric: tabular-nums; }
    .bar { height: 6px; border-radius: 99px; background: var(--glimpse-bar, #d7efe8); overflow: hidden; margin-top: 3px; }
    .bar > div { height: 100%; background: var(--glimpse-accent, #0f8f74); }
    .status { color: var(--glimpse-muted, #5b6775); font-size: 13px; margin-top: 8px; min-height: 1em; }
    .status.error { color: var(--glimpse-error, #b3261e); }`;

  // The styles go in as a constructed stylesheet where the browser has
  // them: a page whose Content-Security-Policy forbids inline styles (the
  // iframe widget's own, say) still styles the widget. Elsewhere, a <style>.
  let sheet = null;
  try {
    if (window.CSSStyleSheet && 'adoptedStyleSheets' in Document.prototype) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
    }
  } catch (e) { sheet = null; }

  // topOf reads a number of results: a whole number from 1 to 100, else
  // the default (5).
  function topOf(v) {
    const n = Math.floor(Number(v));
    return n >= 1 ? Math.min(n, 100) : 5;
  }

  class GlimpseClassifier extends HTMLElement {
    static get observedAttributes() { return ['theme', 'camera', 'explain']; }

    constructor() {
      super();
      const root = this.attachShadow({ mode: 'open' });
      if (sheet) root.adoptedStyleSheets = [sheet];
      root.innerHTML = (sheet ? '' : `<style>${css}</style>`) + `
        <div class="w auto" part="container">
          <label class="drop" part="dropzone"><p>Drop a photo here or</p>
            <button type="button" part="button" class="pick">Choose a photo</button>
            <button type="button" part="button camera-button" class="alt cam" hidden>Use camera</button>
            <input type="file" accept="image/*" tabindex="-1" aria-label="Choose a photo to classify">
          </label>
          <div class="pv"><img part="preview" alt=""></div>
          <video part="camera" muted playsinline aria-label="Camera preview"></video>
          <ol part="results" aria-live="polite"></ol>
          <div class="status" part="status" role="status"></div>
        </div>`;
      this._$ = (s) => root.querySelector(s);
      const input = this._$('input');
      this._$('.pick').addEventListener('click', (e) => { e.preventDefault(); input.click(); });
      input.addEventListener('change', () => { if (input.files[0]) this.classify(input.files[0]).catch(() => {}); input.value = ''; });
      const drop = this._$('.drop');
      drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
      drop.addEventListener('dragleave', () => drop.classList.remove('over'));
      drop.addEventListener('drop', (e) => {
        e.preventDefault(); drop.classList.remove('over');
        const f = e.dataTransfer && e.dataTransfer.files[0];
        if (f) this.classify(f).catch(() => {});
      });
      this._$('.cam').addEventListener('click', (e) => { e.preventDefault(); this._toggleCamera(); });
    }

    connectedCallback() {
      this.attributeChangedCallback();
      // Load the engine when the element first becomes visible.
      if ('IntersectionObserver' in window && !this._io) {
        this._io = new IntersectionObserver((entries) => {
          if (entries.some((e) => e.isIntersecting)) { this._io.disconnect(); this._warm(); }
        });
        this._io.observe(this);
      }
    }

    disconnectedCallback() { if (this._io) this._io.disconnect(); this._stopCamera(); }

    attributeChangedCallback() {
      const w = this._$('.w');
      const theme = this.getAttribute('theme') || 'auto';
      w.classList.toggle('dark', theme === 'dark');
      w.classList.toggle('auto', theme === 'auto');
      this._$('.cam').hidden = !this.hasAttribute('camera');
      if (!this.hasAttribute('explain')) this._clearHeat();
    }

    // _opts: what glimpse.classify needs for this element. model, labels
    // and card are URLs (attributes meant as addresses, relative to the
    // page); labels and card go as URL objects, which glimpse.js downloads
    // (a string would be taken as the text itself). top: the call's own
    // (the iframe's message), else the attribute.
    _opts(top) {
      const o = { top: topOf(top != null ? top : this.getAttribute('top')) };
      const model = this.getAttribute('model');
      if (model) o.model = new URL(model, document.baseURI).href;
      for (const k of ['labels', 'card']) if (this.getAttribute(k)) o[k] = new URL(this.getAttribute(k), document.baseURI);
      return o;
    }

    async _warm() {
      try {
        const g = await this._engine();
        if (this._opts().model) await g.prepare(this._opts()); // load this element's model now
      } catch (e) { /* reported on first use */ }
    }

    async _engine() {
      const g = await engine();
      const backend = this.getAttribute('backend');
      if (backend && backend !== 'auto' && g.setBackend) await g.setBackend(backend).catch(() => {});
      if (!this._readyFired) {
        this._readyFired = true;
        this.dispatchEvent(new CustomEvent('glimpse-ready', { bubbles: true, composed: true, detail: g.info() }));
      }
      return g;
    }

    _status(text, isError) {
      const s = this._$('.status');
      s.textContent = text;
      s.classList.toggle('error', !!isError);
    }

    // classify(source[, {top}]) → Promise<{top, ms, backend}>; also shows
    // the result. opts.top, for this call only, overrides the attribute.
    async classify(source, opts) {
      this._status('Classifying…');
      this._clearHeat();
      if (source instanceof Blob) {
        const img = this._$('img');
        if (img.src) URL.revokeObjectURL(img.src);
        img.src = URL.createObjectURL(source);
        this._photo = source;
      }
      try {
        const g = await this._engine();
        const r = await g.classify(source, this._opts(opts && opts.top));
        this._show(r);
        this.dispatchEvent(new CustomEvent('glimpse-result', { bubbles: true, composed: true, detail: { top: r.top, ms: r.ms, backend: r.backend } }));
        // With the explain attribute, a photo (not camera frames) is
        // explained at once for its top class.
        if (source instanceof Blob && this.hasAttribute('explain')) this.explain().catch(() => {});
        return r;
      } catch (e) {
        const detail = { message: e.message || String(e), code: e.code || 'error' };
        this._status(detail.message, true);
        this.dispatchEvent(new CustomEvent('glimpse-error', { bubbles: true, composed: true, detail }));
        throw e;
      }
    }

    // explain([{class, method}]) → Promise of glimpse.explain's result for
    // the last photo classified: where the model looked for that class
    // (default: the top one), by the method asked for (default: the
    // explain attribute's value, else the model's default: Grad-CAM for a
    // CNN). The heat is drawn over the photo and a glimpse-explain event
    // carries {class, label, prob, method, rows, cols, heat, region}.
    async explain(opts) {
      if (!this._photo) throw Object.assign(new Error('Classify a photo first'), { code: 'bad-argument' });
      const photo = this._photo;
      const o = Object.assign(this._opts(), opts || {});
      if (!o.method && this.getAttribute('explain')) o.method = this.getAttribute('explain');
      this._status('Looking where the model looked…');
      try {
        const g = await this._engine();
        const x = await g.explain(photo, o);
        if (this._photo !== photo) return x; // another photo came meanwhile
        this._clearHeat();
        const c = g.heatImage(x, 0.75);
        const [x0, y0, x1, y1] = x.region;
        Object.assign(c.style, { left: 100 * x0 + '%', top: 100 * y0 + '%', width: 100 * (x1 - x0) + '%', height: 100 * (y1 - y0) + '%' });
        c.setAttribute('part', 'heat');
        c.setAttribute('aria-hidden', 'true');
        this._$('.pv').appendChild(c);
        const name = x.label.split(',')[0] || 'class ' + x.class;
        this._status(`Heat: where the model looked for ${name} (${x.method}, ${Math.round(x.ms)} ms) · click a label for another`);
        this.dispatchEvent(new CustomEvent('glimpse-explain', { bubbles: true, composed: true, detail: x }));
        return x;
      } catch (e) {
        const detail = { message: e.message || String(e), code: e.code || 'error' };
        this._status('Could not explain: ' + detail.message, true);
        this.dispatchEvent(new CustomEvent('glimpse-error', { bubbles: true, composed: true, detail }));
        throw e;
      }
    }

    _clearHeat() {
      const c = this._$('.pv canvas');
      if (c) c.remove();
    }

    _show(r) {
      const threshold = Number(this.getAttribute('threshold')) || 0;
      const ol = this._$('ol');
      ol.textContent = '';
      for (const t of r.top.filter((t, i) => i === 0 || t.prob >= threshold)) {
        const name = t.label.split(',')[0];
        const pct = (100 * t.prob).toFixed(1) + '%';
        const li = document.createElement('li');
        li.setAttribute('part', 'result');
        li.setAttribute('aria-label', name + ' ' + pct);
        li.dataset.index = t.index;
        li.title = t.label;
        li.innerHTML = '<div class="row"><span></span><span class="pct"></span></div><div class="bar" aria-hidden="true"><div></div></div>';
        li.querySelector('span').textContent = name;
        li.querySelector('.pct').textContent = pct;
        li.querySelector('.bar > div').style.width = pct;
        if (this.hasAttribute('explain') && this._photo && !this._camOn) {
          // A label explains that class: by click, Enter or Space.
          li.className = 'x';
          li.tabIndex = 0;
          const go = () => this.explain({ class: t.index }).catch(() => {});
          li.addEventListener('click', go);
          li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
        }
        ol.appendChild(li);
      }
      this._status(`${Math.round(r.ms)} ms · ${r.backend} · on this device`);
    }

    async _toggleCamera() {
      if (this._camOn) { this._stopCamera(); return; }
      const video = this._$('video');
      try {
        const g = await this._engine();
        await g._camera.start(video, '', 'environment');
      } catch (e) {
        this._status(e.message, true);
        this.dispatchEvent(new CustomEvent('glimpse-error', { bubbles: true, composed: true, detail: { message: e.message, code: 'camera' } }));
        return;
      }
      this._camOn = true;
      video.classList.add('on');
      this._$('img').removeAttribute('src');
      this._photo = null;
      this._clearHeat();
      this._$('.cam').textContent = 'Stop camera';
      const tick = async () => {
        if (!this._camOn) return;
        if (!document.hidden) { try { await this.classify(video); } catch (e) { /* shown */ } }
        requestAnimationFrame(tick);
      };
      tick();
    }

    _stopCamera() {
      if (!this._camOn) return;
      this._camOn = false;
      const video = this._$('video');
      if (window.glimpse && window.glimpse._camera) window.glimpse._camera.stop(video);
      video.classList.remove('on');
      this._$('.cam').textContent = 'Use camera';
    }
  }

  customElements.define('glimpse-classifier', GlimpseClassifier);
})();
