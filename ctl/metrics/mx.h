/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus endpoint's library: a snapshot of every counter, read
 * through the same readers as `flowgate stats` (ctl/lib/counters.c,
 * fg_exp_stats_read, fg_rtt_stats_read, fg_rule_read_current), its text
 * exposition, the health verdict, and the HTTP server (libmicrohttpd).
 */
#ifndef FG_MX_H
#define FG_MX_H

#include <stdio.h>
#include "fg.h"
#include "fg_rules.h"
#include "export.h"

/* Rules with series of their own, at most: a scrape stays small whatever
 * the rule set (the rest are counted in flowgate_rule_series_omitted). */
#define FG_MX_MAX_RULES 100

struct fg_mx_rule {
	__u32 id;
	struct fg_rule_hit hit;
};

struct fg_mx {
	int state_err; /* fg_ifstats: 0, or why there are no counters */
	struct fg_iface_stats *ifaces;
	int niface;
	size_t cap;
	int attached;	   /* interfaces with a live program */
	char detached[16]; /* one whose program is gone, "" if none */

	int table_err;
	__u64 flows;	    /* live slots (a flow on two CPUs: two) */
	__u32 capacity;	    /* max-flows: what the table was made for */
	__u64 slots;	    /* all regions' */
	double region_fill; /* the fullest CPU region's live / its slots */
	double region_mark; /* the fill above which its drops skip it */
	double table_age;   /* seconds since flows was counted */

	int exp_err; /* -ENOENT: no exporter ever ran */
	struct fg_exp_stats exp;
	bool exp_running;

	int rtt_err; /* -ENOENT: rtt not enabled */
	struct fg_rtt_stats rtt;
	__u64 rtt_live;

	int rules_err;
	struct fg_mx_rule *rules;
	int nrules; /* with a series (<= FG_MX_MAX_RULES) */
	__u64 rules_total;

	double read_seconds; /* what reading all this took */
};

/* The flow table is counted again once its last count is older than this
 * many times the CPU time that count took (a million flows: ~60 s). */
#define FG_MX_TABLE_RECOUNT 100
bool fg_mx_table_due(__u64 now_ns, __u64 at_ns, __u64 took_ns);

/* Read every counter. Parts that are missing carry their error; only an
 * allocation failure fails the whole. */
int fg_mx_read(struct fg_mx *m);
void fg_mx_free(struct fg_mx *m);

struct fg_mx_build {
	const char *version;
	const char *kernel;
};
/* The text exposition format 0.0.4. */
void fg_mx_prom(FILE *f, const struct fg_mx *m, const struct fg_mx_build *b);
/* 0 when healthy: state present, every attached interface's program
 * alive, the exporter (if one ever ran) running and delivering; else
 * -errno with a one-line reason in why. */
int fg_mx_health(const struct fg_mx *m, char *why, size_t len);

/* The HTTP server: GET /metrics and /healthz on addr ("HOST:PORT",
 * "[V6]:PORT"), served from its own thread until fg_mx_http_stop. */
struct fg_mx_http;
int fg_mx_http_parse_addr(const char *addr, void *sockaddr, __u32 *len);
int fg_mx_http_start(struct fg_mx_http **h, const char *addr,
		     const struct fg_mx_build *b);
void fg_mx_http_stop(struct fg_mx_http *h);

#endif /* FG_MX_H */
