#!/bin/bash
# SPDX-License-Identifier: MIT
# The Vulkan backend's checks on a real GPU, by hand (CI has none): the
# device as Bendi sees it, the Vulkan test programs, and bench on the
# TinyLlama-shaped 1.1B Q4_0 model with and without cooperative matrices,
# each JSON kept in OUT. Nothing here needs a build tree: it runs the
# programs it is given, so that they can be built elsewhere and carried.
#
# Then where a token's GPU time goes on both (bench --gpu-profile), and
# generation with 2, 4 and 8 rows per workgroup of the matrix ×
# vector kernel (BENDI_VULKAN_MATVEC_ROWS), on that model and on a wide
# one (two 8192-wide layers, Llama-70B-shaped: the memory, not the
# dispatches, limits it), and llama.cpp's Vulkan backend on both files
# where LLAMA_BENCH names its llama-bench (tests/llama-cpp-reference.sh
# installs one as bendi-llama-bench).
#
# Usage: [LLAMA_BENCH=PROGRAM] [GPU_CHECK_TEST_TIMEOUT=SECONDS] gpu-check.sh BUILD_DIR VOCAB_GGUF OUT
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
for test in test-vulkan-fast test-vulkan-ops test-vulkan-model; do
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
# Where a token's GPU time goes, kernel by kernel (the top of the list).
step "gpu profile, tl"
"$cli" bench -m "$out/tl.gguf" -p 0 -n 64 --backend vulkan --gpu-profile > "$out/profile-tl.txt"
sed -n '/^gpu time/,+16p' "$out/profile-tl.txt"

wait $wide_maker
step "gpu profile, wide"
"$cli" bench -m "$out/wide.gguf" -p 0 -n 64 --backend vulkan --gpu-profile > "$out/profile-wide.txt"
sed -n '/^gpu time/,+12p' "$out/profile-wide.txt"
for model in tl wide; do
  for rows in 2 4 8; do
    step "bench $model, $rows rows per workgroup"
    BENDI_VULKAN_MATVEC_ROWS=$rows "$cli" bench -m "$out/$model.gguf" -p 0 -n 128 --backend vulkan --json \
      > "$out/bench-$model-rows$rows.json"
    grep -E '"(gen_tokens_per_s|gen_bandwidth_gbps|gpu_bandwidth_gbps|gen_bandwidth_fraction)"' \
      "$out/bench-$model-rows$rows.json"
  done
  if [ -n "${LLAMA_BENCH:-}" ]; then
    step "llama.cpp on $model"
    "$LLAMA_BENCH" -m "$out/$model.gguf" -ngl 99 -p 512 -n 128 | tee "$out/llama-bench-$model.txt"
  fi
done
rm -f "$out/tl.gguf" "$out/wide.gguf"
step done
