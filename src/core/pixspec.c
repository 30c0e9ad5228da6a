/* SPDX-License-Identifier: MIT */
/* pixspec.c — parses and formats resize{S}-crop{C}-{bilinear|bicubic}
 * (see pixspec.h).  The parser walks the name once and names the first
 * thing that is wrong, so a user who typed a near miss learns what to
 * change. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "imlfs/pixspec.h"

#define FORM "resize{S}-crop{C}-{bilinear|bicubic}, e.g. resize256-crop224-bilinear"

static int refuse(char *why, size_t whysz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	if (why && whysz) {
		va_start(ap, fmt);
		vsnprintf(why, whysz, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Does [*p, e) start with the literal lit?  Then step past it. */
static int literal(const char **p, const char *e, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(e - *p) < n || memcmp(*p, lit, n))
		return 0;
	*p += n;
	return 1;
}

/* A canonical decimal number within 1..IMLFS_PIXSPEC_MAX at *p, named
 * `what` in messages. */
static int number(const char **p, const char *e, const char *what, unsigned *v,
		  char *why, size_t whysz)
{
	const char *s = *p;
	unsigned n = 0;

	while (*p < e && **p >= '0' && **p <= '9') {
		/* stop early: more digits than the bound has cannot be in range */
		if (*p - s >= 5)
			return refuse(why, whysz, "%s has too many digits: it must be from 1 to %u",
				      what, IMLFS_PIXSPEC_MAX);
		n = n * 10 + (unsigned)(**p - '0');
		(*p)++;
	}
	if (*p == s)
		return refuse(why, whysz, "%s is missing: a decimal number from 1 to %u; use the "
			      "form " FORM, what, IMLFS_PIXSPEC_MAX);
	if (*s == '0' && *p - s > 1)
		return refuse(why, whysz, "%s has a leading zero: write it without (the name of a "
			      "spec is unique); e.g. 224, not 0224", what);
	if (n < 1 || n > IMLFS_PIXSPEC_MAX)
		return refuse(why, whysz, "%s is out of range: it must be from 1 to %u", what,
			      IMLFS_PIXSPEC_MAX);
	*v = n;
	return 0;
}

int imlfs_pixspec_parse(const char *name, size_t len, struct imlfs_pixspec *spec,
			char *why, size_t whysz)
{
	const char *p = name, *e = name + len;
	unsigned s, c;
	enum imlfs_filter f;

	if (!name)
		return refuse(why, whysz, "no name given: use the form " FORM);
	if (!literal(&p, e, "resize"))
		return refuse(why, whysz, "does not start with \"resize\": use the form " FORM);
	if (number(&p, e, "S (after \"resize\")", &s, why, whysz) < 0)
		return -1;
	if (!literal(&p, e, "-crop"))
		return refuse(why, whysz, "\"-crop\" must follow S: use the form " FORM);
	if (number(&p, e, "C (after \"-crop\")", &c, why, whysz) < 0)
		return -1;
	if (!literal(&p, e, "-"))
		return refuse(why, whysz, "\"-\" and the filter must follow C: use the form " FORM);
	if ((size_t)(e - p) == 8 && !memcmp(p, "bilinear", 8))
		f = IMLFS_FILTER_BILINEAR;
	else if ((size_t)(e - p) == 7 && !memcmp(p, "bicubic", 7))
		f = IMLFS_FILTER_BICUBIC;
	else
		return refuse(why, whysz, "unknown filter after C: it must be \"bilinear\" or "
			      "\"bicubic\", in lower case, ending the name");
	if (c > s)
		return refuse(why, whysz, "crop C (%u) is larger than resize S (%u): the crop must "
			      "fit inside the resized image, so C <= S", c, s);
	spec->resize = s;
	spec->crop = c;
	spec->filter = f;
	return 0;
}

int imlfs_pixspec_format(const struct imlfs_pixspec *spec, char *buf, size_t size)
{
	const char *f;
	int n;

	if (!spec || spec->crop < 1 || spec->crop > spec->resize ||
	    spec->resize > IMLFS_PIXSPEC_MAX)
		return -1;
	if (spec->filter == IMLFS_FILTER_BILINEAR)
		f = "bilinear";
	else if (spec->filter == IMLFS_FILTER_BICUBIC)
		f = "bicubic";
	else
		return -1;
	n = snprintf(buf, size, "resize%u-crop%u-%s", spec->resize, spec->crop, f);
	return n < 0 || (size_t)n >= size ? -1 : n;
}
