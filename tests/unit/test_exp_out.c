// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the exporter's UDP output (ctl/export/exp_out.c): a sweep's
 * datagrams leave in batches (sendmmsg), runs of datagrams of one length as
 * one segmentation-offload send each (UDP_SEGMENT), and a send that fails in
 * the middle of a batch must have the outcome it has alone: that datagram
 * lost and counted, every other one sent with the bytes it has without the
 * failure (sequence numbers included), the loss logged once, the templates
 * first in the next batch. Where the kernel refuses segmentation offload,
 * the same datagrams go one by one.
 *
 * sendmmsg() is replaced by the one below, which behaves as the kernel's:
 * messages go in order, and an error is returned only when the first one
 * fails; otherwise the count sent before the failing one. A message with
 * UDP_SEGMENT is one buffer cut into datagrams of that length (the last
 * may be shorter): it fails whole, as the kernel's one buffer does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "fg.h"
#include "exp_out.h"

struct fg_opts fg_opts; /* defined by main.c, which tests do not link */

#define MAX_DG	 256
#define NFLOWS	 800
#define T_NOW_MS 1700000000000ull
#define FAIL_MID 5 /* in the middle of the first batch */
/* The first of the second batch (a 576-octet MTU fills a whole batch). */
#define FAIL_HEAD FG_OUT_UDP_BATCH_MAX

enum gso_mode {
	GSO_TAKE,   /* the kernel segments (loopback, most devices) */
	GSO_REFUSE, /* EIO, as a device without UDP checksum offload */
};

static struct {
	__u8 data[MAX_DG][1500];
	size_t len[MAX_DG];
	unsigned int n;	    /* datagrams on the wire */
	unsigned int calls; /* sendmmsg() calls */
	unsigned int gso_msgs, gso_refused;
	enum gso_mode gso;
	bool short_gso; /* a segmented send reports one octet less */
	/* datagrams by their order of first offer: fail every time, or the
	 * first time only (a pending ICMP error, cleared by the send) */
	int fail_always[2], fail_once;
	int err;
	/* every distinct datagram offered so far, to know a retry */
	__u8 offered[MAX_DG][1500];
	size_t offered_len[MAX_DG];
	unsigned int noffered;
} wire;

static void wire_reset(void)
{
	memset(&wire, 0, sizeof(wire));
	wire.fail_always[0] = wire.fail_always[1] = wire.fail_once = -1;
}

/* Which datagram this is, by order of first offer: a datagram offered
 * again (a retry) has the same bytes, and no two datagrams of a sweep
 * have (their sequence numbers or contents differ). */
static int datagram_no(const void *p, size_t len, bool *retry)
{
	unsigned int i;

	for (i = 0; i < wire.noffered; i++)
		if (wire.offered_len[i] == len &&
		    !memcmp(wire.offered[i], p, len)) {
			*retry = true;
			return i;
		}
	assert_true(wire.noffered < MAX_DG);
	memcpy(wire.offered[wire.noffered], p, len);
	wire.offered_len[wire.noffered] = len;
	*retry = false;
	return wire.noffered++;
}

static bool fails(const struct iovec *v)
{
	bool retry;
	int no = datagram_no(v->iov_base, v->iov_len, &retry);

	return no == wire.fail_always[0] || no == wire.fail_always[1] ||
	       (no == wire.fail_once && !retry);
}

/* The segment length of a message, 0 without UDP_SEGMENT. */
static __u16 gso_size(const struct msghdr *h)
{
	struct cmsghdr *c;
	__u16 seg = 0;

	for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR((struct msghdr *)h, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT)
			memcpy(&seg, CMSG_DATA(c), sizeof(seg));
	return seg;
}

/* One message: 0 sent, or -1 (errno) with nothing sent. */
static int send_one(struct mmsghdr *m)
{
	const struct msghdr *h = &m->msg_hdr;
	__u16 seg = h->msg_controllen ? gso_size(h) : 0;
	size_t i, tot = 0;
	bool fail = false;

	if (seg) {
		assert_true(h->msg_iovlen > 1);
		assert_true(h->msg_iovlen <= 64); /* UDP_MAX_SEGMENTS, 6.1 */
		if (wire.gso == GSO_REFUSE) {
			wire.gso_refused++;
			errno = EIO;
			return -1;
		}
		wire.gso_msgs++;
	} else {
		assert_int_equal(h->msg_iovlen, 1);
	}
	/* every datagram is offered: the buffer fails whole */
	for (i = 0; i < h->msg_iovlen; i++) {
		const struct iovec *v = &h->msg_iov[i];

		/* the kernel cuts at seg octets: only the last is shorter */
		if (seg)
			assert_true(
				v->iov_len == seg ||
				(i == h->msg_iovlen - 1 && v->iov_len < seg));
		tot += v->iov_len;
		fail |= fails(v);
	}
	assert_true(tot <= 65507);
	if (fail) {
		errno = wire.err;
		return -1;
	}
	for (i = 0; i < h->msg_iovlen; i++) {
		const struct iovec *v = &h->msg_iov[i];

		assert_true(wire.n < MAX_DG);
		memcpy(wire.data[wire.n], v->iov_base, v->iov_len);
		wire.len[wire.n++] = v->iov_len;
	}
	m->msg_len = tot - (seg && wire.short_gso);
	return 0;
}

int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	unsigned int i;

	(void)fd;
	(void)flags;
	wire.calls++;
	for (i = 0; i < vlen; i++)
		if (send_one(&vec[i]))
			return i ? (int)i : -1; /* the kernel drops the error */
	return vlen;
}

static struct fg_flow_key keys[NFLOWS];
static struct fg_flow_val vals[NFLOWS];

static struct fg_out *open_out(struct fg_exp_settings *s,
			       struct ipfix_layout *l)
{
	struct ipfix_opts io = {1, 0, false};
	struct fg_out *o;

	fg_exp_settings_default(s);
	s->mtu = 576; /* a few records a datagram: many datagrams */
	s->log_losses = true;
	ipfix_layout_init(l, &io);
	assert_int_equal(fg_out_open(&o, FG_OUT_UDP, "udp://127.0.0.1:9", s, l),
			 0);
	return o;
}

static void sweep(struct fg_out *o, unsigned int nflows, __u64 now_ms)
{
	unsigned int i;

	fg_out_batch(o, now_ms);
	for (i = 0; i < nflows; i++) {
		struct ipfix_flow f = {.key = &keys[i],
				       .val = &vals[i],
				       .start_ms = now_ms - 1000,
				       .end_ms = now_ms,
				       .end_reason = 2};

		assert_int_equal(fg_out_flow(o, &f), 0);
	}
	fg_out_flush(o);
}

/* IPv4 flows, or every third one IPv6 (mixed: datagrams of many
 * lengths, runs cut short). */
static void mk_flows(bool mixed)
{
	unsigned int i;

	for (i = 0; i < NFLOWS; i++) {
		struct fg_flow_key *k = &keys[i];

		memset(k, 0, sizeof(*k));
		k->ifindex = 3;
		k->ip_ver = mixed && i % 3 == 2 ? 6 : 4;
		k->proto = 17;
		if (k->ip_ver == 6) {
			k->src[0] = k->dst[0] = 0x20, k->src[1] = k->dst[1] = 1;
			k->src[2] = k->dst[2] = 0x0d,
			k->src[3] = k->dst[3] = 0xb8;
			k->src[15] = 1, k->dst[15] = 2;
		} else {
			k->src[10] = k->src[11] = k->dst[10] = k->dst[11] =
				0xff;
			k->src[12] = 192, k->src[14] = 2, k->src[15] = 1;
			k->dst[12] = 198, k->dst[13] = 51, k->dst[14] = 100;
		}
		k->sport = htons(10000 + i);
		k->dport = htons(53);
		vals[i] = (struct fg_flow_val){.packets = 1 + i,
					       .octets = 100 + i};
	}
}

static __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Data records in a datagram: the next one's sequence number less its. */
struct run {
	__u8 data[MAX_DG][1500];
	size_t len[MAX_DG];
	unsigned int n, calls, gso_msgs, gso_refused;
	struct fg_exp_outstats st;
	char log[4096];
	bool tmpl_next; /* the next sweep's first datagram opens with them */
};

struct fails {
	enum gso_mode gso;
	int a, b, once, err;
	bool short_gso;
};

#define NO_FAIL(mode) ((struct fails){mode, -1, -1, -1, 0, false})

static void run(struct run *r, struct fails f)
{
	struct fg_exp_settings s;
	struct ipfix_layout l;
	struct fg_out *o;
	FILE *log = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(log);
	wire_reset();
	wire.gso = f.gso;
	wire.fail_always[0] = f.a;
	wire.fail_always[1] = f.b;
	wire.fail_once = f.once;
	wire.err = f.err;
	wire.short_gso = f.short_gso;
	fflush(stderr);
	dup2(fileno(log), 2);
	o = open_out(&s, &l);
	sweep(o, NFLOWS, T_NOW_MS);
	r->n = wire.n;
	r->calls = wire.calls;
	r->gso_msgs = wire.gso_msgs;
	r->gso_refused = wire.gso_refused;
	memcpy(r->data, wire.data, sizeof(r->data));
	memcpy(r->len, wire.len, sizeof(r->len));
	r->st = *fg_out_stats(o);
	/* the next sweep, one second later: templates only when due */
	wire_reset();
	wire.gso = f.gso;
	sweep(o, 1, T_NOW_MS + 1000);
	assert_true(wire.n >= 1);
	r->tmpl_next = get32(wire.data[0] + 16) >> 16 == 2; /* Set 2 */
	fg_out_close(o);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(log);
	n = fread(r->log, 1, sizeof(r->log) - 1, log);
	r->log[n] = '\0';
	fclose(log);
}

static unsigned int count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

static struct run ref, got;

/* records of datagram i of the reference run (templates count none) */
static __u32 ref_records(unsigned int i)
{
	return get32(ref.data[i + 1] + 8) - get32(ref.data[i] + 8);
}

/* got is ref, byte for byte, without datagrams a and b (-1: none). */
static void same_but(int a, int b)
{
	unsigned int i, j = 0;

	assert_int_equal(got.n, ref.n - (a >= 0) - (b >= 0));
	for (i = 0; i < ref.n; i++) {
		if ((int)i == a || (int)i == b)
			continue;
		assert_int_equal(got.len[j], ref.len[i]);
		assert_memory_equal(got.data[j], ref.data[i], ref.len[i]);
		j++;
	}
}

static const char refused[] = "refuses UDP segmentation offload "
			      "(Input/output error); datagrams go one by one";

static void test_reference(void **state)
{
	(void)state;
	mk_flows(false);
	run(&ref, NO_FAIL(GSO_TAKE));
	assert_true(ref.n > FAIL_HEAD + 8);
	assert_true(ref.n < MAX_DG);
	assert_int_equal(ref.st.messages, ref.n);
	assert_int_equal(ref.st.records, NFLOWS);
	assert_int_equal(ref.st.lost_records, 0);
	assert_int_equal(ref.log[0], '\0');
	/* the first datagram opens with the templates; none a second later */
	assert_int_equal(get32(ref.data[0] + 16) >> 16, 2);
	assert_false(ref.tmpl_next);
	/* a batch a system call, its datagrams of one length in one send */
	assert_true(ref.calls <= (ref.n + FAIL_HEAD - 1) / FAIL_HEAD);
	assert_true(ref.gso_msgs >= 1);
	assert_true(ref.gso_msgs <= 2 * ref.calls);
}

/* The kernel refuses segmentation offload: the same datagrams, one by
 * one (still a batch a call), said once. */
static void test_refused(void **state)
{
	(void)state;
	run(&got, NO_FAIL(GSO_REFUSE));
	same_but(-1, -1);
	assert_int_equal(got.gso_refused, 1); /* not asked again */
	assert_int_equal(got.gso_msgs, 0);
	assert_int_equal(got.st.messages, ref.n);
	assert_int_equal(got.st.lost_records, 0);
	assert_int_equal(count(got.log, refused), 1);
	assert_false(got.tmpl_next); /* nothing was lost */
	assert_true(got.calls < ref.n);
}

/* Flows of both IP versions: datagrams of many lengths, cut into runs
 * where the length stays or ends shorter; the bytes are those of the
 * datagrams sent one by one. */
static void test_mixed_lengths(void **state)
{
	static struct run plain;

	(void)state;
	mk_flows(true);
	run(&plain, NO_FAIL(GSO_REFUSE));
	run(&got, NO_FAIL(GSO_TAKE));
	mk_flows(false);
	assert_true(got.gso_msgs >= 1);
	assert_int_equal(got.n, plain.n);
	assert_int_equal(got.st.messages, plain.n);
	assert_int_equal(got.st.records, NFLOWS);
	assert_memory_equal(got.len, plain.len, sizeof(got.len));
	assert_memory_equal(got.data, plain.data, sizeof(got.data));
}

/* Two datagrams fail for good: one in the middle of a batch, one at the
 * head of the next; the runs that hold them fail whole, and their
 * datagrams go again one by one. */
static void fail_in_batch(enum gso_mode mode)
{
	__u64 lost = ref_records(FAIL_MID) + ref_records(FAIL_HEAD);

	run(&got, (struct fails){mode, FAIL_MID, FAIL_HEAD, -1, EPERM, false});
	/* every other datagram, byte for byte, in order */
	same_but(FAIL_MID, FAIL_HEAD);
	assert_int_equal(got.st.messages, ref.n - 2);
	assert_int_equal(got.st.records, NFLOWS - lost);
	assert_int_equal(got.st.lost_records, lost);
	assert_true(got.st.lost_packets > 0);
	assert_int_equal(got.st.first_lost_ms, T_NOW_MS);
	assert_int_equal(got.st.up, 1); /* delivering again */
	/* one episode logged with its cause and its end; the second, within
	 * the log interval, said with the next report */
	assert_int_equal(count(got.log, "records not sent (Operation not "
					"permitted)"),
			 1);
	assert_int_equal(count(got.log, "delivering again"), 1);
	assert_non_null(strstr(got.log, "delivering again; "));
	/* templates first in the next batch (RFC 7011 10.3.6 ff.) */
	assert_true(got.tmpl_next);
	/* a failed run does not turn segmentation offload off */
	assert_int_equal(count(got.log, "segmentation offload"),
			 mode == GSO_REFUSE);
}

static void test_fail_in_batch(void **state)
{
	(void)state;
	fail_in_batch(GSO_TAKE);
	/* the next batch was segmented again */
	assert_true(got.gso_msgs >= 2);
}

static void test_fail_in_batch_plain(void **state)
{
	(void)state;
	fail_in_batch(GSO_REFUSE);
}

/* A one-shot error (a pending ICMP error, cleared by the send that meets
 * it) in the middle of a batch: the kernel does not report it, the
 * datagram goes on the next call; templates are due all the same. With
 * segmentation, the run that met it goes again one by one. */
static void one_shot_in_batch(enum gso_mode mode)
{
	run(&got, (struct fails){mode, -1, -1, FAIL_MID, ECONNREFUSED, false});
	same_but(-1, -1);
	assert_int_equal(got.st.messages, ref.n);
	assert_int_equal(got.st.lost_records, 0);
	assert_true(got.tmpl_next);
}

static void test_one_shot_in_batch(void **state)
{
	(void)state;
	one_shot_in_batch(GSO_TAKE);
	one_shot_in_batch(GSO_REFUSE);
}

/* The same error as the first of a call, one by one: reported, the
 * datagram lost. */
static void test_one_shot_at_head_plain(void **state)
{
	(void)state;
	run(&got,
	    (struct fails){GSO_REFUSE, -1, -1, FAIL_HEAD, ECONNREFUSED, false});
	same_but(FAIL_HEAD, -1);
	assert_int_equal(got.st.lost_records, ref_records(FAIL_HEAD));
	assert_int_equal(count(got.log, "(Connection refused)"), 1);
	assert_true(got.tmpl_next);
}

/* Met by a segmented send, which sends nothing: the error is spent, the
 * run goes again one by one, nothing is lost; templates are due. */
static void test_one_shot_at_head(void **state)
{
	(void)state;
	run(&got,
	    (struct fails){GSO_TAKE, -1, -1, FAIL_HEAD, ECONNREFUSED, false});
	same_but(-1, -1);
	assert_int_equal(got.st.lost_records, 0);
	assert_int_equal(count(got.log, "records not sent"), 0);
	assert_true(got.tmpl_next);
}

/* A segmented send that reports fewer octets than its datagrams hold:
 * every datagram of it counted lost (EIO), as a short send of one. */
static void test_short_gso(void **state)
{
	(void)state;
	run(&got, (struct fails){GSO_TAKE, -1, -1, -1, 0, true});
	assert_int_equal(got.n, ref.n); /* the fake put them on the wire */
	assert_true(got.st.lost_records > 0);
	assert_int_equal(got.st.records + got.st.lost_records, NFLOWS);
	assert_true(got.st.messages < ref.n);
	assert_int_equal(count(got.log, "(Input/output error)"), 1);
	assert_true(got.tmpl_next);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference), /* first: the others use it */
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_mixed_lengths),
		cmocka_unit_test(test_fail_in_batch),
		cmocka_unit_test(test_fail_in_batch_plain),
		cmocka_unit_test(test_one_shot_in_batch),
		cmocka_unit_test(test_one_shot_at_head),
		cmocka_unit_test(test_one_shot_at_head_plain),
		cmocka_unit_test(test_short_gso),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
