"""label_tile through ctypes: the C ABI of cellmap from Python, no compiler.

    python examples/python/label_tile.py LIBCELLMAP_FFI.so MASK.u8 VALUES.f32 WIDTH HEIGHT

Same output as examples/c/label_tile.c (CI compares both with
tests/fixtures/ffi/label_tile.expected). numpy only builds the buffers.
"""
import ctypes as C
import sys

import numpy as np

lib = C.CDLL(sys.argv[1])
size_t, ptr = C.c_size_t, C.c_void_p
lib.cellmap_label_scratch_len.restype = size_t
lib.cellmap_label_scratch_len.argtypes = [size_t, size_t]
lib.cellmap_label.argtypes = [ptr, C.c_int32, size_t, size_t, C.c_int32, ptr, size_t, ptr, size_t, C.POINTER(size_t)]
lib.cellmap_cell_means.argtypes = [ptr, size_t, size_t, size_t, ptr, C.c_int32, ptr, C.c_int32, C.c_uint32,
                                   ptr, size_t, ptr, size_t]
lib.cellmap_status_message.restype = C.c_char_p
CELLMAP_OK, CELLMAP_U8, CELLMAP_F32, CELLMAP_CONNECTIVITY_4 = 0, 1, 5, 4  # from cellmap.h


def check(status):
    if status != CELLMAP_OK:
        sys.exit(f"cellmap: {lib.cellmap_status_message(status).decode()}")


w, h = int(sys.argv[4]), int(sys.argv[5])
mask = np.fromfile(sys.argv[2], np.uint8, w * h)
values = np.fromfile(sys.argv[3], "<f4", w * h)
labels = np.zeros(w * h, np.int32)
scratch = np.zeros(lib.cellmap_label_scratch_len(w, h), np.uint32)
n = size_t()
check(lib.cellmap_label(mask.ctypes.data, CELLMAP_U8, w, h, CELLMAP_CONNECTIVITY_4, labels.ctypes.data, labels.size,
                        scratch.ctypes.data, scratch.size, C.byref(n)))
counts, means = np.zeros(n.value + 1, np.uint32), np.zeros(n.value + 1, np.float64)
check(lib.cellmap_cell_means(labels.ctypes.data, w, h, n.value, values.ctypes.data, CELLMAP_F32, None, 0, 0,
                             counts.ctypes.data, counts.size, means.ctypes.data, means.size))
print(f"cells {n.value}")
for c in range(1, n.value + 1):
    print(c, counts[c], "nan" if np.isnan(means[c]) else "%.17g" % means[c])
