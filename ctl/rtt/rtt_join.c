// SPDX-License-Identifier: GPL-2.0
/*
 * TCP round-trip time for the exporter: the join of a flow to its
 * connection's record. The pins live in <pin dir>/rtt/: fg_rtt_conns (live
 * connections), fg_rtt_closed (final records of closed ones, LRU),
 * fg_rtt_stats (counters and the global histogram, per CPU), fg_rtt_phist
 * (per-port histograms, per CPU), fg_rtt_info (where it is attached) and
 * link.
 */
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "fg.h"

int fg_rtt_pin_path(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s%s%s", fg_pin_dir(), FG_RTT_PIN_SUBDIR,
			 name ? "/" : "", name ? name : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Open one pin of the RTT path; -ENOENT when rtt is not enabled. */
int fg_rtt_map_open(const char *name)
{
	char path[4096];
	int fd, err = fg_rtt_pin_path(path, sizeof(path), name);

	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int fg_rtt_maps_open(struct fg_rtt_maps *m)
{
	m->conns_fd = fg_rtt_map_open(FG_MAP_RTT_CONNS);
	m->closed_fd = fg_rtt_map_open(FG_MAP_RTT_CLOSED);
	if (m->conns_fd >= 0 && m->closed_fd >= 0)
		return 0;
	fg_rtt_maps_close(m);
	return m->conns_fd < 0 ? m->conns_fd : m->closed_fd;
}

void fg_rtt_maps_close(struct fg_rtt_maps *m)
{
	if (m->conns_fd >= 0)
		close(m->conns_fd);
	if (m->closed_fd >= 0)
		close(m->closed_fd);
	m->conns_fd = m->closed_fd = -1;
}

/* Egress (sent by the host): src is the local end; ingress: dst is. */
int fg_rtt_key_from_flow(const struct fg_flow_key *fk, struct fg_rtt_key *rk)
{
	bool out = fk->dir == FG_DIR_OUT;

	if (fk->proto != IPPROTO_TCP || (fk->ip_ver != 4 && fk->ip_ver != 6))
		return -EINVAL;
	memset(rk, 0, sizeof(*rk));
	memcpy(rk->laddr, out ? fk->src : fk->dst, 16);
	memcpy(rk->raddr, out ? fk->dst : fk->src, 16);
	rk->lport = out ? fk->sport : fk->dport;
	rk->rport = out ? fk->dport : fk->sport;
	rk->ip_ver = fk->ip_ver;
	return 0;
}

int fg_rtt_lookup(const struct fg_rtt_maps *m, const struct fg_flow_key *fk,
		  struct fg_rtt_val *out)
{
	struct fg_rtt_key k;
	int err = fg_rtt_key_from_flow(fk, &k);

	if (err)
		return err;
	if (!bpf_map_lookup_elem(m->conns_fd, &k, out))
		return 0;
	if (errno != ENOENT)
		return -errno;
	/* Closed: its final record, while the LRU still has it. */
	return bpf_map_lookup_elem(m->closed_fd, &k, out) ? -errno : 0;
}

int fg_rtt_forget(const struct fg_rtt_maps *m, const struct fg_flow_key *fk)
{
	struct fg_rtt_key k;
	int err = fg_rtt_key_from_flow(fk, &k);

	if (err)
		return err;
	return bpf_map_delete_elem(m->closed_fd, &k) ? -errno : 0;
}

__u32 fg_rtt_mean_us(const struct fg_rtt_val *v)
{
	return v->samples ? (__u32)((v->sum_us + v->samples / 2) / v->samples)
			  : 0;
}
