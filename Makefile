# Glimpse — see README.md. `make test` runs every test; `make run` runs the app.
SHELL := bash
SHARED ?= ../shared
GO ?= go
WASM_EXEC := $(shell $(GO) env GOROOT)/lib/wasm/go_js_wasm_exec
DEFAULT_MODEL := mobilenet_v2_1.0_224
FUZZTIME ?= 10s
# Debian packages the tests need (installed by `deps` when missing): ONNX's
# backend test data, Node.js for the wasm tests and the browser tests,
# Chromium for the browser tests, torch/torchvision/onnx for the corpus and
# scikit-learn, the reference for training (model/train/testdata/probe.py).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The differential corpus (testdata/corpus): torchvision models exported by
# Debian's torch, references from onnxruntime-node, in .cache/corpus.
CORPUS_PKGS := python3-torch python3-torchvision python3-onnx python3-sklearn
CORPUS_PY := /usr/bin/python3

.PHONY: all deps deps-run models build run static classify test test-native test-wasm test-e2e bench bench-smoke fuzz vet bench-cpu clean corpus corpus-full test-corpus opsets-golden quant-golden

all: build

# Install the Debian packages that are missing (apt-get update first: CI may
# start on a fresh machine).
deps:
	@missing=""; \
	[ -d /usr/share/libonnx-testdata/data ] || missing="$$missing libonnx-testdata"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	for p in $(CORPUS_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@[ -d "$(SHARED)/models" ] || { echo "$(SHARED)/models not found: set SHARED=path/to/shared"; exit 1; }

deps-run:
	@[ -d "$(SHARED)/models" ] || { echo "$(SHARED)/models not found: set SHARED=path/to/shared"; exit 1; }

# Copy the default model, labels and card into web/models (git-ignored), and
# compile them into the bundle the browser loads (model.glimpse).
models:
	@mkdir -p web/models/$(DEFAULT_MODEL) bin
	@cp -u $(SHARED)/models/$(DEFAULT_MODEL)/model.onnx $(SHARED)/models/$(DEFAULT_MODEL)/labels.txt $(SHARED)/models/$(DEFAULT_MODEL)/LICENSE web/models/$(DEFAULT_MODEL)/
	@cp -u model/card/$(DEFAULT_MODEL).json web/models/$(DEFAULT_MODEL)/card.json
	@$(GO) build -o bin/glimpse ./app
	@./bin/glimpse compile -verify=false -o web/models/$(DEFAULT_MODEL)/model.glimpse web/models/$(DEFAULT_MODEL)/model.onnx
	@# Its int8 version, offered in the model panel: glimpse quantize
	@# calibrated on the shared photos, compiled with the same labels and card.
	@mkdir -p web/models/$(DEFAULT_MODEL)_int8 .cache/int8
	@[ -f .cache/int8/model.onnx ] && [ web/models/$(DEFAULT_MODEL)_int8/model.glimpse -nt web/models/$(DEFAULT_MODEL)/model.onnx ] || { \
	  ./bin/glimpse quantize web/models/$(DEFAULT_MODEL)/model.onnx -calib $(SHARED)/photos -o .cache/int8/model.onnx >/dev/null && \
	  ./bin/glimpse compile -o web/models/$(DEFAULT_MODEL)_int8/model.glimpse -labels web/models/$(DEFAULT_MODEL)/labels.txt \
	    -card web/models/$(DEFAULT_MODEL)/card.json .cache/int8/model.onnx >/dev/null; }

PORT ?= 8000

# The server/CLI binary, the browser's UI (app.wasm), its engine
# (engine.wasm, the runtime that loads bundles, run in a Web Worker by
# web/engine.js), the importer (importer.wasm: ONNX into bundles, fetched
# only when someone brings an ONNX file), the trainer (trainer.wasm: fits
# a head on features, fetched only when someone trains) and the explainer
# (explainer.wasm: the engine with the gradient methods of model/explain,
# fetched the first time someone asks where the model looked).
build:
	$(GO) build -o bin/glimpse ./app
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o web/app.wasm ./app
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o web/engine.wasm ./wasm/engine
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o web/importer.wasm ./wasm/importer
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o web/trainer.wasm ./wasm/trainer
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -tags gradients -o web/explainer.wasm ./wasm/engine

# Serves the app with the default model on 127.0.0.1:$(PORT).
run: deps-run models build
	./bin/glimpse serve -addr 127.0.0.1:$(PORT)

# A complete deployable site in static/.
static: models build
	./bin/glimpse static -out static

# Classifies the sample photos on the command line.
classify: models build
	./bin/glimpse classify $(SHARED)/photos/*.jpg $(SHARED)/photos/*.png $(SHARED)/photos/*.bmp

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./...

test: deps models vet corpus test-native test-wasm test-wasm-browser test-webgpu fuzz test-e2e bench-smoke

# The small corpus must be there (make corpus); a full one made locally is
# left to test-corpus.
test-native:
	GLIMPSE_CORPUS_REQUIRED=1 GLIMPSE_CORPUS_SETS=small $(GO) test -count=1 ./...

# The engine is pure Go: its tests also run compiled to wasm under Node.
# wasm/simd's tests run with a preload that records Go's memory (as
# web/glimpse.js does in a page), so its SIMD kernels are active and must be.
test-wasm:
	GLIMPSE_CORPUS_SETS=small GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" ./model/...
	NODE_OPTIONS="--import=$(abspath wasm/simd/testdata/node-mem.mjs)" GLIMPSE_WANT_SIMD=1 \
	  GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" ./wasm/simd/
	NODE_OPTIONS="--import=$(abspath wasm/simd/testdata/node-mem.mjs)" GLIMPSE_WANT_SIMD=1 GLIMPSE_WANT_RELAXED=1 \
	  GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(abspath wasm/simd/testdata/exec-relaxed.sh)" \
	  -run 'Active|Relaxed|Gemm|Conv|MobileNet|EfficientNet' ./wasm/simd/

# The bridge (window.glimpse._go) and the kernels compiled to wasm inside
# headless Chromium, through wasmbrowsertest (installed into bin/). It starts
# the first "chromium" on PATH: wasm/testdata/browser/chromium, which runs
# /usr/bin/chromium with flags that keep it off the network. Its throwaway
# profiles go in a TMPDIR removed afterwards (Chromium sometimes writes to one
# after chromedp has deleted it).
WASMBROWSERTEST := bin/wasmbrowsertest
.PHONY: test-wasm-browser
test-wasm-browser:
	@$(GO) version -m $(WASMBROWSERTEST) 2>/dev/null | grep -q 'wasmbrowsertest.*v0\.11\.0' || \
	  GOBIN=$(abspath bin) $(GO) install github.com/agnivade/wasmbrowsertest@v0.11.0
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  PATH="$(abspath wasm/testdata/browser):$$PATH" TMPDIR="$$tmp" GOOS=js GOARCH=wasm \
	  $(GO) test -count=1 -exec="$(abspath $(WASMBROWSERTEST))" ./wasm/... ./model/cpu/kern/

# The WebGPU backend (wasm/webgpu) in headless Chromium: first with
# --enable-unsafe-webgpu (GLIMPSE_WEBGPU=1: the wrapper adds the flag and the
# tests fail rather than skip without an adapter; SwiftShader here) for the
# kernel tests, the run machinery and, through wasmbrowsertest's file
# access, the shared zoo and MobileNets; then without it (GLIMPSE_WEBGPU=0),
# where Open must report ErrUnavailable, the app's cue to use the CPU.
# WEBGPU_RUN narrows the first run (a go test -run pattern).
WEBGPU_RUN ?= .
.PHONY: test-webgpu test-webgpu-node
test-webgpu:
	@$(GO) version -m $(WASMBROWSERTEST) 2>/dev/null | grep -q 'wasmbrowsertest.*v0\.11\.0' || \
	  GOBIN=$(abspath bin) $(GO) install github.com/agnivade/wasmbrowsertest@v0.11.0
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  PATH="$(abspath wasm/testdata/browser):$$PATH" TMPDIR="$$tmp" GOOS=js GOARCH=wasm GLIMPSE_WEBGPU=1 \
	  $(GO) test -count=1 -timeout 20m -run '$(WEBGPU_RUN)' -exec="$(abspath $(WASMBROWSERTEST))" ./wasm/webgpu/ && \
	  PATH="$(abspath wasm/testdata/browser):$$PATH" TMPDIR="$$tmp" GOOS=js GOARCH=wasm GLIMPSE_WEBGPU=0 \
	  $(GO) test -count=1 -run TestNoAdapter -exec="$(abspath $(WASMBROWSERTEST))" ./wasm/webgpu/

# The same tests under Node with Dawn's bindings (npm webgpu@0.6.2) on
# SwiftShader: quicker to start than a browser, for working on the kernels.
test-webgpu-node:
	wasm/webgpu/testdata/run-node.sh -count=1 -timeout 20m -run '$(WEBGPU_RUN)'

# The web app in Debian's headless Chromium, against the built static site.
E2E_FIXTURES := app/e2e/.fixtures
test-e2e: static
	@[ -d app/e2e/node_modules/playwright-core ] || (cd app/e2e && npm ci --ignore-scripts --no-audit --no-fund)
	$(GO) run ./app/e2e/fixtures -photo $(SHARED)/photos/sunflower.bmp -out $(E2E_FIXTURES)
	@[ -f $(E2E_FIXTURES)/v1_int8.onnx ] || ./bin/glimpse quantize $(SHARED)/models/mobilenet_v1_0.25_128/model.onnx -card testdata/cards/mobilenet_v1_0.25_128.json -calib $(SHARED)/photos -o $(E2E_FIXTURES)/v1_int8.onnx >/dev/null
	cd app/e2e && SHARED=$(abspath $(SHARED)) GLIMPSE_FIXTURES=$(abspath $(E2E_FIXTURES)) node --test --test-concurrency=1 --test-timeout=600000

# Glimpse beside onnxruntime-web in headless Chromium (numbers are printed, never asserted).
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--runs 50 --no-webgpu".
BENCH_DEPS = @[ -d app/bench/node_modules/onnxruntime-web ] || (cd app/bench && npm ci --ignore-scripts --no-audit --no-fund)
bench: deps static
	$(BENCH_DEPS)
	@[ -f .cache/bench/mobilenet_v2_int8.onnx ] || { mkdir -p .cache/bench && ./bin/glimpse quantize -calib $(SHARED)/photos -o .cache/bench/mobilenet_v2_int8.onnx; }
	cd app/bench && SHARED=$(abspath $(SHARED)) node bench.mjs $(BENCH_ARGS)

# A short run of the same harness, inside make test.
bench-smoke: static
	$(BENCH_DEPS)
	cd app/bench && SHARED=$(abspath $(SHARED)) node bench.mjs --smoke

# The differential corpus: every torchvision classifier family, narrowed, at
# opsets 11/13/17 with fixed and dynamic batch (`corpus`, 2-4 min the first
# time, cached after), or at full size (`corpus-full`, opset 13, several GB),
# with onnxruntime-node's outputs; TestCorpus (model/corpus_test.go) runs the
# engine on them. Generation is incremental: unchanged models are kept.
# `corpus` also writes model/cpu/testdata/ortops' single-op models (GroupNorm
# as torch exports it, GroupNormalization, Pad, GridSample, ...) for TestORTOps.
CORPUS_DEPS = @missing=""; \
	for p in $(CORPUS_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi; \
	[ -d testdata/corpus/node_modules/onnxruntime-node ] || (cd testdata/corpus && npm ci --ignore-scripts --no-audit --no-fund)
corpus:
	$(CORPUS_DEPS)
	$(CORPUS_PY) testdata/corpus/make_corpus.py --set small
	$(CORPUS_PY) model/cpu/testdata/ortops/make.py
	$(CORPUS_PY) model/cpu/testdata/ortops/make_qdq_mobilenetv2.py

corpus-full:
	$(CORPUS_DEPS)
	$(CORPUS_PY) testdata/corpus/make_corpus.py --set full

# The opset sweep (TestOpsetSweep, model/cpu/opset_test.go): tiny models of
# the ops vision classifiers use, at every opset from 7 to 21 where each
# changed (the table is model/cpu/internal/opsets), written into
# .cache/opsets with their inputs, and onnxruntime-node's outputs in the
# committed model/cpu/testdata/opsets/golden.json. Rerun it after changing
# the table; make test only reads the golden file.
opsets-golden:
	@command -v node >/dev/null || { echo "node not found: make deps installs it"; exit 1; }
	@[ -d testdata/corpus/node_modules/onnxruntime-node ] || (cd testdata/corpus && npm ci --ignore-scripts --no-audit --no-fund)
	$(GO) run ./model/cpu/internal/opsets/gen -out .cache/opsets
	node model/cpu/testdata/opsets/ort.mjs --dir .cache/opsets --out model/cpu/testdata/opsets/golden.json

# The quantized ops' references: small models of every quantization op
# (QDQ and QOperator, com.microsoft included) written by
# model/cpu/testdata/ortops/make_quant.py with python3-onnx, run through
# onnxruntime-node; their inputs and ORT's outputs are the committed JSON
# files in model/cpu/testdata/ortops/quant, which make test reads.
quant-golden:
	@command -v node >/dev/null || { echo "node not found: make deps installs it"; exit 1; }
	@[ -d testdata/corpus/node_modules/onnxruntime-node ] || (cd testdata/corpus && npm ci --ignore-scripts --no-audit --no-fund)
	/usr/bin/python3 model/cpu/testdata/ortops/make_quant.py

test-corpus: corpus corpus-full
	GLIMPSE_CORPUS_REQUIRED=1 GLIMPSE_CORPUS_SETS=small,full $(GO) test -count=1 -timeout 90m -run TestCorpus -v ./model/...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./model/onnx/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./model/vision/imagefile/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./model/bundle/
	$(GO) test -run '^$$' -fuzz '^FuzzCompile$$' -fuzztime $(FUZZTIME) ./model/cpu/

# Glimpse's CPU engine natively and in wasm beside onnxruntime-node (1 thread).
bench-cpu: deps models
	SHARED=$(SHARED) ./model/bench/bench-cpu.sh

clean:
	rm -rf bin web/models web/app.wasm static/web static/*.html static/*.js static/*.css static/*.webmanifest
