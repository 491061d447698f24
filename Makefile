# Glimpse — see README.md. `make test` runs every test; `make run` runs the app.
SHELL := bash
SHARED ?= ../shared
GO ?= go
WASM_EXEC := $(shell $(GO) env GOROOT)/lib/wasm/go_js_wasm_exec
DEFAULT_MODEL := mobilenet_v2_1.0_224
FUZZTIME ?= 10s
# Debian packages the tests need: ONNX's backend test data, Node.js for the
# wasm tests and the ONNX Runtime reference.
DEB_PACKAGES := libonnx-testdata nodejs npm
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps deps-run models build run static classify test test-native test-wasm fuzz vet bench-cpu clean

all: build

# Install the Debian packages that are missing (apt-get update first: CI may
# start on a fresh machine).
deps:
	@missing=""; \
	[ -d /usr/share/libonnx-testdata/data ] || missing="$$missing libonnx-testdata"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@[ -d "$(SHARED)/models" ] || { echo "$(SHARED)/models not found: set SHARED=path/to/shared"; exit 1; }

deps-run:
	@[ -d "$(SHARED)/models" ] || { echo "$(SHARED)/models not found: set SHARED=path/to/shared"; exit 1; }

# Copy the models, labels and cards into web/models (git-ignored).
models:
	@for m in mobilenet_v2_1.0_224 mobilenet_v1_0.25_128; do \
	  mkdir -p web/models/$$m; \
	  cp -u $(SHARED)/models/$$m/model.onnx $(SHARED)/models/$$m/labels.txt $(SHARED)/models/$$m/LICENSE web/models/$$m/; \
	done
	@cp -u model/card/$(DEFAULT_MODEL).json web/models/$(DEFAULT_MODEL)/card.json
	@cp -u testdata/cards/mobilenet_v1_0.25_128.json web/models/mobilenet_v1_0.25_128/card.json

PORT ?= 8000

# The server/CLI binary and the browser's app.wasm.
build:
	$(GO) build -o bin/glimpse ./app
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o web/app.wasm ./app

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

test: deps models vet test-native test-wasm fuzz

test-native:
	$(GO) test -count=1 ./...

# The engine is pure Go: its tests also run compiled to wasm under Node.
test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" ./model/...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./model/onnx/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./model/vision/

# Glimpse's CPU engine natively and in wasm beside onnxruntime-node (1 thread).
bench-cpu: deps models
	SHARED=$(SHARED) ./model/bench/bench-cpu.sh

clean:
	rm -rf bin web/models web/app.wasm static/web static/*.html static/*.js static/*.css static/*.webmanifest
