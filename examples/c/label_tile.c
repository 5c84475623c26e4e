/*
 * label_tile: label a raw mask and print the cell count and each cell's
 * mean value (zeros and NaN skipped), as scipy computes them.
 *
 *   label_tile MASK.u8 VALUES.f32 WIDTH HEIGHT
 *
 * MASK.u8: WIDTH*HEIGHT bytes, nonzero = foreground; VALUES.f32: as many
 * little-endian floats. CI compares the output with
 * tests/fixtures/ffi/label_tile.expected (tests/generators/ffi.py, scipy).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cellmap.h"

static int check(CellmapStatus status, const char *what) {
    if (status != CELLMAP_OK) {
        fprintf(stderr, "label_tile: %s: %s\n", what, cellmap_status_message(status));
        return 1;
    }
    return 0;
}

static int read_file(const char *path, void *buffer, size_t bytes) {
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(buffer, 1, bytes, f) : 0;
    if (f) fclose(f);
    if (got != bytes) {
        fprintf(stderr, "label_tile: %s: expected %zu bytes\n", path, bytes);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: label_tile MASK.u8 VALUES.f32 WIDTH HEIGHT\n");
        return 2;
    }
    if (cellmap_abi_version() >> 16 != CELLMAP_ABI_VERSION_MAJOR) {
        fprintf(stderr, "label_tile: library ABI %#x, header %#x\n", cellmap_abi_version(), CELLMAP_ABI_VERSION);
        return 1;
    }
    size_t width = strtoul(argv[3], NULL, 10), height = strtoul(argv[4], NULL, 10), n = width * height;
    size_t scratch_len = cellmap_label_scratch_len(width, height);
    uint8_t *mask = calloc(n, 1);
    float *values = calloc(n, sizeof *values);
    int32_t *labels = calloc(n, sizeof *labels);
    uint32_t *scratch = calloc(scratch_len, sizeof *scratch);
    uint32_t *counts = NULL;
    double *means = NULL;
    size_t n_cells = 0;
    int failed = !mask || !values || !labels || !scratch || read_file(argv[1], mask, n) ||
                 read_file(argv[2], values, n * sizeof *values) ||
                 check(cellmap_label(mask, CELLMAP_U8, width, height, CELLMAP_CONNECTIVITY_4, labels, n, scratch,
                                     scratch_len, &n_cells),
                       "label");
    if (!failed) {
        size_t table = cellmap_table_len(n_cells); /* entry 0 is the background */
        counts = calloc(table, sizeof *counts);
        means = calloc(table, sizeof *means);
        failed = !counts || !means ||
                 check(cellmap_cell_means(labels, width, height, n_cells, values, CELLMAP_F32, NULL, 0, 0, counts,
                                          table, means, table),
                       "cell_means");
    }
    if (!failed) {
        printf("cells %zu\n", n_cells);
        for (size_t c = 1; c <= n_cells; c++) {
            if (isnan(means[c]))
                printf("%zu %u nan\n", c, counts[c]);
            else
                printf("%zu %u %.17g\n", c, counts[c], means[c]);
        }
    }
    free(mask), free(values), free(labels), free(scratch), free(counts), free(means);
    return failed;
}
