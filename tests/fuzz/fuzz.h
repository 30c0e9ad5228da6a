/* SPDX-License-Identifier: MIT */
/* fuzz.h — shared by the fuzz targets (fuzz-*.c): the libFuzzer entry
 * point and the small fixed model the targets parse against.
 *
 * Each target is built twice: with clang and -fsanitize=fuzzer (meson
 * -Dfuzz=true, see contrib/fuzz.sh), and with any compiler against
 * replay.c, a main that runs the entry point over files given on the
 * command line; the normal build uses the latter to replay the committed
 * corpus and regressions as meson tests.
 */
#ifndef IMLFS_FUZZ_H
#define IMLFS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "imlfs/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fixed model matches `imlfs-mksample --tiny --classes 3 --per-class 2
 * --annotated-per-class 1 --seed 1`, whose files seed the fuzzers:
 * FZ_NMEMBERS members ILSVRC2012_val_0000000N.JPEG and, when with_classes,
 * its FZ_NCLASSES classes.  Lookups are ready (imlfs_model_finish). */
#define FZ_NMEMBERS 6
#define FZ_NCLASSES 3
void fz_model(struct imlfs_model *m, int with_classes);
/* fz_model with classes, plus what scoring tells apart: labels 0,1,2,0,1,2;
 * members 3..5 annotated with a few multi-labels, member 2 problematic,
 * 4 and 5 in ImageNet-M. */
void fz_scoring_model(struct imlfs_model *m);
/* Parse text[0..len) for every predictions file of m (an array under a
 * bound that varies with len), score it and write its JSON and (a split's
 * file) its report pages; abort unless each JSON text is NUL-terminated,
 * of the length reported and valid JSON that says, key by key, what the
 * scores struct holds, and every page renders. */
void fz_check_scores(const struct imlfs_model *m, const char *text, size_t len);

/* The bytes as an anonymous in-memory file (memfd): returns its
 * descriptor and a path that opens it ("/proc/self/fd/N") in path[32].
 * Aborts when the kernel refuses (not a finding: the harness is broken). */
int fz_file(const uint8_t *data, size_t size, char path[32]);

#endif
