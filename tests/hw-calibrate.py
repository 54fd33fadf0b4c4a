#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the fit estimator and `bendi-cli hw --measure` against reality on this machine.

  tests/hw-calibrate.py BUILD_DIR [--work DIR] [--model FILE] [--rounds N] [--quick]

1. Memory: `fit --ctx 2048`'s total_bytes against the peak resident memory of
   a `generate --ctx 2048` that fills its context (the KV cache and the
   prompt's scratch are then all in use); must be within 20%.
2. Speed: `fit`'s est_gen_tokens_per_s against `bench`'s gen_tokens_per_s,
   with the bandwidth measured just before; must be within a factor of 1.5.
3. Bandwidth: `hw --measure`'s CPU bandwidth against an independent
   STREAM-like read (tests/hw-stream.c, OpenMP); must be within 25%, and
   `hw --measure` must take under 10 s.

Timings on a busy machine vary: each round measures again and the script
prints every round; the checks use the median round. The model is a
TinyLlama-shaped Q4_K model (0.6 GB) that `make-model` writes into the work
directory once, with the tokenizer of ../shared/vocab/ggml-vocab-llama-spm.gguf.
Exits 1 when a check fails.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument('build')
ap.add_argument('--work', default=os.path.join(tempfile.gettempdir(), 'bendi-hw-calibrate'))
ap.add_argument('--model')
ap.add_argument('--rounds', type=int, default=3)
ap.add_argument('--quick', action='store_true', help='a short generation instead of filling the context')
a = ap.parse_args()

source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = os.environ.get('BENDI_TEST_DATA', os.path.join(source, '..', 'shared'))
cli = os.path.join(a.build, 'src', 'cli', 'bendi-cli')
os.makedirs(a.work, exist_ok=True)
env = dict(os.environ, XDG_CACHE_HOME=os.path.join(a.work, 'cache'), LC_ALL='C.UTF-8')
env.pop('LANGUAGE', None)


def run(*args, **kw):
    return subprocess.run([cli] + list(args), env=env, check=True, capture_output=True, text=True, **kw).stdout


def run_json(*args):
    return json.loads(run(*args))


model = a.model or os.path.join(a.work, 'tinyllama-q4_k.gguf')
if not os.path.exists(model):
    print('writing', model, '(once)')
    run('make-model', '--arch', 'llama', '--vocab-from', os.path.join(shared, 'vocab', 'ggml-vocab-llama-spm.gguf'),
        '--embd', '2048', '--layers', '22', '--heads', '32', '--kv-heads', '4', '--ff', '5632', '--ctx-train', '2048',
        '--type', 'Q4_K', '--seed', '1', '-o', model)

stream = os.path.join(a.work, 'hw-stream')
subprocess.run(['cc', '-O3', '-march=native', '-fopenmp', os.path.join(source, 'tests', 'hw-stream.c'), '-o', stream],
               check=True)

ok = True


def check(name, good, text):
    global ok
    ok = ok and good
    print(f"{'PASS' if good else 'FAIL'}  {name}: {text}")


# 1. Memory.
fit = run_json('fit', '-m', model, '--ctx', '2048', '--json', '--no-measure')
text = open(os.path.join(shared, 'golden', 'english.txt')).read()
prompt = (text + '\n') * 6 if not a.quick else text
args = ['generate', '-m', model, '-p', prompt, '--ctx', '2048', '--temp', '0', '--ignore-eos',
        '-n', '32' if a.quick else '-1']
start = time.monotonic()
child = subprocess.Popen([cli] + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(child.pid, 0)
child.stderr.close()
if status != 0:
    sys.exit('generate failed')
peak = usage.ru_maxrss * 1024
ratio = fit['total_bytes'] / peak
print(f"generate --ctx 2048 ({'short' if a.quick else 'filling the context'}): "
      f"peak RSS {peak / 1e6:.1f} MB in {time.monotonic() - start:.0f} s")
check('memory', abs(ratio - 1) <= 0.20,
      f"fit total {fit['total_bytes'] / 1e6:.1f} MB = {ratio:.3f} x the peak RSS {peak / 1e6:.1f} MB")

# 2 and 3, round by round.
rounds = []
for r in range(a.rounds):
    t0 = time.monotonic()
    hw = run_json('hw', '--measure', '--json')
    hw_seconds = time.monotonic() - t0
    independent = float(subprocess.run([stream], check=True, capture_output=True, text=True).stdout)
    fit = run_json('fit', '-m', model, '--ctx', '2048', '--json', '--no-measure')
    bench = run_json('bench', '-m', model, '-p', '0', '-n', '64', '-r', '3', '--json')
    load = os.getloadavg()[0]
    row = dict(hw_gbps=hw['cpu_bandwidth_gbps'], hw_seconds=hw_seconds, stream_gbps=independent,
               est=fit['est_gen_tokens_per_s'], bench=bench['gen_tokens_per_s'],
               bench_fraction=bench['gen_bandwidth_fraction'], load=load)
    rounds.append(row)
    print(f"round {r + 1}: load {load:.1f}; hw --measure {row['hw_gbps']:.2f} GB/s in {hw_seconds:.1f} s; "
          f"hw-stream {independent:.2f} GB/s; fit {row['est']:.2f} tokens/s; bench {row['bench']:.2f} tokens/s "
          f"({row['bench_fraction']:.0%} of bench's own bandwidth)")


def median(key):
    return statistics.median(row[key] for row in rounds)


speed = median('est') / median('bench')
check('speed', 1 / 1.5 <= speed <= 1.5,
      f"fit {median('est'):.2f} tokens/s = {speed:.2f} x bench's {median('bench'):.2f} (median of {len(rounds)})")
bandwidth = median('hw_gbps') / median('stream_gbps')
check('bandwidth', abs(bandwidth - 1) <= 0.25,
      f"hw --measure {median('hw_gbps'):.2f} GB/s = {bandwidth:.2f} x hw-stream's {median('stream_gbps'):.2f}")
check('hw --measure time', max(row['hw_seconds'] for row in rounds) < 10,
      f"at most {max(row['hw_seconds'] for row in rounds):.1f} s")
sys.exit(0 if ok else 1)
