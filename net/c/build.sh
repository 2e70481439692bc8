#!/bin/sh
# Build train_saved_model against the TensorFlow C API that the tensorflow wheel ships
# (headers in tensorflow/include, libtensorflow_cc.so.2 and libtensorflow_framework.so.2
# in the package folder). No Bazel, no separate libtensorflow download.
#
#   net/c/build.sh [OUTPUT]        default OUTPUT: net/c/train_saved_model
#   PYTHON=/path/to/python CC=gcc  choose the interpreter (and so the wheel) and compiler
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/train_saved_model"}
python=${PYTHON:-python3}
tf_dir=$("$python" -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("tensorflow").origin))')
if [ ! -f "$tf_dir/include/tensorflow/c/c_api.h" ]; then
    echo "build.sh: error: no TensorFlow C headers under $tf_dir/include" >&2
    exit 1
fi
"${CC:-gcc}" -std=c11 -O2 -Wall -Wextra \
    -I"$tf_dir/include" -o "$out" "$here/train_saved_model.c" \
    "$tf_dir/libtensorflow_cc.so.2" "$tf_dir/libtensorflow_framework.so.2" \
    -Wl,-rpath,"$tf_dir"
echo "$out"
