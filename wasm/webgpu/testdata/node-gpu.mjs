// Preload for running the wasm/webgpu tests under Node (see webgpu_test.go):
//   NODE_OPTIONS=--import=$PWD/wasm/webgpu/testdata/node-gpu.mjs
// It gives Node a navigator.gpu from the npm package webgpu (Dawn's node
// bindings, pinned in package.json; ESM only, hence a preload module rather
// than a require in wasm_exec). GLIMPSE_DAWN_FLAGS passes extra Dawn options
// (comma-separated), e.g. backend=opengles.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const flags = (process.env.GLIMPSE_DAWN_FLAGS || '').split(',').filter(Boolean);
globalThis.navigator = { gpu: create(flags) };
