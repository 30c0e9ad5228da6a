/* SPDX-License-Identifier: MIT */
/* jsonscan.c — a non-allocating RFC 8259 validator that reports the extent
 * of each member of the top-level object (see jsonscan.h).
 *
 * One iterative loop with a fixed-size stack of open containers, so hostile
 * nesting cannot overflow the C stack.  Strings, which are nearly all of the
 * 200 MB annotation file, are skipped eight bytes at a time; only bytes that
 * might end the fast path (quote, backslash, control, non-ASCII) are looked
 * at one by one.
 */
#include <stdint.h>
#include <string.h>

#include "imlfs/jsonscan.h"

#define MAX_DEPTH 1000

typedef const unsigned char *ptr;

struct scan {
	ptr base, end;
	ptr err_at;
	const char *err_what;
};

static ptr fail(struct scan *s, ptr at, const char *what)
{
	s->err_at = at;
	s->err_what = what;
	return NULL;
}

static inline ptr skip_ws(ptr p, ptr end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* Does the 8-byte word hold a byte that needs a closer look: '"', '\\',
 * a control character (< 0x20) or a non-ASCII byte (>= 0x80)? */
static inline int word_special(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');

	/* (x - 1) & ~x & high is non-zero iff some byte of x is zero; for the
	 * control test, w - 0x20 borrows into bit 7 iff a byte is < 0x20 (bytes
	 * >= 0x80 are caught by w & high anyway). */
	return (((q - ones) & ~q) | ((b - ones) & ~b) | (w - ones * 0x20) | w) & high ? 1 : 0;
}

static int hexval(unsigned c)
{
	if (c - '0' < 10)
		return 1;
	c |= 0x20;
	return c - 'a' < 6;
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0. */
static size_t utf8_len(ptr p, ptr end)
{
	unsigned c = p[0];
	size_t n;
	unsigned lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;          /* overlong */
		else if (c == 0xed)
			hi = 0x9f;          /* UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;          /* overlong */
		else if (c == 0xf4)
			hi = 0x8f;          /* above U+10FFFF */
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* p is at the opening quote; returns the position after the closing one. */
static ptr scan_string(struct scan *s, ptr p)
{
	ptr start = p++, end = s->end;

	for (;;) {
		uint64_t w;

		while (end - p >= 8) {
			memcpy(&w, p, 8);
			if (word_special(w))
				break;
			p += 8;
		}
		if (p >= end)
			return fail(s, start, "unterminated string");
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			if (end - p < 2)
				return fail(s, start, "unterminated string");
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b':
			case 'f': case 'n': case 'r': case 't':
				p += 2;
				break;
			case 'u':
				if (end - p < 6 || !hexval(p[2]) || !hexval(p[3]) ||
				    !hexval(p[4]) || !hexval(p[5]))
					return fail(s, p, "invalid \\u escape (needs 4 hex digits)");
				p += 6;
				break;
			default:
				return fail(s, p, "invalid escape in string");
			}
		} else if (*p < 0x20) {
			return fail(s, p, "control character in string (must be escaped)");
		} else if (*p >= 0x80) {
			size_t n = utf8_len(p, end);

			if (!n)
				return fail(s, p, "invalid UTF-8 in string");
			p += n;
		} else {
			p++;
		}
	}
}

static inline ptr digits(ptr p, ptr end)
{
	while (p < end && (unsigned)(*p - '0') < 10)
		p++;
	return p;
}

static ptr scan_number(struct scan *s, ptr p)
{
	ptr end = s->end, q;

	if (*p == '-')
		p++;
	if (p >= end || (unsigned)(*p - '0') >= 10)
		return fail(s, p, "invalid number (expected a digit)");
	if (*p == '0') {
		p++;
		if (p < end && (unsigned)(*p - '0') < 10)
			return fail(s, p, "invalid number (leading zero)");
	} else {
		p = digits(p, end);
	}
	if (p < end && *p == '.') {
		q = digits(p + 1, end);
		if (q == p + 1)
			return fail(s, q, "invalid number (expected a digit after '.')");
		p = q;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		q = digits(p, end);
		if (q == p)
			return fail(s, q, "invalid number (expected a digit in the exponent)");
		p = q;
	}
	return p;
}

static ptr scan_literal(struct scan *s, ptr p)
{
	static const char *const lits[] = {"true", "false", "null"};

	for (int i = 0; i < 3; i++) {
		size_t n = strlen(lits[i]);

		if (*p == (unsigned char)lits[i][0]) {
			if ((size_t)(s->end - p) >= n && memcmp(p, lits[i], n) == 0)
				return p + n;
			break;
		}
	}
	return fail(s, p, "invalid literal (expected true, false or null)");
}

struct member_state {
	struct imlfs_json_member mem;
	int (*visit)(void *ctx, const struct imlfs_json_member *mem);
	void *ctx;
};

/* The loop proper.  Returns 0 or the visitor's non-zero result, or -1 with
 * s->err_* set.  Container kinds on the stack: 1 object, 0 array. */
static int scan(struct scan *s, ptr p, struct member_state *ms)
{
	unsigned char stack[MAX_DEPTH];
	size_t depth = 1;
	ptr end = s->end;

	stack[0] = 1;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}') {
		p++;
		goto done;
	}
	goto key;

value:
	p = skip_ws(p, end);
	if (depth == 1)
		ms->mem.value_off = (size_t)(p - s->base);
	if (p >= end)
		return fail(s, p, "unexpected end of text (expected a value)"), -1;
	switch (*p) {
	case '{':
	case '[':
		if (depth >= MAX_DEPTH)
			return fail(s, p, "nesting too deep"), -1;
		stack[depth++] = *p == '{';
		p = skip_ws(p + 1, end);
		if (p < end && *p == (stack[depth - 1] ? '}' : ']')) {
			p++;
			depth--;
			goto after;
		}
		if (stack[depth - 1])
			goto key;
		goto value;
	case '"':
		p = scan_string(s, p);
		break;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		p = scan_number(s, p);
		break;
	case 't': case 'f': case 'n':
		p = scan_literal(s, p);
		break;
	default:
		return fail(s, p, "unexpected character (expected a value)"), -1;
	}
	if (!p)
		return -1;

after:
	if (depth == 1) {
		int rc;

		ms->mem.value_len = (size_t)(p - s->base) - ms->mem.value_off;
		if (ms->visit && (rc = ms->visit(ms->ctx, &ms->mem)) != 0)
			return rc;
	}
	p = skip_ws(p, end);
	if (p >= end)
		return fail(s, p, stack[depth - 1] ? "unexpected end of text (expected ',' or '}')"
				  : "unexpected end of text (expected ',' or ']')"), -1;
	if (*p == ',') {
		p++;
		if (stack[depth - 1])
			goto key;
		goto value;
	}
	if (*p != (stack[depth - 1] ? '}' : ']'))
		return fail(s, p, stack[depth - 1] ? "expected ',' or '}'" : "expected ',' or ']'"), -1;
	p++;
	if (--depth > 0)
		goto after;
	goto done;

key:
	p = skip_ws(p, end);
	if (p >= end)
		return fail(s, p, "unexpected end of text (expected a string key)"), -1;
	if (*p != '"')
		return fail(s, p, "expected a string key in double quotes"), -1;
	{
		ptr k = p;

		p = scan_string(s, p);
		if (!p)
			return -1;
		if (depth == 1) {
			ms->mem.key = (const char *)k + 1;
			ms->mem.key_len = (size_t)(p - k) - 2;
		}
	}
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		return fail(s, p, "expected ':' after the key"), -1;
	p++;
	goto value;

done:
	p = skip_ws(p, end);
	if (p < end)
		return fail(s, p, "unexpected text after the top-level object"), -1;
	return 0;
}

int imlfs_json_scan(const char *text, size_t len,
		    int (*visit)(void *ctx, const struct imlfs_json_member *mem),
		    void *ctx, size_t *err_off, const char **err_what)
{
	struct scan s = {(ptr)text, (ptr)text + len, NULL, NULL};
	struct member_state ms = {.visit = visit, .ctx = ctx};
	ptr p = s.base;
	int rc;

	/* RFC 8259 lets a parser ignore a byte order mark; editors add them. */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	p = skip_ws(p, s.end);
	if (p >= s.end) {
		fail(&s, p, "empty text (expected an object)");
		rc = -1;
	} else if (*p != '{') {
		fail(&s, p, "top level is not an object");
		rc = -1;
	} else {
		rc = scan(&s, p, &ms);
	}
	if (rc == -1 && s.err_what) {
		if (err_off)
			*err_off = (size_t)(s.err_at - s.base);
		if (err_what)
			*err_what = s.err_what;
	}
	return rc;
}
