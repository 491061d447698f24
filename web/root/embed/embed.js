// The iframe widget: a <glimpse-classifier> plus a postMessage API for the
// host page. Only origins named in ?origins=a,b are answered; messages from
// any other origin are ignored. Schema (see README, "Embedding"):
//   host → frame  {type: "glimpse:classify", id, image: Blob|ImageBitmap|ImageData, top?}
//   frame → host  {type: "glimpse:result", id, top: [{index, label, prob}], ms, backend}
//                 {type: "glimpse:error", id, message, code}
//   host → frame  {type: "glimpse:explain", id, class?, method?}: where the model looked in the last image classified
//   frame → host  {type: "glimpse:explanation", id, class, label, prob, method, rows, cols, heat: Float32Array, region, ms}
//   frame → host  {type: "glimpse:ready"} once the engine is ready (to each allowed origin)
// ?explain (or ?explain=METHOD) explains each photo at once, over the photo.
// A message's top applies to that message only; without one, the frame's
// ?top= (or 5). The widget runs the site's default model: never the
// visitor's own model saved in the app (see glimpse.js, savedOK).
(function () {
  'use strict';
  const q = new URLSearchParams(location.search);
  const allowed = (q.get('origins') || '').split(',').map((s) => s.trim()).filter((s) => /^https?:\/\/[^/]+$/.test(s));
  const widget = document.getElementById('widget');
  if (q.get('top')) widget.setAttribute('top', q.get('top'));
  if (q.get('theme')) widget.setAttribute('theme', q.get('theme'));
  if (q.has('explain')) widget.setAttribute('explain', q.get('explain'));
  window.addEventListener('message', async (ev) => {
    if (!allowed.includes(ev.origin)) return;
    const m = ev.data;
    if (!m || typeof m !== 'object' || (m.type !== 'glimpse:classify' && m.type !== 'glimpse:explain')) return;
    const reply = (msg) => ev.source && ev.source.postMessage(Object.assign({ id: m.id }, msg), ev.origin);
    try {
      if (m.type === 'glimpse:explain') {
        const x = await widget.explain({ class: m.class == null ? undefined : m.class, method: m.method || undefined });
        reply(Object.assign({ type: 'glimpse:explanation' }, x));
        return;
      }
      const r = await widget.classify(m.image, { top: m.top == null ? undefined : m.top });
      reply({ type: 'glimpse:result', top: r.top, ms: r.ms, backend: r.backend });
    } catch (e) {
      reply({ type: 'glimpse:error', message: (e && e.message) || String(e), code: (e && e.code) || 'error' });
    }
  });
  widget.addEventListener('glimpse-ready', () => {
    for (const o of allowed) window.parent.postMessage({ type: 'glimpse:ready' }, o);
  });
})();
