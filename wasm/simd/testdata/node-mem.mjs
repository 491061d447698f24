// Preload for Go's wasm tests under Node (NODE_OPTIONS=--import=<this file>):
// records the memory of the Go instance (the one exporting mem, run and
// getsp) as glimpseEngine._goMemory(), as web/engine.js does in a page, so that
// package wasm/simd can run its SIMD kernels on Go's memory.
const W = globalThis.WebAssembly;
let goMemory = null;
function note(r) {
  const inst = r && (r.instance || r);
  const ex = inst && inst.exports;
  if (ex && ex.mem instanceof W.Memory && typeof ex.run === 'function' && typeof ex.getsp === 'function') goMemory = ex.mem;
  return r;
}
const instantiate = W.instantiate;
W.instantiate = function (...a) { return instantiate.apply(this, a).then(note); };
if (W.instantiateStreaming) {
  const stream = W.instantiateStreaming;
  W.instantiateStreaming = function (...a) { return stream.apply(this, a).then(note); };
}
globalThis.glimpseEngine = Object.assign(globalThis.glimpseEngine || {}, { _goMemory: () => goMemory });
