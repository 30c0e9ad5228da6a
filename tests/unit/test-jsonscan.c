/* SPDX-License-Identifier: MIT */
/* test-jsonscan.c — the validating scanner: accepted and rejected texts with
 * the exact error offset, member extents, early stop, depth limit, and a
 * seeded mutation fuzz that checks validity against jansson. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/jsonscan.h"
#include "testutil.h"

struct seen {
	int n;
	char keys[8][32];
	char vals[8][64];
	const char *text;
};

static int record(void *ctx, const struct imlfs_json_member *mem)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		snprintf(s->keys[s->n], sizeof s->keys[0], "%.*s", (int)mem->key_len, mem->key);
		snprintf(s->vals[s->n], sizeof s->vals[0], "%.*s", (int)mem->value_len,
			 s->text + mem->value_off);
	}
	s->n++;
	return 0;
}

static int stop_at_second(void *ctx, const struct imlfs_json_member *mem)
{
	int *n = ctx;

	return ++*n == 2 ? 42 : 0;
}

static int scan_str(const char *t, size_t *off, const char **what)
{
	*off = (size_t)-1;
	*what = NULL;
	return imlfs_json_scan(t, strlen(t), NULL, NULL, off, what);
}

static void valid(const char *t, int line)
{
	size_t off;
	const char *what;

	if (scan_str(t, &off, &what) != 0) {
		fprintf(stderr, "line %d: rejected valid %s: %s at %zu\n", line, t, what, off);
		tu_failures++;
	}
}

#define VALID(t) valid(t, __LINE__)
/* Rejected at byte `off`, with a message containing `w`. */
#define INVALID(t, off, w) tu_json_invalid(t, off, w, __LINE__)

static void test_valid(void)
{
	VALID("{}");
	VALID(" \t\r\n{ } \n");
	VALID("\xef\xbb\xbf{}");
	VALID("{\"a\":1}");
	VALID("{\"a\":[1,-2,3.5,-0.0e+10,1E-3,0,2e5],\"b\":{\"c\":null,\"d\":true,\"e\":false}}");
	VALID("{\"\":\"\"}");
	VALID("{\"s\":\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00 \\u0000\"}");
	VALID("{\"u\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}");
	VALID("{\"a\":[[[[]]]],\"b\":[{},{\"x\":[{}]}]}");
	VALID("{\"long\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}");
}

static void test_invalid(void)
{
	INVALID("", 0, "empty");
	INVALID("   ", 3, "empty");
	INVALID("[1,2]", 0, "top level is not an object");
	INVALID("\"x\"", 0, "top level is not an object");
	INVALID("{", 1, "end of text");
	INVALID("{\"a\"", 4, "expected ':'");
	INVALID("{\"a\" 1}", 5, "expected ':'");
	INVALID("{\"a\":}", 5, "expected a value");
	INVALID("{\"a\":1,}", 7, "string key");
	INVALID("{a:1}", 1, "string key");
	INVALID("{\"a\":1 \"b\":2}", 7, "expected ',' or '}'");
	INVALID("{\"a\":[1 2]}", 8, "expected ',' or ']'");
	INVALID("{\"a\":[1,]}", 8, "expected a value");
	INVALID("{\"a\":[1}", 7, "expected ',' or ']'");
	INVALID("{\"a\":{\"b\":1]}", 11, "expected ',' or '}'");
	INVALID("{\"a\":1}}", 7, "after the top-level object");
	INVALID("{\"a\":1} x", 8, "after the top-level object");
	INVALID("{\"a\":1}{}", 7, "after the top-level object");
	INVALID("{\"a\":\"abc", 5, "unterminated string");
	INVALID("{\"a\":\"abc\\", 5, "unterminated string");
	INVALID("{\"a\":\"a\tb\"}", 7, "control character");
	INVALID("{\"a\":\"a\nb\"}", 7, "control character");
	INVALID("{\"a\":\"0123456789abcdef\x01\"}", 22, "control character");
	INVALID("{\"a\":\"\\x\"}", 6, "invalid escape");
	INVALID("{\"a\":\"\\u12G4\"}", 6, "\\u escape");
	INVALID("{\"a\":\"\\u12\"}", 6, "\\u escape");
	INVALID("{\"a\":\"\xff\"}", 6, "UTF-8");
	INVALID("{\"a\":\"\xc0\xaf\"}", 6, "UTF-8");            /* overlong '/' */
	INVALID("{\"a\":\"\xe0\x80\xaf\"}", 6, "UTF-8");        /* overlong */
	INVALID("{\"a\":\"\xed\xa0\x80\"}", 6, "UTF-8");        /* surrogate */
	INVALID("{\"a\":\"\xf4\x90\x80\x80\"}", 6, "UTF-8");    /* > U+10FFFF */
	INVALID("{\"a\":\"\xc3\"}", 6, "UTF-8");                /* truncated */
	INVALID("{\"a\":01}", 6, "leading zero");
	INVALID("{\"a\":-}", 6, "expected a digit");
	INVALID("{\"a\":-a}", 6, "expected a digit");
	INVALID("{\"a\":1.}", 7, "after '.'");
	INVALID("{\"a\":.5}", 5, "expected a value");
	INVALID("{\"a\":1e}", 7, "exponent");
	INVALID("{\"a\":1e+}", 8, "exponent");
	INVALID("{\"a\":+1}", 5, "expected a value");
	INVALID("{\"a\":1x}", 6, "expected ',' or '}'");
	INVALID("{\"a\":tru}", 5, "literal");
	INVALID("{\"a\":nul", 5, "literal");
	INVALID("{\"a\":True}", 5, "expected a value");
	INVALID("{\"a\":nullx}", 9, "expected ',' or '}'");
	INVALID("{\"a\":[1,\"x\",{\"b\":[tru]}]}", 18, "literal");
	INVALID("{\"a\":1,\"b\":\x00}", 11, "expected a value");
}

static void test_depth(void)
{
	/* Top-level object + 999 arrays is the limit; one more is too deep. */
	size_t n = 2000;
	char *t = malloc(2 * n + 16);
	size_t off;
	const char *what;

	if (!t)
		abort();
	for (size_t depth = 999; depth <= 1000; depth++) {
		size_t k = 0;

		k += (size_t)sprintf(t, "{\"a\":");
		for (size_t i = 0; i < depth; i++)
			t[k++] = '[';
		for (size_t i = 0; i < depth; i++)
			t[k++] = ']';
		t[k++] = '}';
		t[k] = '\0';
		int rc = imlfs_json_scan(t, k, NULL, NULL, &off, &what);
		if (depth == 999) {
			CHECK_EQ(rc, 0);
		} else {
			CHECK_EQ(rc, -1);
			CHECK_STR(what, "nesting too deep");
			CHECK_EQ(off, 5 + 999);
		}
	}
	/* Far deeper than any C stack would take with recursion. */
	free(t);
	n = 1000000;
	t = malloc(n + 8);
	if (!t)
		abort();
	t[0] = '{';
	t[1] = '"';
	t[2] = '"';
	t[3] = ':';
	memset(t + 4, '[', n);
	CHECK_EQ(imlfs_json_scan(t, n + 4, NULL, NULL, &off, &what), -1);
	CHECK_STR(what, "nesting too deep");
	free(t);
}

static void test_members(void)
{
	const char *t = "\xef\xbb\xbf { \"a\" : [1, {\"x\": 2}] ,\n\"b\\\"q\":\"s\\\"}\",\"c\":-1.5e3,"
			"\"d\":{},\"e\":true , \"f\" :null}  ";
	struct seen s = {.text = t};
	size_t off;
	const char *what;
	int n = 0;

	CHECK_EQ(imlfs_json_scan(t, strlen(t), record, &s, &off, &what), 0);
	CHECK_EQ(s.n, 6);
	CHECK_STR(s.keys[0], "a");
	CHECK_STR(s.vals[0], "[1, {\"x\": 2}]");
	CHECK_STR(s.keys[1], "b\\\"q");
	CHECK_STR(s.vals[1], "\"s\\\"}\"");
	CHECK_STR(s.keys[2], "c");
	CHECK_STR(s.vals[2], "-1.5e3");
	CHECK_STR(s.vals[3], "{}");
	CHECK_STR(s.vals[4], "true");
	CHECK_STR(s.keys[5], "f");
	CHECK_STR(s.vals[5], "null");

	/* Stop early: the visitor's value comes back, later errors unseen. */
	CHECK_EQ(imlfs_json_scan("{\"a\":1,\"b\":2,\"c\":x", 18, stop_at_second, &n, &off, &what), 42);
	CHECK_EQ(n, 2);

	/* Members before a syntax error are visited; the error still wins. */
	memset(&s, 0, sizeof s);
	s.text = "{\"a\":1,\"b\":[}";
	CHECK_EQ(imlfs_json_scan(s.text, strlen(s.text), record, &s, &off, &what), -1);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(off, 12);
}

/* Fuzz: mutate a valid document and require the scanner to agree with
 * jansson on validity (jansson decodes \u0000 with ALLOW_NUL; the alphabet
 * avoids 'd', so no lone-surrogate escapes arise, which jansson rejects). */
static void test_fuzz(void)
{
	const char *base = "{\"initial_annots\": {\"ILSVRC2012_val_00000001.JPEG\": {\"correct\": "
			   "[\"n01751748\"], \"wrong\": [\"n01665541\", \"n01697457\"]}}, \"x\": "
			   "[1, -2.5e3, true, false, null, {\"k\": \"v\\u00e9\\n\"}], \"y\": 0}";
	const char alpha[] = "{}[],:\"\\ 0123456789eE.+-tfnulrsa\n\x01\xc3\xa9";
	size_t blen = strlen(base);
	char buf[512];
	uint32_t seed = 12345;
	int disagree = 0, nvalid = 0;

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = blen;
		int nmut = 1 + iter % 3;

		memcpy(buf, base, blen);
		for (int k = 0; k < nmut; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t pos = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			char c = alpha[(seed >> 8) % (sizeof alpha - 1)];
			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 8) % 3) {
			case 0: buf[pos] = c; break;
			case 1: memmove(buf + pos, buf + pos + 1, len - pos - 1); len--; break;
			default:
				if (len + 1 < sizeof buf) {
					memmove(buf + pos + 1, buf + pos, len - pos);
					buf[pos] = c;
					len++;
				}
			}
		}
		json_error_t e;
		json_t *j = json_loadb(buf, len, JSON_DECODE_ANY | JSON_ALLOW_NUL |
				       JSON_DECODE_INT_AS_REAL, &e);
		int jok = j && json_is_object(j);
		size_t off;
		const char *what;
		int sok = imlfs_json_scan(buf, len, NULL, NULL, &off, &what) == 0;

		/* jansson also rejects keys containing \u0000; ignore those. */
		if (!j && strstr(e.text, "NUL"))
			jok = sok;
		nvalid += sok;
		if (jok != sok && disagree++ < 5)
			fprintf(stderr, "fuzz %d: jansson %d scanner %d (%s) on %.*s\n", iter, jok, sok,
				sok ? "" : what, (int)len, buf);
		json_decref(j);
	}
	CHECK_EQ(disagree, 0);
	/* The fuzz must exercise both outcomes to mean anything. */
	CHECK(nvalid > 1000 && nvalid < 19000);
}

/* Pins jsonscan.c's digit test: a JSON digit is '0' to '9' and nothing
 * beside them: '/' and ':' are the ASCII neighbours that an off-by-one in a
 * digit test lets in. */
static void test_digit_bounds(void)
{
	INVALID("{\"a\":-:}", 6, "expected a digit");
	INVALID("{\"a\":-/}", 6, "expected a digit");
	INVALID("{\"a\":1:}", 6, "expected ',' or '}'");
	INVALID("{\"a\":0:}", 6, "expected ',' or '}'");
	INVALID("{\"a\":0/}", 6, "expected ',' or '}'");
	INVALID("{\"a\":1.:}", 7, "after '.'");
	INVALID("{\"a\":1e:}", 7, "exponent");
	INVALID("{\"a\":1e/}", 7, "exponent");
	INVALID("{\"a\"::}", 5, "expected a value");
}

int main(void)
{
	test_valid();
	test_invalid();
	test_depth();
	test_members();
	test_fuzz();
	test_digit_bounds();
	return tu_done();
}
