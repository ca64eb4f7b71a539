// SPDX-License-Identifier: GPL-2.0
/*
 * IPFIX outputs of the exporter: one session per collector (UDP, TCP) or
 * file, each with its own sequence numbers and template timing, as RFC 7011
 * wants (a process speaking to several collectors is several exporting
 * processes).
 *
 * TCP keeps every message in a bounded spool until the collector's kernel
 * has acknowledged it (SIOCOUTQ tells how much of what we wrote is still
 * unacknowledged). When the connection breaks, unacknowledged messages are
 * sent again on the next one, after fresh templates, with their sequence
 * numbers and export times rewritten for the new session. Only a spool
 * overflow discards messages, oldest first, and every discarded record,
 * packet and octet is counted and reported in the reliability options.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "fg.h"
#include "exp_out.h"

#define OUT_MAX_MSG    65000 /* TCP and files: big messages, fewer headers */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000 /* RFC 7011 10.4.2: at most once a minute */
/* No message for this long: re-send templates first (UDP collectors may
 * have dropped the session, ipfixcol2 after 600 s). */
#define IDLE_GAP_MS 60000
/*
 * UDP: a sweep's datagrams leave a batch at a time, one sendmmsg() a
 * batch (a 100,000-flow sweep is 6,250 datagrams). A batch is what one
 * segmentation-offload send may carry (UDP_SEGMENT: at most 64 segments,
 * kernels before 6.11, and one IP datagram's 64 KB), so that a run of
 * datagrams of one length, which is most of a sweep, goes down the stack
 * as one buffer, cut into the same datagrams only at the device or at
 * the receiver. UDP_SEGMENT came with Linux 4.18; the exporter needs 5.5
 * anyway (the flow table's mapping), so an older kernel that would ignore
 * the option and send one large datagram never runs this.
 */
#define UDP_BATCH_BYTES 65000
#define UDP_GSO_SEGS	64
#define UDP_BATCH	FG_OUT_UDP_BATCH_MAX

/* One UDP datagram waiting in the batch: what its loss would count. */
struct udpq {
	__u32 records;
	__u64 packets, octets;
};

struct spmsg {
	struct spmsg *next;
	size_t len;
	__u32 records;
	__u64 packets, octets;
	__u8 data[];
};

struct fg_out {
	enum fg_out_kind kind;
	const struct fg_exp_settings *s;
	const struct ipfix_layout *l;
	int fd;
	struct sockaddr_storage addr;
	socklen_t alen;
	__u8 buf[IPFIX_MAX_MSG];
	struct ipfix_msg m;
	bool in_msg;
	__u64 m_packets, m_octets; /* flow packets/octets in the message */
	size_t cap;
	__u32 seq; /* data records sent before, this session */
	__u32 last_export_s;
	__u64 now_ms, last_tmpl_ms, last_msg_ms;
	bool tmpl_due, opts_due;
	/* TCP */
	bool connecting;
	__u64 next_connect_ms, backoff_ms;
	struct spmsg *head, *tail; /* head: oldest not yet acknowledged */
	struct spmsg *wr; /* next message to write (NULL: all written) */
	size_t wr_off;	  /* octets of wr already written */
	__u64 unacked;	  /* octets written since the last ack check */
	bool warned_reply;
	__u64 rel_sent; /* lost_records when reliability last went out */
	__u32 burst;	/* UDP datagrams since the last pause (udp_burst) */
	/* A loss episode: from the first record not sent to the next one
	 * delivered. Its start and end are logged, at most one episode per
	 * LOSS_LOG_MS (the others are counted and said with the next). */
	bool losing, loss_logged;
	int loss_err; /* why the last message was not sent; 0: spool full */
	__u64 loss_from, loss_log_ms; /* lost_records at the start; last log */
	__u32 loss_quiet; /* episodes not logged since the last log */
	struct fg_exp_outstats st;
	/* UDP: a sweep's datagrams leave batch at a time (sendmmsg), each
	 * encoded in a slot of its own (cap octets); nq are waiting. */
	__u8 *slots;
	unsigned int nq, batch;
	struct udpq q[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct mmsghdr mh[UDP_BATCH]; /* one datagram each */
	/* Runs of datagrams of one length, one segmentation-offload send
	 * each (gso: the kernel took one; off after it refused one). */
	bool gso;
	struct mmsghdr gmh[UDP_BATCH];
	unsigned int grun[UDP_BATCH]; /* datagrams in gmh[m] */
	size_t glen[UDP_BATCH];	      /* their octets: a whole send's length */
	union {
		char buf[CMSG_SPACE(sizeof(__u16))];
		struct cmsghdr align;
	} gctl[UDP_BATCH];
};

#define LOSS_LOG_MS 10000

static void put32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Export time and sequence number are written when a message leaves,
 * so that they are right for the session it leaves on. */
static void stamp(struct fg_out *o, __u8 *msg, __u32 records)
{
	__u32 t = o->now_ms / 1000;

	if (t < o->last_export_s)
		t = o->last_export_s; /* never backwards within a session */
	o->last_export_s = t;
	put32(msg + 4, t);
	put32(msg + 8, o->seq);
	o->seq += records;
}

static void loss_start(struct fg_out *o)
{
	const char *why;
	char t[384], q[64] = "";

	o->losing = true;
	o->loss_from = o->st.lost_records;
	/* UDP and files are "up" while they deliver: not now */
	if (o->kind != FG_OUT_TCP)
		o->st.up = 0;
	o->loss_logged =
		o->s->log_losses &&
		(!o->loss_log_ms || o->now_ms - o->loss_log_ms >= LOSS_LOG_MS);
	if (!o->loss_logged) {
		o->loss_quiet++;
		return;
	}
	why = o->loss_err ? strerror(o->loss_err) : "the TCP spool is full";
	if (o->loss_quiet)
		snprintf(q, sizeof(q),
			 "; %u shorter losses since the last report",
			 o->loss_quiet);
	snprintf(t, sizeof(t),
		 "export: %s: records not sent (%s); counted as not_sent in "
		 "flowgate stats%s",
		 o->st.url, why, q);
	/* rate-limited here, per episode */
	fg_logt(FG_LOG_WARN | FG_LOG_NOLIMIT, "output_loss", t,
		"output=%s\terror=%s\tquiet_episodes=%u", o->st.url, why,
		o->loss_quiet);
	o->loss_quiet = 0;
	o->loss_log_ms = o->now_ms;
}

static void loss_end(struct fg_out *o)
{
	unsigned long long n = o->st.lost_records - o->loss_from;
	char t[320];

	o->losing = false;
	if (o->kind != FG_OUT_TCP)
		o->st.up = 1;
	if (!o->loss_logged)
		return;
	snprintf(t, sizeof(t),
		 "export: %s: delivering again; %llu records were not sent",
		 o->st.url, n);
	fg_logt(FG_LOG_INFO, "output_delivering", t,
		"output=%s\tnot_sent_records=%llu", o->st.url, n);
}

static void lost(struct fg_out *o, __u32 records, __u64 pkts, __u64 octets)
{
	if (!records)
		return;
	if (!o->losing)
		loss_start(o);
	o->st.lost_records += records;
	o->st.lost_packets += pkts;
	o->st.lost_octets += octets;
	if (!o->st.first_lost_ms)
		o->st.first_lost_ms = o->now_ms;
	o->st.last_lost_ms = o->now_ms;
}

static void sent(struct fg_out *o, size_t len, __u32 records)
{
	if (o->losing)
		loss_end(o);
	o->st.messages++;
	o->st.records += records;
	o->st.octets += len;
}

/* ---- TCP spool ---------------------------------------------------------- */

static void spool_drop_head(struct fg_out *o, bool count_lost)
{
	struct spmsg *m = o->head;

	if (count_lost) {
		o->loss_err = 0;
		lost(o, m->records, m->packets, m->octets);
	}
	o->head = m->next;
	if (!o->head)
		o->tail = NULL;
	if (o->wr == m) {
		o->wr = o->head;
		o->wr_off = 0;
	}
	o->st.spool_bytes -= m->len;
	o->st.spool_msgs--;
	free(m);
}

static void spool_push(struct fg_out *o, const __u8 *buf, size_t len,
		       __u32 records, __u64 pkts, __u64 octets, bool front)
{
	struct spmsg *m = malloc(sizeof(*m) + len);

	if (!m) {
		lost(o, records, pkts, octets);
		return;
	}
	*m = (struct spmsg){.len = len,
			    .records = records,
			    .packets = pkts,
			    .octets = octets};
	memcpy(m->data, buf, len);
	if (front) { /* templates of a new connection: before the rest */
		m->next = o->head;
		o->head = m;
		if (!o->tail)
			o->tail = m;
		o->wr = m;
		o->wr_off = 0;
	} else {
		if (o->tail)
			o->tail->next = m;
		else
			o->head = m;
		o->tail = m;
		if (!o->wr)
			o->wr = m;
	}
	o->st.spool_bytes += len;
	o->st.spool_msgs++;
	/* Bounded: the oldest messages make room, never the new one nor one
	 * half written. A dropped message that was written but not yet
	 * acknowledged is counted as not sent, though it may still arrive. */
	while (o->st.spool_bytes > o->s->spool_bytes && o->head != m &&
	       !(o->head == o->wr && o->wr_off))
		spool_drop_head(o, true);
}

/* Messages the collector's kernel acknowledged leave the spool. */
static void spool_acked(struct fg_out *o)
{
	int outq = 0;
	__u64 acked;

	if (ioctl(o->fd, SIOCOUTQ, &outq) < 0)
		return;
	acked = o->unacked - (__u64)outq;
	while (o->head && o->head != o->wr && acked >= o->head->len) {
		acked -= o->head->len;
		o->unacked -= o->head->len;
		spool_drop_head(o, false);
	}
}

static void tcp_down(struct fg_out *o, const char *why)
{
	char t[256];

	snprintf(t, sizeof(t), "export: %s: %s; reconnecting", o->st.url, why);
	if (o->st.up || o->connecting)
		fg_logt(FG_LOG_WARN, "output_down", t, "output=%s\terror=%s",
			o->st.url, why);
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	o->st.up = 0;
	o->connecting = false;
	o->unacked = 0;
	/* Unacknowledged messages go again on the next connection. */
	o->wr = o->head;
	o->wr_off = 0;
	o->next_connect_ms = o->now_ms + o->backoff_ms;
	o->backoff_ms = o->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
							   : o->backoff_ms * 2;
}

static void tcp_write(struct fg_out *o)
{
	while (o->wr) {
		struct spmsg *m = o->wr;
		ssize_t n;

		if (!o->wr_off)
			stamp(o, m->data, m->records);
		n = send(o->fd, m->data + o->wr_off, m->len - o->wr_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				tcp_down(o, strerror(errno));
			return;
		}
		o->wr_off += n;
		o->unacked += n;
		if (o->wr_off < m->len)
			return;
		sent(o, m->len, m->records);
		o->wr = m->next;
		o->wr_off = 0;
	}
}

static int templates_into(struct ipfix_msg *m, const struct ipfix_layout *l);

/* A new connection: a new session, so templates first, sequence from 0.
 * The templates go in a message of their own at the head of the spool. */
static void tcp_connected(struct fg_out *o)
{
	__u8 *buf = malloc(OUT_MAX_MSG);
	struct ipfix_msg m;

	o->connecting = false;
	o->st.up = 1;
	o->st.connects++;
	o->backoff_ms = BACKOFF_MIN_MS;
	o->seq = 0;
	o->last_export_s = 0;
	o->warned_reply = false;
	if (o->st.connects > 1) {
		char t[256];

		snprintf(t, sizeof(t), "export: %s: connected", o->st.url);
		fg_logt(FG_LOG_INFO, "output_up", t, "output=%s", o->st.url);
	}
	if (!buf)
		return;
	ipfix_msg_begin(&m, buf, OUT_MAX_MSG, 0, 0, o->s->domain);
	templates_into(&m, o->l); /* a few hundred octets: always fits */
	spool_push(o, buf, ipfix_msg_end(&m), 0, 0, 0, true);
	free(buf);
}

static void tcp_connect(struct fg_out *o)
{
	int one = 1;

	o->fd = socket(o->addr.ss_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (o->fd < 0) {
		tcp_down(o, strerror(errno));
		return;
	}
	setsockopt(o->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!connect(o->fd, (struct sockaddr *)&o->addr, o->alen)) {
		tcp_connected(o);
	} else if (errno == EINPROGRESS) {
		o->connecting = true;
	} else {
		o->connecting = true; /* so that the failure is reported once */
		tcp_down(o, strerror(errno));
	}
}

/* Collectors never talk back on IPFIX/TCP: read and ignore, say so once. */
static void tcp_read(struct fg_out *o)
{
	__u8 junk[512];
	ssize_t n = recv(o->fd, junk, sizeof(junk), MSG_DONTWAIT);

	if (n == 0) {
		tcp_down(o, "collector closed the connection");
	} else if (n > 0 && !o->warned_reply) {
		char t[256];

		snprintf(
			t, sizeof(t),
			"Error: export: %s sent %zd unexpected octets; ignored",
			o->st.url, n);
		fg_logt(FG_LOG_WARN, "collector_reply", t,
			"output=%s\toctets=%zd", o->st.url, n);
		o->warned_reply = true;
	}
}

void fg_out_service(struct fg_out *o, uint64_t now_ms)
{
	struct pollfd p = {.fd = o->fd, .events = POLLIN | POLLOUT};
	int err = 0;
	socklen_t elen = sizeof(err);

	if (now_ms > o->now_ms)
		o->now_ms = now_ms;
	if (o->kind != FG_OUT_TCP)
		return;
	if (o->fd < 0) {
		if (o->now_ms >= o->next_connect_ms)
			tcp_connect(o);
		if (o->fd < 0)
			return;
		p.fd = o->fd;
	}
	if (poll(&p, 1, 0) <= 0)
		return;
	if (o->connecting) {
		if (!(p.revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		getsockopt(o->fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		if (err) {
			tcp_down(o, strerror(err));
			return;
		}
		tcp_connected(o);
	}
	if (p.revents & POLLIN)
		tcp_read(o);
	if (o->fd >= 0 && (p.revents & (POLLERR | POLLHUP)))
		tcp_down(o, "connection lost");
	if (o->fd >= 0) {
		spool_acked(o);
		tcp_write(o);
		spool_acked(o);
	}
}

int fg_out_pollfd(const struct fg_out *o, short *events)
{
	if (o->kind != FG_OUT_TCP || o->fd < 0)
		return -1;
	*events = POLLIN;
	if (o->connecting || o->wr)
		*events |= POLLOUT;
	return o->fd;
}

bool fg_out_idle(const struct fg_out *o)
{
	return o->kind != FG_OUT_TCP || (!o->head && !o->in_msg);
}

/* What a TCP collector never took, given up (shutdown, end of replay):
 * counted lost. Returns the records discarded. */
__u64 fg_out_discard(struct fg_out *o)
{
	__u64 before = o->st.lost_records;

	while (o->head)
		spool_drop_head(o, true);
	return o->st.lost_records - before;
}

/* ---- messages ---------------------------------------------------------- */

/* A UDP datagram not sent (err: errno, EIO a short send): counted lost,
 * and as the collector may have been unreachable (ICMP) and missed the
 * templates too, they go first in the next batch. */
static void udp_failed(struct fg_out *o, const struct udpq *q, int err)
{
	o->loss_err = err;
	lost(o, q->records, q->packets, q->octets);
	o->tmpl_due = true;
}

/* The datagrams of a batch, from i on, as sends of runs of one length
 * (the run's last datagram may be shorter: the kernel cuts a buffer into
 * segments of the first's length, the last what is left). Returns the
 * messages in gmh. */
static unsigned int udp_runs(struct fg_out *o, unsigned int i)
{
	unsigned int m, n;
	size_t len, tot;

	for (m = 0; i < o->nq; i += n, m++) {
		len = o->iov[i].iov_len;
		tot = len;
		for (n = 1; i + n < o->nq && n < UDP_GSO_SEGS; n++) {
			size_t l = o->iov[i + n].iov_len;

			if (l > len || tot + l > UDP_BATCH_BYTES)
				break;
			tot += l;
			if (l < len) {
				n++;
				break;
			}
		}
		o->grun[m] = n;
		o->glen[m] = tot;
		o->gmh[m].msg_hdr =
			(struct msghdr){.msg_iov = &o->iov[i], .msg_iovlen = n};
		if (n > 1) {
			struct msghdr *h = &o->gmh[m].msg_hdr;
			struct cmsghdr *c;
			__u16 seg = len;

			h->msg_control = o->gctl[m].buf;
			h->msg_controllen = sizeof(o->gctl[m].buf);
			c = CMSG_FIRSTHDR(h);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		}
	}
	return m;
}

/* Errors of a segmentation-offload send that a send of each datagram
 * alone would not have: a route or device without UDP checksum offload
 * (EIO), a segment above the route's MTU (EINVAL), a kernel without it. */
static bool gso_refused(int err)
{
	return err == EIO || err == EINVAL || err == EMSGSIZE ||
	       err == ENOPROTOOPT || err == EOPNOTSUPP;
}

static void gso_off(struct fg_out *o, int err)
{
	char t[320];

	o->gso = false;
	snprintf(t, sizeof(t),
		 "export: %s: the kernel refuses UDP segmentation offload "
		 "(%s); datagrams go one by one",
		 o->st.url, strerror(err));
	fg_logt(FG_LOG_INFO, "udp_gso_off", t, "output=%s\terror=%s", o->st.url,
		strerror(err));
}

/*
 * Send the batch as runs of datagrams of one length. A run's send is one
 * buffer: it fails whole, with nothing sent, so from a failed run on the
 * batch goes datagram by datagram (udp_send_queued), where each one has
 * the outcome of a send of its own; a one-shot error the run's send met
 * is not seen again, and the templates are due, as for any failed send.
 * Returns the datagrams whose outcome is known.
 */
static unsigned int udp_send_gso(struct fg_out *o)
{
	unsigned int i = 0, m, k, nm;
	int n, err;

	while (i < o->nq) {
		nm = udp_runs(o, i);
		n = sendmmsg(o->fd, o->gmh, nm, MSG_DONTWAIT);
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			if (o->grun[0] == 1) { /* a datagram alone: its own */
				udp_failed(o, &o->q[i], err);
				i++;
				continue;
			}
			if (gso_refused(err))
				gso_off(o, err);
			else
				o->tmpl_due = true;
			return i;
		}
		for (m = 0; m < (unsigned int)n; m++) {
			for (k = i; k < i + o->grun[m]; k++) {
				if (o->gmh[m].msg_len == o->glen[m])
					sent(o, o->iov[k].iov_len,
					     o->q[k].records);
				else
					udp_failed(o, &o->q[k], EIO);
			}
			i += o->grun[m];
		}
		if (i < o->nq)
			o->tmpl_due = true;
	}
	return i;
}

/*
 * Send the waiting datagrams, each with the outcome a send() of its own
 * would have had, in order. sendmmsg() reports an error only when it is
 * the first datagram's: when one in the middle fails, the call returns
 * the count before it, so the next call starts with it and reports its
 * error. A one-shot error (a pending ICMP error is cleared by the send
 * that meets it) is not seen again and the datagram goes on the next
 * call; the templates are still due, as for any failed send.
 */
static void udp_send_queued(struct fg_out *o)
{
	unsigned int i = o->gso && o->nq > 1 ? udp_send_gso(o) : 0, j;
	int n;

	while (i < o->nq) {
		n = sendmmsg(o->fd, o->mh + i, o->nq - i, MSG_DONTWAIT);
		if (n <= 0) {
			udp_failed(o, &o->q[i], n < 0 ? errno : EIO);
			i++;
			continue;
		}
		for (j = i; j < i + n; j++) {
			if (o->mh[j].msg_len == o->iov[j].iov_len)
				sent(o, o->iov[j].iov_len, o->q[j].records);
			else
				udp_failed(o, &o->q[j], EIO);
		}
		i += n;
		if (i < o->nq)
			o->tmpl_due = true;
	}
	o->nq = 0;
}

static void udp_queue(struct fg_out *o, __u8 *msg, size_t len, __u32 records,
		      __u64 pkts, __u64 octets)
{
	__u8 *slot = o->slots + (size_t)o->nq * o->cap;

	if (msg != slot) /* after a pause's send: the first slot is free */
		memmove(slot, msg, len);
	o->iov[o->nq] = (struct iovec){.iov_base = slot, .iov_len = len};
	o->q[o->nq] = (struct udpq){records, pkts, octets};
	if (++o->nq == o->batch)
		udp_send_queued(o);
}

static void deliver(struct fg_out *o, __u8 *msg, size_t len, __u32 records,
		    __u64 pkts, __u64 octets)
{
	ssize_t n;

	o->last_msg_ms = o->now_ms;
	if (o->kind == FG_OUT_TCP) {
		spool_push(o, msg, len, records, pkts, octets, false);
		if (o->st.up)
			tcp_write(o);
		return;
	}
	stamp(o, msg, records); /* UDP: lost records still take numbers */
	if (o->kind == FG_OUT_UDP) {
		if (o->s->udp_burst && ++o->burst >= o->s->udp_burst) {
			/* sweeps far faster than real time (a capture's
			 * records) would overflow a collector's socket
			 * buffer: what came before leaves, then a pause */
			o->burst = 0;
			udp_send_queued(o);
			nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
		}
		udp_queue(o, msg, len, records, pkts, octets);
		return;
	}
	n = write(o->fd, msg, len);
	if (n == (ssize_t)len) {
		sent(o, len, records);
		return;
	}
	o->loss_err = n < 0 ? errno : EIO; /* EIO: a short write */
	lost(o, records, pkts, octets);
}

static void msg_start(struct fg_out *o)
{
	__u8 *buf = o->slots ? o->slots + (size_t)o->nq * o->cap : o->buf;

	ipfix_msg_begin(&o->m, buf, o->cap, 0, 0, o->s->domain);
	o->in_msg = true;
	o->m_packets = o->m_octets = 0;
}

static void msg_finish(struct fg_out *o)
{
	size_t len;

	if (!o->in_msg)
		return;
	o->in_msg = false;
	len = ipfix_msg_end(&o->m);
	if (len > IPFIX_HDR_LEN)
		deliver(o, o->m.buf, len, ipfix_msg_records(&o->m),
			o->m_packets, o->m_octets);
}

/* Add with fn; a full message is sent and the add retried in a new one. */
#define OUT_ADD(o, call)               \
	({                             \
		int __e;               \
		if (!(o)->in_msg)      \
			msg_start(o);  \
		__e = (call);          \
		if (__e == -ENOSPC) {  \
			msg_finish(o); \
			msg_start(o);  \
			__e = (call);  \
		}                      \
		__e;                   \
	})

/* Every template of the layout; -ENOSPC when the message is full. */
static int templates_into(struct ipfix_msg *m, const struct ipfix_layout *l)
{
	const struct ipfix_template *t[] = {
		&l->flow4,	    &l->flow6,	     &l->l2,	&l->sampling,
		&l->sampling_psamp, &l->reliability, &l->guard, &l->ifname,
	};
	size_t i;
	int err;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!t[i]->nfields)
			continue;
		/* One Set per options template: nfacctd 1.7.7 steps over an
		 * options template record 4 octets per scope field too far,
		 * so it misreads the next one in the same Set (and loses the
		 * sampling announcement, reliability and guard options). */
		if (t[i]->scope)
			ipfix_set_end(m);
		err = ipfix_add_template(m, t[i]);
		if (err)
			return err;
	}
	return 0;
}

/* UDP and files: the templates open the batch's first message (a second
 * message if they do not all fit the first, which a 576-octet MTU allows). */
static void add_templates(struct fg_out *o)
{
	if (!o->in_msg)
		msg_start(o);
	if (templates_into(&o->m, o->l) == -ENOSPC) {
		msg_finish(o);
		msg_start(o);
		templates_into(&o->m, o->l);
	}
}

void fg_out_batch(struct fg_out *o, uint64_t now_ms)
{
	if (now_ms > o->now_ms)
		o->now_ms = now_ms;
	if (o->kind == FG_OUT_UDP &&
	    (o->now_ms - o->last_tmpl_ms >= o->s->refresh_s * 1000ull ||
	     o->now_ms - o->last_msg_ms >= IDLE_GAP_MS))
		o->tmpl_due = true;
	if (!o->tmpl_due)
		return;
	/* TCP sends templates at each connection (tcp_connected). */
	if (o->kind != FG_OUT_TCP)
		add_templates(o);
	o->tmpl_due = false;
	o->opts_due = true;
	o->last_tmpl_ms = o->now_ms;
}

void fg_out_announce(struct fg_out *o)
{
	o->tmpl_due = true;
}

static void add_sampling(struct fg_out *o, __u32 n)
{
	const struct ipfix_layout *l = o->l;
	uint64_t legacy[IPFIX_SAMPLING_NVALS] = {o->s->domain, n};
	uint64_t psamp[IPFIX_PSAMP_NVALS] = {o->s->domain, 1, n - 1};
	__u8 style = o->s->samp_style;

	if (style == FG_SAMP_LEGACY || style == FG_SAMP_BOTH)
		OUT_ADD(o, ipfix_add_options(&o->m, &l->sampling, legacy));
	if (style == FG_SAMP_PSAMP || style == FG_SAMP_BOTH)
		OUT_ADD(o, ipfix_add_options(&o->m, &l->sampling_psamp, psamp));
}

void fg_out_options(struct fg_out *o, const struct fg_exp_opts *x, bool force)
{
	uint64_t rel[IPFIX_RELIABILITY_NVALS] = {
		o->s->domain,	   o->st.lost_records,	o->st.lost_packets,
		o->st.lost_octets, o->st.first_lost_ms, o->st.last_lost_ms,
	};
	bool all = o->opts_due || force;
	__u32 i;

	o->opts_due = false;
	if (all)
		add_sampling(o, x->sampling > 1 ? x->sampling : 1);
	if (all || o->rel_sent != o->st.lost_records) {
		OUT_ADD(o, ipfix_add_options(&o->m, &o->l->reliability, rel));
		o->rel_sent = o->st.lost_records;
	}
	for (i = 0; o->l->guard.nfields && i < x->nguard; i++)
		if (all || x->guard_changed[i])
			OUT_ADD(o, ipfix_add_options(&o->m, &o->l->guard,
						     x->guard[i]));
	for (i = 0; (all || x->ifs_changed) && i < x->nifs; i++) {
		uint64_t v[2] = {x->if_index[i], 0};
		const char *str[2] = {NULL, x->if_name[i]};

		OUT_ADD(o, ipfix_add_options_str(&o->m, &o->l->ifname, v, str));
	}
}

int fg_out_flow(struct fg_out *o, const struct ipfix_flow *f)
{
	const struct ipfix_template *t =
		ipfix_layout_tmpl(o->l, f->key->ip_ver);
	int err = OUT_ADD(o, ipfix_add_record(&o->m, t, f));

	if (err) {
		if (o->nq) /* losses counted and logged in order */
			udp_send_queued(o);
		lost(o, 1, f->val->packets, f->val->octets);
		return err;
	}
	o->m_packets += f->val->packets;
	o->m_octets += f->val->octets;
	return 0;
}

void fg_out_flush(struct fg_out *o)
{
	msg_finish(o);
	if (o->nq)
		udp_send_queued(o);
	if (o->kind == FG_OUT_TCP)
		fg_out_service(o, o->now_ms);
}

const struct fg_exp_outstats *fg_out_stats(const struct fg_out *o)
{
	return &o->st;
}

/* ---- opening ------------------------------------------------------------ */

/* HOST[:PORT] or [V6]:PORT after the scheme; port 4739 by default. */
static int resolve(struct fg_out *o, const char *hp, int socktype)
{
	struct addrinfo hints = {.ai_socktype = socktype}, *res;
	char host[FG_URL_LEN], *port = NULL, *c;
	int err;

	snprintf(host, sizeof(host), "%s", hp);
	if (host[0] == '[') {
		c = strchr(host, ']');
		if (!c)
			return -EINVAL;
		*c = '\0';
		if (c[1] == ':')
			port = c + 2;
		else if (c[1])
			return -EINVAL;
		memmove(host, host + 1, strlen(host + 1) + 1);
	} else if ((c = strrchr(host, ':')) && strchr(host, ':') == c) {
		*c = '\0';
		port = c + 1;
	}
	if (!host[0])
		return -EINVAL;
	err = getaddrinfo(host, port && *port ? port : "4739", &hints, &res);
	if (err)
		return -EHOSTUNREACH;
	memcpy(&o->addr, res->ai_addr, res->ai_addrlen);
	o->alen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int open_udp(struct fg_out *o)
{
	/* The whole datagram fits the path MTU: IP and UDP headers off. */
	size_t hdrs = o->addr.ss_family == AF_INET6 ? 48 : 28;

	unsigned int i;

	o->cap = o->s->mtu > hdrs + IPFIX_HDR_LEN + 64 ? o->s->mtu - hdrs : 512;
	o->batch = UDP_BATCH_BYTES / o->cap;
	if (o->batch > UDP_BATCH)
		o->batch = UDP_BATCH;
	if (!o->batch)
		o->batch = 1;
	o->gso = true;
	o->slots = malloc((size_t)o->batch * o->cap);
	if (!o->slots)
		return -ENOMEM;
	for (i = 0; i < UDP_BATCH; i++) /* connected: no address */
		o->mh[i].msg_hdr =
			(struct msghdr){.msg_iov = &o->iov[i], .msg_iovlen = 1};
	o->fd = socket(o->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (o->fd < 0)
		return -errno;
	/* Connected: the same source port for the whole session. */
	if (connect(o->fd, (struct sockaddr *)&o->addr, o->alen))
		return -errno;
	o->st.up = 1;
	return 0;
}

static int open_where(struct fg_out *o, const char *where)
{
	int err;

	if (o->kind == FG_OUT_FILE) {
		o->cap = OUT_MAX_MSG;
		o->fd = open(where, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			     0644);
		o->st.up = o->fd >= 0;
		return o->fd < 0 ? -errno : 0;
	}
	err = resolve(o, where + 6,
		      o->kind == FG_OUT_UDP ? SOCK_DGRAM : SOCK_STREAM);
	if (err)
		return err;
	if (o->kind == FG_OUT_UDP)
		return open_udp(o);
	o->cap = OUT_MAX_MSG;
	o->backoff_ms = BACKOFF_MIN_MS;
	return 0; /* connects on the first service call */
}

int fg_out_open(struct fg_out **out, enum fg_out_kind kind, const char *where,
		const struct fg_exp_settings *s, const struct ipfix_layout *l)
{
	struct fg_out *o = calloc(1, sizeof(*o));
	int err;

	if (!o)
		return -ENOMEM;
	o->kind = kind;
	o->s = s;
	o->l = l;
	o->fd = -1;
	o->tmpl_due = true;
	o->st.kind = kind;
	snprintf(o->st.url, sizeof(o->st.url), "%s", where);
	err = open_where(o, where);
	if (err) {
		fg_out_close(o);
		return err;
	}
	*out = o;
	return 0;
}

void fg_out_close(struct fg_out *o)
{
	if (!o)
		return;
	if (o->nq && o->fd >= 0)
		udp_send_queued(o);
	while (o->head)
		spool_drop_head(o, true);
	if (o->fd >= 0)
		close(o->fd);
	free(o->slots);
	free(o);
}
