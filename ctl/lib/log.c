// SPDX-License-Identifier: GPL-2.0
/*
 * The daemons' log: one line per event on stderr (journald keeps it), as
 * logfmt text or, with --log-format json, one JSON object per line for
 * Loki-style pipelines. Warnings and errors repeating under one event name
 * about one subject (the first field's value: the output, the file, the
 * address) are rate-limited: at most one line per FG_LOG_INTERVAL seconds,
 * the next line says how many were suppressed meanwhile. Another subject's
 * line is its own: one collector's outage never hides another's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fg.h"

#define FG_LOG_INTERVAL 10
#define FG_LOG_EVENTS	64
/* "event<TAB>subject"; a longer one is cut, which only merges limits */
#define FG_LOG_KEY 288

static bool json;

static struct {
	char key[FG_LOG_KEY];
	time_t last;
	unsigned long suppressed;
} seen[FG_LOG_EVENTS];

static const char *const level_names[] = {"error", "warning", "info", "debug"};

int fg_log_set_format(const char *name)
{
	if (!strcmp(name, "json"))
		json = true;
	else if (!strcmp(name, "text"))
		json = false;
	else
		return -EINVAL;
	return 0;
}

/* The subject of an event: the value of its first field ("output=URL\t..."
 * gives URL), "" without fields. */
static void subject_of(const char *fields, char *key, size_t len,
		       const char *event)
{
	const char *eq = strchr(fields, '='), *end = strchrnul(fields, '\t');

	if (!eq || eq > end)
		eq = end;
	else
		eq++;
	snprintf(key, len, "%s\t%.*s", event, (int)(end - eq), eq);
}

/* Rate limit of a repeated warning or error about one subject: false when
 * this one is to be suppressed; else *suppressed is how many were since
 * the last line. */
static bool may_log(const char *key, time_t now, unsigned long *suppressed)
{
	int i, free_slot = -1, oldest = 0;

	*suppressed = 0;
	for (i = 0; i < FG_LOG_EVENTS; i++) {
		if (!seen[i].key[0]) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (seen[i].last < seen[oldest].last)
			oldest = i;
		if (strcmp(seen[i].key, key))
			continue;
		if (now - seen[i].last < FG_LOG_INTERVAL) {
			seen[i].suppressed++;
			return false;
		}
		*suppressed = seen[i].suppressed;
		seen[i].suppressed = 0;
		seen[i].last = now;
		return true;
	}
	i = free_slot >= 0 ? free_slot : oldest;
	snprintf(seen[i].key, sizeof(seen[i].key), "%s", key);
	seen[i].last = now;
	seen[i].suppressed = 0;
	return true;
}

static bool is_number(const char *s, size_t n)
{
	size_t i;

	if (!n || n > 19 || (n > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* One value, quoted as the format wants (JSON string, or logfmt's quotes
 * when it has spaces, quotes or '='). */
static void put_value(FILE *f, const char *v, size_t n)
{
	bool quote = json;
	size_t i;

	if (json && is_number(v, n)) {
		fwrite(v, 1, n, f);
		return;
	}
	for (i = 0; !quote && i < n; i++)
		quote = v[i] == ' ' || v[i] == '"' || v[i] == '=';
	if (!n)
		quote = true;
	if (quote)
		fputc('"', f);
	for (i = 0; i < n; i++) {
		unsigned char c = v[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	if (quote)
		fputc('"', f);
}

static void put_field(FILE *f, const char *k, size_t kn, const char *v,
		      size_t vn)
{
	if (json) {
		fputs(",\"", f);
		fwrite(k, 1, kn, f);
		fputs("\":", f);
	} else {
		fputc(' ', f);
		fwrite(k, 1, kn, f);
		fputc('=', f);
	}
	put_value(f, v, vn);
}

/* One event: text is the line the text format prints as it is (the
 * daemons' established lines), NULL for logfmt; fmt and ap make the
 * fields (fmt NULL: none). */
static void emit(unsigned int level, const char *event, const char *text,
		 const char *fmt, va_list ap)
{
	unsigned long suppressed = 0;
	char ts[64], *p, *end, *eq, n[24], fields[1024] = "", key[FG_LOG_KEY];
	struct timespec now;
	struct tm tm;
	FILE *f = stderr;

	clock_gettime(CLOCK_REALTIME, &now);
	if (fmt)
		vsnprintf(fields, sizeof(fields), fmt, ap);
	if (level & FG_LOG_NOLIMIT) {
		level &= ~FG_LOG_NOLIMIT;
	} else if (level <= FG_LOG_WARN) {
		subject_of(fields, key, sizeof(key), event);
		if (!may_log(key, now.tv_sec, &suppressed))
			return;
	}
	flockfile(f);
	if (text && !json) {
		fputs(text, f);
		if (suppressed)
			fprintf(f, " (%lu more suppressed)", suppressed);
		fputc('\n', f);
		goto out;
	}
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
	if (json)
		fprintf(f, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":\"%s\"",
			ts, level_names[level], event);
	else
		fprintf(f, "ts=%s level=%s event=%s", ts, level_names[level],
			event);
	if (text)
		put_field(f, "msg", 3, text, strlen(text));
	/* Fields are "key=value" separated by tabs; a value may hold
	 * anything but a tab. */
	for (p = fields; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, '\t');
		eq = memchr(p, '=', end - p);
		if (!eq)
			put_field(f, "msg", 3, p, end - p);
		else
			put_field(f, p, eq - p, eq + 1, end - eq - 1);
	}
	if (suppressed) {
		snprintf(n, sizeof(n), "%lu", suppressed);
		put_field(f, "suppressed", 10, n, strlen(n));
	}
	fputs(json ? "}\n" : "\n", f);
out:
	funlockfile(f);
	fflush(f);
}

void fg_log(unsigned int level, const char *event, const char *fields, ...)
{
	va_list ap;

	va_start(ap, fields);
	emit(level, event, NULL, fields, ap);
	va_end(ap);
}

void fg_logt(unsigned int level, const char *event, const char *text,
	     const char *fields, ...)
{
	va_list ap;

	va_start(ap, fields);
	emit(level, event, text, fields, ap);
	va_end(ap);
}
