/*
 * acquire: a live-acquisition loop with zero allocation per frame.
 *
 *   acquire [FRAMES [WIDTH HEIGHT]]      (default 200 frames of 2048 x 2048)
 *
 * A simulated camera delivers frames: a uint16 mask (cells with holes) and
 * four uint16 channels, made deterministically before the loop (two frames
 * in a ring, as a driver's buffers). Per frame the host:
 *
 *   1. fills holes and labels the mask (cellmap_fill_holes_and_label), which
 *      also leaves the labels as runs in its scratch;
 *   2. computes each cell's mean of the four uint16 channels in one pass
 *      over those runs (cellmap_channel_means_from_runs, a cell x channel
 *      table; cellmap_channel_means on the label image gives the same bits)
 *      with CELLMAP_KEEP_ZEROS (a camera's 0 is a measured intensity, not
 *      the "no value" of an expression image);
 *   3. paints channel 0's map: its column of the table, cellmap_cell_colors
 *      (min-max, viridis), then cellmap_paint_from_runs into an RGBA buffer
 *      (= cellmap_paint on the label image).
 *
 * Every buffer is allocated once, before the loop. Under the malloc_count
 * shim (LD_PRELOAD) the program fails unless each frame allocates nothing.
 * Prints the per-frame time (min / median / max) and a digest of the outputs.
 */
#define _POSIX_C_SOURCE 200112L /* clock_gettime, CLOCK_THREAD_CPUTIME_ID */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellmap.h"

#define CHANNELS 4
#define RING 2
#define MAX_CELLS 65535 /* per-cell tables are sized for this many cells */

/* From malloc_count.so when preloaded; null otherwise. */
extern unsigned long malloc_count_calls(void) __attribute__((weak));

static uint32_t rng_state = 15;
static uint32_t rng(void) { /* xorshift32 */
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 17, rng_state ^= rng_state << 5;
    return rng_state;
}

/* Disks on a jittered grid (every fourth with a one-pixel hole), and four
 * channels: a per-cell level times noise inside cells, sparse low counts
 * outside. */
static void make_frame(size_t w, size_t h, uint16_t *mask, uint16_t *channels[CHANNELS]) {
    memset(mask, 0, w * h * sizeof *mask);
    const int spacing = 18;
    for (size_t gy = spacing / 2; gy < h; gy += spacing)
        for (size_t gx = spacing / 2; gx < w; gx += spacing) {
            int cy = (int)gy + (int)(rng() % 5) - 2, cx = (int)gx + (int)(rng() % 5) - 2;
            int r = 4 + (int)(rng() % 5);
            for (int y = cy - r; y <= cy + r; y++)
                for (int x = cx - r; x <= cx + r; x++)
                    if (y >= 0 && x >= 0 && (size_t)y < h && (size_t)x < w && (y - cy) * (y - cy) + (x - cx) * (x - cx) <= r * r)
                        mask[(size_t)y * w + (size_t)x] = 1;
            if (r > 6 && rng() % 4 == 0 && cy >= 0 && cx >= 0 && (size_t)cy < h && (size_t)cx < w)
                mask[(size_t)cy * w + (size_t)cx] = 0;
        }
    for (int c = 0; c < CHANNELS; c++)
        for (size_t p = 0; p < w * h; p++) {
            uint32_t noise = rng();
            channels[c][p] = mask[p] ? (uint16_t)(100 + c * 50 + (noise % 400)) : (noise % 8 == 0 ? (uint16_t)(noise >> 28) : 0);
        }
}

/* CELLMAP_BENCH_CLOCK=cpu measures this thread's CPU time (steadier on a
 * loaded machine), as the project's other benchmarks do; default: wall. */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(clock_id, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void *zalloc(size_t n, size_t size) { /* calloc or die: Rust wants initialised buffers */
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "acquire: out of memory\n");
        exit(1);
    }
    for (size_t byte = 0; byte < n * size; byte += 4096) /* fault every page in now, not in frame 0 */
        ((volatile unsigned char *)p)[byte] = 0;
    return p;
}

#define CHECK(call)                                                                              \
    do {                                                                                         \
        CellmapStatus status_ = (call);                                                          \
        if (status_ != CELLMAP_OK) {                                                             \
            fprintf(stderr, "acquire: frame %d: %s: %s\n", frame, #call, cellmap_status_message(status_)); \
            return 1;                                                                            \
        }                                                                                        \
    } while (0)

int main(int argc, char **argv) {
    int frames = argc > 1 ? atoi(argv[1]) : 200;
    size_t w = argc > 3 ? strtoul(argv[2], NULL, 10) : 2048, h = argc > 3 ? strtoul(argv[3], NULL, 10) : 2048;
    size_t n = w * h, table = cellmap_table_len(MAX_CELLS), channel_table = cellmap_channel_table_len(MAX_CELLS, CHANNELS);
    if (frames < 1 || n == 0) {
        fprintf(stderr, "usage: acquire [FRAMES [WIDTH HEIGHT]]\n");
        return 2;
    }

    /* Everything, once. */
    uint16_t *masks[RING], *channels[RING][CHANNELS];
    for (int r = 0; r < RING; r++) {
        masks[r] = zalloc(n, sizeof(uint16_t));
        for (int c = 0; c < CHANNELS; c++) channels[r][c] = zalloc(n, sizeof(uint16_t));
        make_frame(w, h, masks[r], channels[r]);
    }
    size_t scratch_len = cellmap_fill_holes_and_label_scratch_len(w, h);
    uint32_t *scratch = zalloc(scratch_len, sizeof *scratch);
    int32_t *labels = zalloc(n, sizeof *labels);
    uint32_t *counts = zalloc(channel_table, sizeof *counts);
    double *means = zalloc(channel_table, sizeof *means); /* means[label * CHANNELS + channel] */
    double *means0 = zalloc(table, sizeof *means0);       /* channel 0, by label */
    uint32_t *colors = zalloc(table, sizeof *colors);
    uint32_t *rgba = zalloc(n, sizeof *rgba);
    double *times = zalloc((size_t)frames, sizeof *times);

    const char *clock_name = getenv("CELLMAP_BENCH_CLOCK");
    if (clock_name && strcmp(clock_name, "cpu") == 0) clock_id = CLOCK_THREAD_CPUTIME_ID;
    double step_ms[4] = {0, 0, 0, 0}; /* fill + label, means, colours, paint */
    int counting = malloc_count_calls != NULL;
    unsigned long allocations = 0, worst = 0;
    size_t n_cells = 0;
    double digest = 0;
    for (int frame = 0; frame < frames; frame++) {
        const uint16_t *mask = masks[frame % RING];
        const uint16_t *const *chan = (const uint16_t *const *)channels[frame % RING];
        unsigned long before = counting ? malloc_count_calls() : 0;
        double t0 = now_ms();

        CHECK(cellmap_fill_holes_and_label(mask, CELLMAP_U16, w, h, CELLMAP_CONNECTIVITY_4, labels, n, scratch,
                                           scratch_len, &n_cells));
        double t1 = now_ms();
        CHECK(cellmap_channel_means_from_runs(scratch, scratch_len, w, h, n_cells, chan, CHANNELS, NULL, 0,
                                              CELLMAP_KEEP_ZEROS, counts, channel_table, means, channel_table));
        double t2 = now_ms();
        for (size_t label = 0; label <= n_cells; label++) means0[label] = means[label * CHANNELS];
        CHECK(cellmap_cell_colors(means0, cellmap_table_len(n_cells), CELLMAP_RANGE_MIN_MAX, 0, 0, 0,
                                  CELLMAP_COLORMAP_VIRIDIS, 0x000000FF, 0x808080FF, NULL, 0, colors, table, NULL));
        double t3 = now_ms();
        CHECK(cellmap_paint_from_runs(scratch, scratch_len, w, h, n_cells, colors, cellmap_table_len(n_cells), rgba, n));

        double t4 = now_ms();
        times[frame] = t4 - t0;
        step_ms[0] += t1 - t0, step_ms[1] += t2 - t1, step_ms[2] += t3 - t2, step_ms[3] += t4 - t3;
        if (counting) {
            unsigned long frame_allocations = malloc_count_calls() - before;
            allocations += frame_allocations;
            worst = frame_allocations > worst ? frame_allocations : worst;
        }
        digest += means[n_cells * CHANNELS + CHANNELS - 1] + (double)(rgba[n / 2] & 0xFF);
    }

    qsort(times, (size_t)frames, sizeof *times, by_value);
    printf("acquire: %d frames of %zux%zu, %d uint16 channels, %zu cells per frame (last)\n", frames, w, h, CHANNELS,
           n_cells);
    printf("per frame: min %.2f ms, median %.2f ms, max %.2f ms\n", times[0], times[frames / 2], times[frames - 1]);
    printf("mean per step: fill + label %.2f ms, 4 channel means %.2f ms, colours %.2f ms, paint %.2f ms (%s clock)\n",
           step_ms[0] / frames, step_ms[1] / frames, step_ms[2] / frames, step_ms[3] / frames,
           clock_id == CLOCK_MONOTONIC ? "wall" : "cpu");
    printf("digest: %.6f\n", digest);
    if (counting) {
        printf("allocations in the loop: %lu (at most %lu per frame)\n", allocations, worst);
        if (allocations != 0) {
            fprintf(stderr, "acquire: the loop allocated %lu times: it must allocate nothing\n", allocations);
            return 1;
        }
    } else {
        printf("allocations: not counted (run with LD_PRELOAD=malloc_count.so)\n");
    }
    for (int r = 0; r < RING; r++) {
        free(masks[r]);
        for (int c = 0; c < CHANNELS; c++) free(channels[r][c]);
    }
    free(scratch), free(labels), free(counts), free(means), free(means0), free(colors), free(rgba), free(times);
    return 0;
}
