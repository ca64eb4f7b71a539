// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fg_take, replay's lookups and deletes by list (include/fg_replay.h), on
 * the flow table as replay loads it (a shared hash): every entry found or
 * not with its exact value, deletes done in list order (a flow deleted
 * earlier in the list is not found later in it), the other flows left as
 * they were, an idle-test delete exactly at the exporter's boundary, and a
 * count past the buffer stopping at its end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg_common.h"
#include "fg_replay.h"
#include "flowgate_xdp.skel.h"
#include "fgtest.h"

#define NBUF   8 /* entries of fg_take_buf in this test */
#define NFLOWS 5

static struct flowgate_xdp *skel;
static struct fg_take *buf;
static int flows_fd, take_fd;

static struct fg_flow_key key_of(int i)
{
	struct fg_flow_key k = {.ifindex = 1, .ip_ver = 4, .proto = 17};

	k.src[10] = k.src[11] = k.dst[10] = k.dst[11] = 0xff;
	k.src[12] = 192, k.src[14] = 2, k.src[15] = (__u8)i;
	k.dst[12] = 198, k.dst[13] = 51, k.dst[14] = 100, k.dst[15] = 1;
	k.sport = htons(1000 + i);
	k.dport = htons(53);
	return k;
}

static struct fg_flow_val val_of(int i)
{
	return (struct fg_flow_val){.packets = 10 + i,
				    .octets = 1000 * (i + 1),
				    .first_ns = 100 + i,
				    .last_ns = 200 + i,
				    .tcp_flags = (__u8)i,
				    .ttl_min = 60,
				    .ttl_max = (__u8)(64 + i),
				    .rule_id = (__u32)i};
}

static int setup(void)
{
	size_t sz = NBUF * sizeof(struct fg_take);
	long page = sysconf(_SC_PAGESIZE);
	int err;

	skel = flowgate_xdp__open();
	if (!skel)
		return -errno;
	bpf_program__set_autoload(skel->progs.fg_xdp, false);
	bpf_program__set_autoload(skel->progs.fg_take, true);
	err = bpf_map__set_type(skel->maps.fg_flows, BPF_MAP_TYPE_HASH);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.fg_take_buf, NBUF);
	if (!err)
		err = flowgate_xdp__load(skel);
	if (err)
		return err;
	flows_fd = bpf_map__fd(skel->maps.fg_flows);
	take_fd = bpf_program__fd(skel->progs.fg_take);
	buf = mmap(NULL, (sz + page - 1) / page * page, PROT_READ | PROT_WRITE,
		   MAP_SHARED, bpf_map__fd(skel->maps.fg_take_buf), 0);
	return buf == MAP_FAILED ? -errno : 0;
}

static int fill(void)
{
	struct fg_flow_key k;
	struct fg_flow_val v;
	int i;

	for (i = 0; i < NFLOWS; i++) {
		k = key_of(i);
		v = val_of(i);
		if (bpf_map_update_elem(flows_fd, &k, &v, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int run_at(__u32 count, __u64 now_ns, __u64 idle_ns)
{
	struct fg_take_args a = {count, 0, now_ns, idle_ns};
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &a,
		    .ctx_size_in = sizeof(a));
	int err = bpf_prog_test_run_opts(take_fd, &o);

	return err ? err : (int)o.retval;
}

static int run(__u32 count)
{
	return run_at(count, 0, 0);
}

static void put(int slot, int flow, __u32 op)
{
	memset(&buf[slot], 0xa5, sizeof(buf[slot])); /* no stale value */
	buf[slot].key = key_of(flow);
	buf[slot].op = op;
}

static bool found_as(int slot, int flow, const char *what)
{
	struct fg_flow_val v = val_of(flow);

	return fgt_ok((buf[slot].op & FG_TAKE_FOUND) &&
			      !memcmp(&buf[slot].val, &v, sizeof(v)),
		      "%s: found with its exact value", what);
}

static bool in_table(int flow)
{
	struct fg_flow_key k = key_of(flow);
	struct fg_flow_val v;

	return !bpf_map_lookup_elem(flows_fd, &k, &v);
}

static void test_list(void)
{
	fgt_ok(!fill(), "five flows in the table");
	put(0, 0, FG_TAKE_LOOKUP);
	put(1, 1, FG_TAKE_DELETE);
	put(2, 99, FG_TAKE_LOOKUP);
	put(3, 98, FG_TAKE_DELETE);
	put(4, 1, FG_TAKE_LOOKUP); /* deleted at slot 1 */
	put(5, 2, FG_TAKE_DELETE);
	put(6, 3, FG_TAKE_LOOKUP);
	fgt_ok(run(7) == 0, "one run does a list of seven");
	found_as(0, 0, "lookup of a flow");
	found_as(1, 1, "delete of a flow");
	fgt_ok(buf[2].op == FG_TAKE_LOOKUP, "lookup of a missing flow: "
					    "not found, op as it was");
	fgt_ok(buf[3].op == FG_TAKE_DELETE, "delete of a missing flow: "
					    "not found");
	fgt_ok(buf[4].op == FG_TAKE_LOOKUP,
	       "a flow deleted earlier in the list is not found later");
	found_as(5, 2, "second delete");
	found_as(6, 3, "lookup after deletes");
	fgt_ok(in_table(0) && in_table(3) && in_table(4),
	       "flows looked up or not listed stay");
	fgt_ok(!in_table(1) && !in_table(2), "deleted flows are gone");
}

/* Flow 3 was last seen at 203, flow 4 at 204: at now 213 with idle 10,
 * flow 3 is idle (203 + 10 <= 213), flow 4 is not. */
static void test_idle(void)
{
	put(0, 3, FG_TAKE_IDLE);
	put(1, 4, FG_TAKE_IDLE);
	put(2, 97, FG_TAKE_IDLE);
	fgt_ok(run_at(3, 213, 10) == 0, "idle test: one run");
	fgt_ok(buf[0].op == (FG_TAKE_IDLE | FG_TAKE_FOUND | FG_TAKE_DELETED) &&
		       !in_table(3),
	       "idle test: a flow idle exactly at the boundary is deleted");
	found_as(0, 3, "idle test: the deleted flow");
	fgt_ok(buf[1].op == (FG_TAKE_IDLE | FG_TAKE_FOUND) && in_table(4),
	       "idle test: a flow seen within the timeout stays");
	found_as(1, 4, "idle test: the flow that stays");
	fgt_ok(buf[2].op == FG_TAKE_IDLE, "idle test: a missing flow");
}

static void test_bounds(void)
{
	int i;

	for (i = 0; i < NBUF; i++)
		put(i, 4, FG_TAKE_LOOKUP);
	fgt_ok(run(0) == 0 && buf[0].op == FG_TAKE_LOOKUP,
	       "count 0: nothing done");
	fgt_ok(run(NBUF + 100) == 0, "a count past the buffer runs");
	for (i = 0; i < NBUF && (buf[i].op & FG_TAKE_FOUND); i++)
		;
	fgt_ok(i == NBUF, "... and does every entry up to its end");
}

int main(void)
{
	int err = setup();

	if (err) {
		fgt_ok(false, "load fg_take with a shared flow table: %s",
		       strerror(-err));
		return fgt_done();
	}
	test_list();
	test_idle();
	test_bounds();
	flowgate_xdp__destroy(skel);
	return fgt_done();
}
