/* SPDX-License-Identifier: MIT */
/* testutil.h — tiny helpers for the unit tests: checks that keep going and
 * report file:line, temporary directories and files. */
#ifndef IMLFS_TESTUTIL_H
#define IMLFS_TESTUTIL_H

#undef NDEBUG
#include <stdio.h>
#include <string.h>

extern int tu_failures;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	tu_failures++; } } while (0)
#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
	__FILE__, __LINE__, #a, _a, #b, _b); tu_failures++; } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
	if (!_a || !_b || strcmp(_a, _b)) { fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", \
	__FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); tu_failures++; } } while (0)

/* A fresh directory under $TMPDIR (removed by tu_done unless a check failed). */
const char *tu_tmpdir(void);
/* Path of `name` inside tu_tmpdir() (static buffer, rotating among 8). */
const char *tu_path(const char *name);
/* Write text to tu_path(name) and return that path. */
const char *tu_write(const char *name, const char *text);
struct imlfs_model;
/* Fill m with members of these names (given in sorted order): no classes,
 * no labels, lookups ready (imlfs_model_finish). */
void tu_model(struct imlfs_model *m, const char *const *names, unsigned n);
/* The catalogue tests' model: six images, three classes, labels, four
 * annotated (one problematic), one ImageNet-M, one problematic unannotated. */
void tu_tree_model(struct imlfs_model *m);
/* Add a label set to m from text as a mount would (imlfs_model_add_set):
 * ReaL's with IMLFS_LS_REAL, else named name in the next slot.  A failure
 * is a test failure. */
void tu_add_set(struct imlfs_model *m, const char *name, unsigned flags, const char *text);
/* Drop every label set of m (and IMLFS_HAVE_REAL). */
void tu_drop_sets(struct imlfs_model *m);

/* A ustar header in h[512] for a regular file `name` of `size` bytes;
 * base256 writes the size the GNU way (binary, high bit set). */
void tu_ustar(unsigned char *h, const char *name, unsigned size, int base256);

/* Check that imlfs_json_scan rejects t at byte want_off with a message
 * containing `want` (line: the caller's, for the report). */
void tu_json_invalid(const char *t, size_t want_off, const char *want, int line);

/* Print a summary, clean up, and return the exit status for main. */
int tu_done(void);

#endif
