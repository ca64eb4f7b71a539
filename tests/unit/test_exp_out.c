// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the exporter's UDP output (ctl/export/exp_out.c): a sweep's
 * datagrams leave in batches (sendmmsg), and a send that fails in the middle
 * of a batch must have the outcome it has alone: that datagram lost and
 * counted, every other one sent with the bytes it has without the failure
 * (sequence numbers included), the loss logged once, the templates first in
 * the next batch.
 *
 * sendmmsg() is replaced by the one below, which behaves as the kernel's:
 * datagrams go in order, and an error is returned only when the first one
 * fails; otherwise the count sent before the failing one.
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
#include <sys/socket.h>
#include <cmocka.h>
#include "fg.h"
#include "exp_out.h"

struct fg_opts fg_opts; /* defined by main.c, which tests do not link */

#define MAX_DG	  256
#define NFLOWS	  400
#define T_NOW_MS  1700000000000ull
#define FAIL_MID  5  /* in the middle of the first batch */
#define FAIL_HEAD 32 /* the first of a batch: sendmmsg() returns -1 */

static struct {
	__u8 data[MAX_DG][1500];
	size_t len[MAX_DG];
	unsigned int n;	    /* datagrams on the wire */
	unsigned int tries; /* datagrams offered, counting retries */
	unsigned int calls;
	/* datagrams by their order of first offer: fail every time, or the
	 * first time only (a pending ICMP error, cleared by the send) */
	int fail_always[2], fail_once;
	int err;
	unsigned int offered; /* distinct datagrams offered so far */
	const void *last_base;
} wire;

static void wire_reset(void)
{
	memset(&wire, 0, sizeof(wire));
	wire.fail_always[0] = wire.fail_always[1] = wire.fail_once = -1;
}

/* Which datagram this is, by order of first offer (a retry offers the same
 * buffer again right after the failure). */
static int datagram_no(const struct iovec *v, bool *retry)
{
	*retry = v->iov_base == wire.last_base && wire.offered;
	if (!*retry)
		wire.offered++;
	wire.last_base = v->iov_base;
	return wire.offered - 1;
}

int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	unsigned int i;

	(void)fd;
	(void)flags;
	wire.calls++;
	for (i = 0; i < vlen; i++) {
		const struct iovec *v = vec[i].msg_hdr.msg_iov;
		bool retry;
		int no = datagram_no(v, &retry);

		wire.tries++;
		if (no == wire.fail_always[0] || no == wire.fail_always[1] ||
		    (no == wire.fail_once && !retry)) {
			wire.last_base = v->iov_base;
			if (i)
				return i; /* the kernel drops the error */
			errno = wire.err;
			return -1;
		}
		wire.last_base = NULL; /* sent: a later offer is new */
		assert_true(wire.n < MAX_DG);
		memcpy(wire.data[wire.n], v->iov_base, v->iov_len);
		wire.len[wire.n++] = v->iov_len;
		vec[i].msg_len = v->iov_len;
	}
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

static void mk_flows(void)
{
	unsigned int i;

	for (i = 0; i < NFLOWS; i++) {
		struct fg_flow_key *k = &keys[i];

		memset(k, 0, sizeof(*k));
		k->ifindex = 3;
		k->ip_ver = 4;
		k->proto = 17;
		k->src[10] = k->src[11] = k->dst[10] = k->dst[11] = 0xff;
		k->src[12] = 192, k->src[14] = 2, k->src[15] = 1;
		k->dst[12] = 198, k->dst[13] = 51, k->dst[14] = 100;
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
	unsigned int n;
	struct fg_exp_outstats st;
	char log[4096];
	bool tmpl_next; /* the next sweep's first datagram opens with them */
};

static void run(struct run *r, int fail_a, int fail_b, int fail_once, int err)
{
	struct fg_exp_settings s;
	struct ipfix_layout l;
	struct fg_out *o;
	FILE *log = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(log);
	wire_reset();
	wire.fail_always[0] = fail_a;
	wire.fail_always[1] = fail_b;
	wire.fail_once = fail_once;
	wire.err = err;
	fflush(stderr);
	dup2(fileno(log), 2);
	o = open_out(&s, &l);
	sweep(o, NFLOWS, T_NOW_MS);
	r->n = wire.n;
	memcpy(r->data, wire.data, sizeof(r->data));
	memcpy(r->len, wire.len, sizeof(r->len));
	r->st = *fg_out_stats(o);
	/* the next sweep, one second later: templates only when due */
	wire_reset();
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

static void test_reference(void **state)
{
	(void)state;
	mk_flows();
	run(&ref, -1, -1, -1, 0);
	assert_true(ref.n > FAIL_HEAD + 8);
	assert_true(ref.n < MAX_DG);
	assert_int_equal(ref.st.messages, ref.n);
	assert_int_equal(ref.st.records, NFLOWS);
	assert_int_equal(ref.st.lost_records, 0);
	assert_int_equal(ref.log[0], '\0');
	/* the first datagram opens with the templates; none a second later */
	assert_int_equal(get32(ref.data[0] + 16) >> 16, 2);
	assert_false(ref.tmpl_next);
	/* fewer system calls than datagrams */
	assert_true(wire.calls < ref.n);
}

/* Two datagrams fail for good: one in the middle of a batch, one at the
 * head of the next. */
static void test_fail_in_batch(void **state)
{
	unsigned int i, j = 0;
	__u64 lost = 0;

	(void)state;
	lost = ref_records(FAIL_MID) + ref_records(FAIL_HEAD);
	run(&got, FAIL_MID, FAIL_HEAD, -1, EPERM);
	/* every other datagram, byte for byte, in order */
	assert_int_equal(got.n, ref.n - 2);
	for (i = 0; i < ref.n; i++) {
		if (i == FAIL_MID || i == FAIL_HEAD)
			continue;
		assert_int_equal(got.len[j], ref.len[i]);
		assert_memory_equal(got.data[j], ref.data[i], ref.len[i]);
		j++;
	}
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
}

/* A one-shot error (a pending ICMP error, cleared by the send that meets
 * it) in the middle of a batch: the kernel does not report it, the
 * datagram goes on the next call; templates are due all the same. */
static void test_one_shot_in_batch(void **state)
{
	unsigned int i;

	(void)state;
	run(&got, -1, -1, FAIL_MID, ECONNREFUSED);
	assert_int_equal(got.n, ref.n);
	for (i = 0; i < ref.n; i++)
		assert_memory_equal(got.data[i], ref.data[i], ref.len[i]);
	assert_int_equal(got.st.messages, ref.n);
	assert_int_equal(got.st.lost_records, 0);
	assert_true(got.tmpl_next);
}

/* The same error as the first of a call: reported, the datagram lost. */
static void test_one_shot_at_head(void **state)
{
	unsigned int i, j = 0;

	(void)state;
	run(&got, -1, -1, FAIL_HEAD, ECONNREFUSED);
	assert_int_equal(got.n, ref.n - 1);
	for (i = 0; i < ref.n; i++)
		if (i != FAIL_HEAD)
			assert_memory_equal(got.data[j++], ref.data[i],
					    ref.len[i]);
	assert_int_equal(got.st.lost_records, ref_records(FAIL_HEAD));
	assert_int_equal(count(got.log, "(Connection refused)"), 1);
	assert_true(got.tmpl_next);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference), /* first: the others use it */
		cmocka_unit_test(test_fail_in_batch),
		cmocka_unit_test(test_one_shot_in_batch),
		cmocka_unit_test(test_one_shot_at_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
