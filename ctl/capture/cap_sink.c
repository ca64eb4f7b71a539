// SPDX-License-Identifier: GPL-2.0
/*
 * Ring records into pcapng (cap.h): one interface description block
 * per interface, named after it, and per record an enhanced packet block
 * with the wire length, the direction in its flags, the RX queue, and
 * "verdict=... reason=... rule=... flow=..." as its comment.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fg.h"
#include "cap.h"

void fg_cap_comment(const struct fg_cap_rec *r, char *buf, size_t len)
{
	__u32 others = r->hits & ~(1u << r->reason) & ~1u, b;
	const char *sep = " hits=";
	size_t n;

	n = snprintf(buf, len, "verdict=%s reason=%s rule=%u flow=%08x",
		     r->verdict == FG_CAP_DROP ? "drop" : "pass",
		     r->reason ? fg_reason_name(r->reason) : "none", r->rule_id,
		     r->flow_hash);
	/* checks that fired without deciding (count, or besides the drop) */
	for (b = 1; b < 32 && n < len; b++) {
		if (!(others & (1u << b)))
			continue;
		n += snprintf(buf + n, len - n, "%s%s", sep, fg_reason_name(b));
		sep = ",";
	}
}

static __s64 mono_to_wall(void)
{
	struct timespec m, w;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &w);
	return ((__s64)w.tv_sec - m.tv_sec) * 1000000000ll +
	       (w.tv_nsec - m.tv_nsec);
}

int fg_cap_sink_open(struct fg_cap_sink *s, const struct fg_cap_args *a)
{
	int fd;

	memset(s, 0, sizeof(*s));
	s->snaplen = a->snaplen;
	s->count = a->count;
	s->mono_to_wall = mono_to_wall();
	if (!strcmp(a->out, "-")) {
		/* The packets take stdout; whatever the command prints
		 * goes to stderr. */
		fflush(stdout);
		fd = dup(STDOUT_FILENO);
		if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			return fg_error(-errno, "cannot set up stdout: %s",
					strerror(errno));
		s->f = fdopen(fd, "w");
		s->to_stdout = true;
	} else {
		s->f = fopen(a->out, "w");
	}
	if (!s->f)
		return fg_error(-errno, "cannot open %s: %s", a->out,
				strerror(errno));
	if (fg_pcapng_open(&s->w, s->f, "flowgate"))
		return fg_error(s->w.err, "cannot write %s: %s", a->out,
				strerror(-s->w.err));
	return 0;
}

int fg_cap_sink_iface(struct fg_cap_sink *s, __u32 ifindex, const char *name)
{
	char buf[IF_NAMESIZE], desc[32];
	__u32 i;

	for (i = 0; i < s->nifs; i++)
		if (s->ifs[i].ifindex == ifindex)
			return 0;
	if (s->nifs == FG_CAP_SINK_IFS)
		return -ENOSPC;
	if (!name)
		name = if_indextoname(ifindex, buf);
	if (!name) {
		snprintf(buf, sizeof(buf), "if%u", ifindex);
		name = buf;
	}
	snprintf(desc, sizeof(desc), "ifindex %u", ifindex);
	s->ifs[s->nifs].ifindex = ifindex;
	if (fg_pcapng_idb(&s->w, name, desc, s->snaplen, &s->ifs[s->nifs].id))
		return s->w.err;
	s->nifs++;
	return 0;
}

int fg_cap_sink_single(struct fg_cap_sink *s, const char *name,
		       const char *desc)
{
	s->only_name = name;
	return fg_pcapng_idb(&s->w, name, desc, s->snaplen, &s->only_id);
}

/* Interface ID of a record, its IDB written now if it is the first. */
static int iface_id(struct fg_cap_sink *s, __u32 ifindex, __u32 *id)
{
	__u32 i;
	int err;

	if (s->only_name) {
		*id = s->only_id;
		return 0;
	}
	for (i = 0; i < s->nifs; i++) {
		if (s->ifs[i].ifindex == ifindex) {
			*id = s->ifs[i].id;
			return 0;
		}
	}
	err = fg_cap_sink_iface(s, ifindex, NULL);
	if (err)
		return err;
	*id = s->ifs[s->nifs - 1].id;
	return 0;
}

int fg_cap_sink_record(void *ctx, void *data, size_t size)
{
	struct fg_cap_sink *s = ctx;
	const struct fg_cap_rec *r = data;
	char comment[256];
	__u64 ts;
	__u32 id;

	if (size < sizeof(*r) || size < sizeof(*r) + r->cap_len) {
		s->malformed++;
		return 0;
	}
	if (fg_cap_sink_full(s) || s->w.err) {
		s->past_count++;
		return 0;
	}
	if (iface_id(s, r->ifindex, &id)) {
		s->past_count++;
		return 0;
	}
	ts = r->ts_ns;
	if (!(r->flags & FG_CAP_F_WALL))
		ts += s->mono_to_wall;
	fg_cap_comment(r, comment, sizeof(comment));
	if (!fg_pcapng_epb(&s->w, id, ts, r->data, r->cap_len, r->wire_len,
			   r->dir == FG_DIR_OUT ? FG_PCAPNG_OUT : FG_PCAPNG_IN,
			   r->rx_queue == FG_CAP_NO_QUEUE ? (__u32)-1
							  : r->rx_queue,
			   comment))
		s->written++;
	return 0;
}

int fg_cap_sink_close(struct fg_cap_sink *s)
{
	int err;

	if (!s->f)
		return 0;
	err = fg_pcapng_flush(&s->w);
	if (fclose(s->f) && !err)
		err = -errno;
	s->f = NULL;
	if (err)
		return fg_error(err, "cannot write the capture: %s",
				strerror(-err));
	return 0;
}
