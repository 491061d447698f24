// The page side of `make bench`: Glimpse runs in this page, each
// onnxruntime-web configuration in its own same-origin frame, all in one
// page session and on the same model files and input.
(function () {
  'use strict';
  const booted = glimpse.ready; // glimpse.js runs the engine in a worker

  function input(count) { // the same seeded pseudo-random input for every engine
    const a = new Float32Array(count);
    let s = 12345;
    for (let i = 0; i < count; i++) { s = (s * 1103515245 + 12345) % 2147483648; a[i] = s / 2147483648 * 2 - 1; }
    return a;
  }

  async function frame(threads, ep) {
    const f = document.createElement('iframe');
    f.src = `ort.html?threads=${threads}&ep=${ep}`;
    document.body.appendChild(f);
    await new Promise((r) => { f.onload = r; });
    while (!f.contentWindow.frameReady) await new Promise((r) => setTimeout(r, 20));
    return f.contentWindow;
  }

  // runGlimpse(modelURL, runs, backend) → {times, output}
  async function runGlimpse(modelURL, runs, backend) {
    await booted;
    if (!glimpse.setBackend) {
      if (backend !== 'cpu') return { skipped: 'no WebGPU backend in this build' };
    } else {
      const b = await glimpse.setBackend(backend).catch((e) => ({ error: e.message }));
      if (b && b.error) return { skipped: b.error };
      if (b && b.backend !== backend) return { skipped: b.gpuReason || `backend is ${b.backend}` };
    }
    const { times, engine, r } = await timeModel(modelURL, runs, backend === 'cpu' ? 5 : 1);
    if (r.backend !== backend) return { skipped: `ran on ${r.backend}` };
    return { times, engine, output: Array.from(r.output.slice(0, 10)), backend: r.backend };
  }

  // timeModel loads modelURL, runs it warm times (past the JIT's tier-up),
  // then times runs runs: {times, engine (the run alone, inside the
  // engine's worker), r (the last result)}.
  async function timeModel(modelURL, runs, warm) {
    await glimpse.loadModel(modelURL, { persist: false, name: modelURL.split('/').slice(-2)[0] });
    const info = glimpse.info();
    const x = input(3 * info.width * info.height);
    let r;
    for (let i = 0; i < warm; i++) r = await glimpse.infer(x);
    const times = [], engine = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      r = await glimpse.infer(x);
      times.push(performance.now() - t0);
      engine.push(r.ms);
    }
    return { times, engine, r };
  }

  // pairGlimpse(urls, runs, blocks) → {times: [[...] per url], engine: [[...]]}:
  // the models on the CPU backend in turn, blocks times, runs/blocks timed
  // runs each (after a warm-up) per turn, so that the machine's slow and
  // fast spells fall on both alike.
  async function pairGlimpse(urls, runs, blocks) {
    await booted;
    if (glimpse.setBackend) await glimpse.setBackend('cpu').catch(() => {});
    const times = urls.map(() => []), engine = urls.map(() => []);
    const per = Math.max(1, Math.round(runs / blocks));
    for (let b = 0; b < blocks; b++) {
      for (let k = 0; k < urls.length; k++) {
        const t = await timeModel(urls[k], per, 5); // warmed up as runGlimpse
        times[k].push(...t.times);
        engine[k].push(...t.engine);
      }
    }
    return { times, engine };
  }

  async function runORT(modelURL, runs, threads, ep, side) {
    if (ep === 'webgpu' && !(navigator.gpu && await navigator.gpu.requestAdapter())) return { skipped: 'no WebGPU adapter' };
    const w = await frame(threads, ep);
    side = side || 224;
    try {
      return await w.runBench(modelURL, input(3 * side * side), [1, 3, side, side], runs, ep);
    } catch (e) {
      return { error: String(e && e.message || e) };
    }
  }

  window.bench = { runGlimpse, pairGlimpse, runORT, booted: () => booted.then(() => true) };
})();
