#!/bin/bash
# SPDX-License-Identifier: MIT
# The Vulkan backend's checks on a real GPU, by hand (CI has none): the
# device as Bendi sees it, the Vulkan test programs, and bench on the
# TinyLlama-shaped 1.1B Q4_0 model with and without cooperative matrices,
# each JSON kept in OUT. Nothing here needs a build tree: it runs the
# programs it is given, so that they can be built elsewhere and carried.
#
# Then where a token's GPU time goes (bench --gpu-profile) on that model
# and on a wide one (two 8192-wide layers, Llama-70B-shaped: the memory,
# not the dispatches, limits it); generation on both with each matrix ×
# vector variant a GPU can run (fp16, the default there; f32; int8 dot
# products on 8-bit activations, which only BENDI_VULKAN_FORCE turns on)
# and each of 2, 4 and 8 rows per workgroup (BENDI_VULKAN_MATVEC_ROWS),
# each with its profile: one table to choose the defaults from; and
# llama.cpp's Vulkan backend on both files where LLAMA_BENCH names its
# llama-bench (tests/llama-cpp-reference.sh installs one as
# bendi-llama-bench). GPU_CHECK_SKIP_TESTS=1 leaves out the test programs
# (minutes) when the device time is short and the tests have passed there.
#
# Usage: [LLAMA_BENCH=PROGRAM] [GPU_CHECK_TEST_TIMEOUT=SECONDS] [GPU_CHECK_SKIP_TESTS=1]
#        gpu-check.sh BUILD_DIR VOCAB_GGUF OUT
#   BUILD_DIR   holds src/cli/bendi-cli and tests/test-vulkan-{fast,ops,model}
#               (or bendi-cli and the tests side by side)
#   VOCAB_GGUF  ../shared/vocab/ggml-vocab-llama-spm.gguf
#   OUT         a folder for the results
set -u

if [ $# -ne 3 ]; then
  echo "usage: $0 BUILD_DIR VOCAB_GGUF OUT" >&2
  exit 2
fi
build=$1 vocab=$2 out=$3
mkdir -p "$out"
find_program () {
  for candidate in "$build/$1" "$build/src/cli/$1" "$build/tests/$1"; do
    [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
  echo "$0: no $1 under $build" >&2
  exit 1
}
cli=$(find_program bendi-cli)
start=$(date +%s)
step () { echo "== $(( $(date +%s) - start )) s: $*"; }

step devices
"$cli" devices | tee "$out/devices.txt"
"$cli" devices --json > "$out/devices.json"
grep -q '"cooperative_matrix_shape" : "' "$out/devices.json" && require_coopmat=1 || require_coopmat=0

# The models, written while the tests run (a minute or two each, on one core).
"$cli" make-model --arch llama --vocab-from "$vocab" --embd 2048 --layers 22 --heads 32 --kv-heads 4 --ff 5632 \
  --type Q4_0 --seed 1 -o "$out/tl.gguf" > /dev/null &
maker=$!
"$cli" make-model --arch llama --vocab-from "$vocab" --embd 8192 --layers 2 --heads 64 --kv-heads 8 --ff 28672 \
  --type Q4_0 --seed 1 -o "$out/wide.gguf" > /dev/null &
wide_maker=$!

# The test programs: cases that need lavapipe (two devices of one) skip or
# fail here for that reason alone; read the failures before blaming a GPU.
tests="test-vulkan-fast test-vulkan-ops test-vulkan-model"
[ "${GPU_CHECK_SKIP_TESTS:-0}" = 1 ] && tests=
for test in $tests; do
  step "$test"
  BENDI_TEST_REQUIRE_COOPMAT=$require_coopmat BENDI_CLI=$cli timeout "${GPU_CHECK_TEST_TIMEOUT:-300}" "$(find_program "$test")" --tap \
    > "$out/$test.tap" 2>&1
  echo "$test: exit $?, $(grep -c '^ok' "$out/$test.tap") ok, $(grep -c '^not ok' "$out/$test.tap") not ok"
  grep -E '^not ok|Bail out' "$out/$test.tap" | head -5
done

wait $maker
step bench
"$cli" bench -m "$out/tl.gguf" -p 512 -n 128 --backend vulkan --json > "$out/bench.json"
BENDI_VULKAN_DISABLE=coopmat "$cli" bench -m "$out/tl.gguf" -p 512 -n 128 --backend vulkan --json \
  > "$out/bench-no-coopmat.json"
for result in bench bench-no-coopmat; do
  echo "$result:"
  grep -E '"(prompt_tokens_per_s|gen_tokens_per_s|gen_bandwidth_gbps|gpu_bandwidth_gbps|gen_bandwidth_fraction|dispatches_per_token|cpu_ms_per_token|vulkan_variants)"' \
    "$out/$result.json"
done
wait $wide_maker
# The variants' table: tokens/s, the GPU's ms a token and its slowest
# kernel, each profile kept whole in OUT; fp16 with 2 rows is the default.
for model in tl wide; do
  for variant in fp16 f32 int8-dot; do
    case $variant in
      fp16) env= ;;
      f32) env=BENDI_VULKAN_DISABLE=fp16 ;;
      int8-dot) env=BENDI_VULKAN_FORCE=int8-dot ;;
    esac
    step "$model, $variant"
    for rows in 2 4 8; do
      result=$out/variant-$model-$variant-rows$rows.txt
      env $env BENDI_VULKAN_MATVEC_ROWS=$rows "$cli" bench -m "$out/$model.gguf" -p 0 -n 64 -r 2 --backend vulkan \
        --gpu-profile > "$result" 2>&1
      printf '%s %-8s rows %s: %s | %s | %s\n' "$model" "$variant" "$rows" \
        "$(grep -m1 -o '[0-9.]* ± [0-9.]* tokens/s' "$result")" \
        "$(grep -m1 -o '^gpu time: *[0-9.]* of the [0-9.]* ms' "$result")" \
        "$(grep -m1 -A1 '^gpu time' "$result" | tail -1 | tr -s ' ')"
    done
  done
  # Where a token's GPU time goes with the defaults, kernel by kernel.
  sed -n '/^gpu time/,+16p' "$out/variant-$model-fp16-rows2.txt"
done
if [ -n "${LLAMA_BENCH:-}" ]; then
  for model in tl wide; do
    step "llama.cpp on $model"
    "$LLAMA_BENCH" -m "$out/$model.gguf" -ngl 99 -p 512 -n 128 | tee "$out/llama-bench-$model.txt"
  done
fi
rm -f "$out/tl.gguf" "$out/wide.gguf"
step done
