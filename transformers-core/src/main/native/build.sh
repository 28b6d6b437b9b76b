#!/usr/bin/env bash
# Builds libt4jkernels.so (t4j_kernels.c) into the classes folder, where JNA finds it on the classpath
# (linux-x86-64/). Called by Maven (transformers-core's pom, phase process-classes). Where it cannot be built (not
# x86-64 Linux, no gcc) it says so and exits 0: the Java side then uses LibTorch's kernels, same results.
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)/t4j_kernels.c
out=${1:?usage: build.sh CLASSES_DIR}/linux-x86-64
if [ "$(uname -s)" != Linux ] || [ "$(uname -m)" != x86_64 ]; then
  echo "t4j kernels: not built (only x86-64 Linux so far); LibTorch's kernels are used" >&2
  exit 0
fi
cc=${CC:-gcc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "t4j kernels: not built ($cc not found); LibTorch's kernels are used" >&2
  exit 0
fi
mkdir -p "$out"
if [ "$out/libt4jkernels.so" -nt "$src" ]; then
  exit 0
fi
# -O2 is enough: the loop is intrinsics. The kernel carries its own target attribute, so the library loads on any
# x86-64 CPU and says at run time (t4j_has_avx512bf16) whether the kernel can run.
"$cc" -O2 -std=c11 -shared -fPIC -fvisibility=default -Wall -Wextra -Werror -o "$out/libt4jkernels.so.tmp" "$src" -lm
mv -f "$out/libt4jkernels.so.tmp" "$out/libt4jkernels.so"
