#!/usr/bin/env bash
# bench-cpu.sh: Glimpse's CPU engine natively and as wasm under Node, beside
# onnxruntime-node 1.30 (CPU, 1 thread), on the same ONNX files and inputs,
# in one run. Prints medians and ratios; asserts nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
shared=${SHARED:-../shared}
runs=${BENCH_RUNS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wasm_exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec"

if [ ! -d model/bench/node_modules/onnxruntime-node ]; then
  (cd model/bench && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
fi
go build -o "$work/glimpse" ./app
GOOS=js GOARCH=wasm go build -tags nodecli -o "$work/glimpse.wasm" ./app
go run ./model/bench/mkconv -out "$work/convs" >/dev/null

div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { sed -n 's/.*median \([0-9.]*\) ms.*/\1/p'; }

# The wasm column runs with the preload that lets the SIMD kernels see Go's
# memory, as glimpse.js does in a browser.
preload="--import=$root/wasm/simd/testdata/node-mem.mjs"
printf '%-22s %14s %14s %14s %11s %11s\n' model glimpse-native glimpse-wasm ort-node-1t native/ort wasm/ort
ratios=()
bench() { # name model input
  local name=$1 model=$2 input=$3 n w o
  n=$("$work/glimpse" infer -model "$model" -input "$input" -output "$work/out.bin" -runs "$runs" | median)
  w=$(NODE_OPTIONS="$preload" "$wasm_exec" "$work/glimpse.wasm" infer -model "$model" -input "$input" -output "$work/out.bin" -runs "$runs" | median)
  o=$(node model/bench/ort_bench.js "$model" "$input" "$runs" | sed -n 's/.*median-ms \([0-9.]*\).*/\1/p')
  printf '%-22s %11s ms %11s ms %11s ms %11s %11s\n' "$name" "$n" "$w" "$o" "$(div "$n" "$o")" "$(div "$w" "$o")"
  ratios+=("ratio glimpse-native/ort-node-1t $name: $(div "$n" "$o")")
  ratios+=("ratio glimpse-wasm/ort-node-1t $name: $(div "$w" "$o")")
}
# The zoo's input is a [1,3,224,224] tensor; MobileNetV2 takes the same shape.
bench mobilenet_v2_1.0_224 "$shared/models/mobilenet_v2_1.0_224/model.onnx" "$shared/zoo/squeezenet1_1/input_0.bin"
bench efficientnet_b0 "$shared/zoo/efficientnet_b0/model.onnx" "$shared/zoo/efficientnet_b0/input_0.bin"
bench squeezenet1_1 "$shared/zoo/squeezenet1_1/model.onnx" "$shared/zoo/squeezenet1_1/input_0.bin"
for c in conv3x3 conv1x1 depthwise3x3 depthwise3x3s2; do
  bench "$c" "$work/convs/$c/model.onnx" "$work/convs/$c/input.bin"
done
printf '%s\n' "${ratios[@]}"
# All cores on both sides: Glimpse runs one program per core at once (as
# glimpse tag does), ONNX Runtime one session with a thread per core; each
# side's time per image.
cores=$(nproc)
all() { # name model input
  local name=$1 model=$2 input=$3 n o
  n=$("$work/glimpse" infer -model "$model" -input "$input" -output "$work/out.bin" -runs "$runs" -workers "$cores" | sed -n 's/.*, \([0-9.]*\) ms per image.*/\1/p')
  o=$(node model/bench/ort_bench.js "$model" "$input" "$runs" "$cores" | sed -n 's/.*median-ms \([0-9.]*\).*/\1/p')
  echo "ratio glimpse-native-${cores}w/ort-node-${cores}t $name: $(div "$n" "$o") ($n against $o ms per image)"
}
all mobilenet_v2_1.0_224 "$shared/models/mobilenet_v2_1.0_224/model.onnx" "$shared/zoo/squeezenet1_1/input_0.bin"
echo
echo "go test -bench (native, then wasm under Node):"
go test ./model/ ./model/cpu/kern/ -run '^$' -bench . -benchtime "${runs}x" | grep -E '^Benchmark'
GOOS=js GOARCH=wasm go test -exec="$wasm_exec" ./model/ ./model/cpu/kern/ -run '^$' -bench . -benchtime "${runs}x" | grep -E '^Benchmark'
