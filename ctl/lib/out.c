// SPDX-License-Identifier: GPL-2.0
/*
 * One print path for text and JSON (the bpftool way): commands describe
 * their output once with out_*() calls. In JSON mode that is a JSON
 * document; in text mode it is indented "key value" lines, objects as
 * blocks, arrays of objects as a list of blocks.
 */
#include <stdio.h>
#include <string.h>
#include <inttypes.h>
#include <time.h>
#include "fg.h"

#define OUT_DEPTH 16

static struct level {
	bool array;
	bool keyed; /* opened under a key: indents its members in text */
	int count;
} stack[OUT_DEPTH];
static int depth; /* stack[depth] is the current container */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_indent(void)
{
	int i;

	if (!fg_opts.pretty)
		return;
	putchar('\n');
	for (i = 0; i < depth; i++)
		fputs("  ", stdout);
}

/* Comma, indentation and key for the next JSON member. */
static void json_member(const char *key)
{
	if (stack[depth].count++)
		putchar(',');
	if (depth)
		json_indent(); /* the document itself starts the first line */
	if (key && !stack[depth].array) {
		json_str(key);
		fputs(fg_opts.pretty ? ": " : ":", stdout);
	}
}

/* Two spaces per keyed container around us: the blocks of a list sit at
 * the list's own indentation. */
static void text_indent(void)
{
	int i;

	for (i = 1; i <= depth; i++)
		if (stack[i].keyed)
			fputs("  ", stdout);
}

static void push(bool array, const char *key)
{
	if (depth + 1 < OUT_DEPTH)
		depth++;
	stack[depth].array = array;
	stack[depth].keyed = key != NULL;
	stack[depth].count = 0;
}

void out_begin(void)
{
	depth = 0;
	stack[0].array = true; /* the document: one value, no key */
	stack[0].count = 0;
	if (fg_opts.json)
		out_obj_open(NULL);
}

void out_end(void)
{
	if (fg_opts.json) {
		out_obj_close();
		putchar('\n');
	}
	fflush(stdout);
}

/*
 * One compact JSON object on its own line (JSON Lines), whatever -p says,
 * for streams of records such as replay's per-packet verdicts. No flush:
 * a long stream is left to stdio's buffering. JSON mode only.
 */
static bool line_pretty;

void out_line_begin(void)
{
	line_pretty = fg_opts.pretty;
	fg_opts.pretty = false;
	out_begin();
}

void out_line_end(void)
{
	out_obj_close();
	putchar('\n');
	fg_opts.pretty = line_pretty;
}

void out_obj_open(const char *key)
{
	if (fg_opts.json) {
		json_member(key);
		putchar('{');
	} else if (key) {
		text_indent();
		printf("%s:\n", key);
	} else if (stack[depth].array && stack[depth].count++) {
		putchar('\n'); /* blank line between blocks of a list */
	}
	push(false, key);
}

static void pop(void)
{
	bool array = stack[depth].array, empty = !stack[depth].count;

	if (depth > 0)
		depth--;
	if (fg_opts.json) {
		if (!empty)
			json_indent();
		putchar(array ? ']' : '}');
	}
}

void out_obj_close(void)
{
	pop();
}

void out_arr_open(const char *key)
{
	if (fg_opts.json) {
		json_member(key);
		putchar('[');
	} else if (key) {
		text_indent();
		printf("%s:\n", key);
	}
	push(true, key);
}

void out_arr_close(void)
{
	pop();
}

static void text_key(const char *key)
{
	text_indent();
	if (key)
		printf("%-16s ", key);
	else if (stack[depth].array)
		fputs("- ", stdout);
}

void out_str(const char *key, const char *val)
{
	if (fg_opts.json) {
		json_member(key);
		json_str(val ? val : "");
	} else {
		text_key(key);
		printf("%s\n", val ? val : "-");
	}
}

void out_u64(const char *key, uint64_t val)
{
	if (fg_opts.json) {
		json_member(key);
		printf("%" PRIu64, val);
	} else {
		text_key(key);
		printf("%" PRIu64 "\n", val);
	}
}

void out_bool(const char *key, bool val)
{
	if (fg_opts.json) {
		json_member(key);
		fputs(val ? "true" : "false", stdout);
	} else {
		text_key(key);
		printf("%s\n", val ? "yes" : "no");
	}
}

/* A wall-clock time in ms since the epoch: a number in JSON, UTC ISO 8601
 * in text, where its key loses "_ms" ("first_ms" reads "first"). 0 is no
 * time: "-" in text. */
void out_time_ms(const char *key, uint64_t ms)
{
	char k[64], t[40];
	time_t sec = ms / 1000;
	struct tm tm;
	size_t n = key ? strlen(key) : 0;

	if (fg_opts.json) {
		out_u64(key, ms);
		return;
	}
	if (n > 3 && n < sizeof(k) && !strcmp(key + n - 3, "_ms")) {
		memcpy(k, key, n - 3);
		k[n - 3] = '\0';
		key = k;
	}
	if (!ms || !gmtime_r(&sec, &tm)) {
		out_str(key, "-");
		return;
	}
	n = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t + n, sizeof(t) - n, ".%03uZ", (unsigned int)(ms % 1000));
	out_str(key, t);
}

void out_null(const char *key)
{
	if (fg_opts.json) {
		json_member(key);
		fputs("null", stdout);
	} else {
		text_key(key);
		puts("-");
	}
}

/*
 * A log2 histogram (slot i counts values in [2^i, 2^(i+1)), slot 0 also
 * 0), from slot 0 to the last non-empty one. JSON: an array of
 * {"from", "to", "count"}; text: the bars of bcc's tcprtt.
 */
void out_hist(const char *key, const char *unit, const __u64 *slots, int n)
{
	uint64_t max = 0, lo, hi;
	int i, last = -1, bar;

	for (i = 0; i < n; i++) {
		if (slots[i])
			last = i;
		if (slots[i] > max)
			max = slots[i];
	}
	out_arr_open(key);
	if (!fg_opts.json && last >= 0) {
		text_indent();
		printf("%5s%-19s : count    distribution\n", "", unit);
	}
	for (i = 0; i <= last; i++) {
		lo = i ? 1ull << i : 0;
		hi = (2ull << i) - 1;
		if (fg_opts.json) {
			out_obj_open(NULL);
			out_u64("from", lo);
			out_u64("to", hi);
			out_u64("count", slots[i]);
			out_obj_close();
			continue;
		}
		bar = max ? (int)(slots[i] * 40 / max) : 0;
		text_indent();
		printf("%10" PRIu64 " -> %-10" PRIu64 " : %-8" PRIu64
		       " |%.*s%*s|\n",
		       lo, hi, (uint64_t)slots[i], bar,
		       "****************************************", 40 - bar,
		       "");
	}
	out_arr_close();
}
