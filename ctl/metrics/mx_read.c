// SPDX-License-Identifier: GPL-2.0
/*
 * One snapshot of every counter for a scrape. Each part is read by the
 * reader `flowgate stats` (or `rule list`, `rtt show`) uses, so that the
 * endpoint and the CLI agree to the packet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "mx.h"
#include "rules.h"

static int add_iface(const struct fg_iface_stats *s, void *ctx)
{
	struct fg_mx *m = ctx;

	if (fg_grow(&m->ifaces, &m->cap, m->niface, sizeof(*s), 4))
		return -ENOMEM;
	m->ifaces[m->niface++] = *s;
	return 0;
}

/* Attached interfaces whose programs the kernel still has. */
static void read_attached(struct fg_mx *m, int ifaces_fd)
{
	struct fg_iface ifc;
	__u32 key, next;
	int err, fd;

	for (err = bpf_map_get_next_key(ifaces_fd, NULL, &key); !err;
	     err = bpf_map_get_next_key(ifaces_fd, &key, &next), key = next) {
		if (bpf_map_lookup_elem(ifaces_fd, &key, &ifc))
			continue;
		fd = bpf_prog_get_fd_by_id(ifc.prog_id);
		if (fd >= 0) {
			close(fd);
			m->attached++;
		} else if (!m->detached[0]) {
			snprintf(m->detached, sizeof(m->detached), "%.15s",
				 ifc.ifname);
		}
	}
}

static int read_ifaces(struct fg_mx *m)
{
	int fd, ifaces_fd, err;

	fd = fg_map_open(FG_MAP_IFSTATS);
	if (fd < 0) {
		m->state_err = fd;
		return 0;
	}
	ifaces_fd = fg_map_open(FG_MAP_IFACES);
	err = fg_ifaces_read(fd, ifaces_fd, 0, add_iface, m);
	if (ifaces_fd >= 0) {
		read_attached(m, ifaces_fd);
		close(ifaces_fd);
	}
	close(fd);
	return err == -ENOMEM ? err : 0;
}

static int read_rules(struct fg_mx *m)
{
	struct fg_rule_fds fds;
	struct fg_ruleset s;
	__u32 gen;
	size_t i;

	m->rules_err = fg_rule_read_current(&s, &gen, &fds);
	if (m->rules_err)
		return 0;
	m->rules_total = s.n;
	m->nrules = s.n < FG_MX_MAX_RULES ? s.n : FG_MX_MAX_RULES;
	m->rules = calloc(m->nrules ? m->nrules : 1, sizeof(*m->rules));
	for (i = 0; m->rules && i < (size_t)m->nrules; i++) {
		m->rules[i].id = s.r[i].id;
		if (fg_rule_hits_read(&fds, s.r[i].id, &m->rules[i].hit))
			memset(&m->rules[i].hit, 0, sizeof(m->rules[i].hit));
	}
	if (fds.ctl >= 0)
		fg_rule_fds_close(&fds);
	fg_ruleset_free(&s);
	return m->rules ? 0 : -ENOMEM;
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (__u64)t.tv_sec * 1000000000ull + t.tv_nsec;
}

#define mono_ns() clock_ns(CLOCK_MONOTONIC)

bool fg_mx_table_due(__u64 now_ns, __u64 at_ns, __u64 took_ns)
{
	return !at_ns || now_ns - at_ns >= FG_MX_TABLE_RECOUNT * took_ns;
}

/*
 * The flow table's fill, counted again only when the last count is older
 * than FG_MX_TABLE_RECOUNT times the CPU time it took: counting reads the
 * table's header lines (about a millisecond per million slots), the rest
 * of a scrape a few kilobytes. So counting never takes more than 1 % of a
 * CPU, and a table of a few million slots is counted at every scrape.
 */
static void read_table(struct fg_mx *m)
{
	static struct {
		__u64 at_ns, took_ns;
		struct fg_table_fill f;
		int err;
		char pin_dir[256];
	} c;
	__u64 t0 = mono_ns(), cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	/* Another pin directory (tests) is another table. */
	if (strcmp(c.pin_dir, fg_pin_dir())) {
		memset(&c, 0, sizeof(c));
		snprintf(c.pin_dir, sizeof(c.pin_dir), "%s", fg_pin_dir());
	}
	if (fg_mx_table_due(t0, c.at_ns, c.took_ns)) {
		c.err = fg_flow_table_fill(&c.f);
		c.at_ns = mono_ns();
		c.took_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	}
	m->table_err = c.err;
	m->flows = c.f.entries;
	m->capacity = c.f.max_flows;
	m->slots = c.f.slots;
	if (c.f.region_slots) {
		m->region_fill = (double)c.f.region_max / c.f.region_slots;
		m->region_mark = (double)c.f.mark / c.f.region_slots;
	}
	m->table_age = (mono_ns() - c.at_ns) / 1e9;
}

int fg_mx_read(struct fg_mx *m)
{
	struct timespec t0, t1;
	int err;

	memset(m, 0, sizeof(*m));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = read_ifaces(m);
	if (!err && !m->state_err) {
		read_table(m);
		err = read_rules(m);
	}
	if (!err) {
		m->exp_err = fg_exp_stats_read(&m->exp);
		m->exp_running = !m->exp_err && fg_exp_running(&m->exp);
		m->rtt_err = fg_rtt_stats_read(&m->rtt, &m->rtt_live);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	m->read_seconds =
		(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (err)
		fg_mx_free(m);
	return err;
}

void fg_mx_free(struct fg_mx *m)
{
	free(m->ifaces);
	free(m->rules);
	m->ifaces = NULL;
	m->rules = NULL;
	m->niface = m->nrules = 0;
}

int fg_mx_health(const struct fg_mx *m, char *why, size_t len)
{
	__u64 now_ms = (__u64)time(NULL) * 1000;
	const struct fg_exp_outstats *o;
	__u32 i;

	if (m->state_err) {
		snprintf(why, len, "no flowgate state under %s: %s",
			 fg_pin_dir(), fg_strerr(m->state_err));
		return m->state_err;
	}
	if (m->detached[0]) {
		snprintf(why, len, "the program attached to %s is gone",
			 m->detached);
		return -ENODEV;
	}
	if (!m->attached) {
		snprintf(why, len, "no interface attached");
		return -ENODEV;
	}
	if (m->exp_err)
		goto ok;
	if (!m->exp_running) {
		snprintf(why, len, "the exporter is not running");
		return -ESRCH;
	}
	for (i = 0; i < m->exp.nouts; i++) {
		o = &m->exp.out[i];
		if (!o->up) {
			snprintf(why, len, "output %s is down", o->url);
			return -ENOTCONN;
		}
		/* A loss in the last minute: records are not delivered. */
		if (o->last_lost_ms && o->last_lost_ms + 60000 > now_ms) {
			snprintf(why, len,
				 "output %s lost records in the last minute",
				 o->url);
			return -EIO;
		}
	}
ok:
	snprintf(why, len, "ok");
	return 0;
}
