// SPDX-License-Identifier: GPL-2.0
/*
 * pps_tx: the traffic source and the baseline loader of bench/pps.sh.
 *
 *   pps_tx send -i IF [-n N] [-b BATCH] [-k syn-fin|udp] [-F NFLOWS]
 *               [-s SRCMAC] [-d DSTMAC] [-o TX_OBJ]
 *	Sends N copies of one frame out of IF (run it in IF's namespace) with
 *	BPF_PROG_TEST_RUN in live-frames mode: a program that returns XDP_TX
 *	runs on each copy, which the kernel then transmits on the ctx_in
 *	ingress interface; on a veth it lands on the peer, whose XDP program
 *	is the one measured. Prints {"sent":N,"ns":T,"cpu_ns":C}: wall
 *	time of the syscall, which on veth also includes the peer's NAPI (it
 *	runs in this CPU's softirq when each batch is flushed), and this
 *	thread's CPU time over it, which includes that softirq too on a
 *	kernel without IRQ time accounting, and not time lost to other
 *	tasks on the CPU.
 *   pps_tx attach -i IF -o OBJ -p PROG
 *	Loads OBJ and attaches its program PROG in native mode on IF with
 *	bpf_xdp_attach(); it stays attached when pps_tx exits.
 *   pps_tx detach -i IF
 *   pps_tx count -i IF
 *	Sum over CPUs of entry 0 of the map "cnt" of the program attached
 *	on IF (the counting baselines of drop_xdp.bpf.c).
 *
 * Frames: Ethernet + IPv4 192.0.2.1 -> 192.0.2.2 + TCP SYN+FIN (dropped by
 * flowgate's tcp-flags check after the whole parse) or a valid UDP
 * datagram (passed), 60 bytes on the wire without the FCS.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define FRAME_LEN 60

struct opts {
	const char *ifname;
	const char *obj;
	const char *prog;
	const char *kind;
	unsigned long long n;
	unsigned int batch;
	unsigned int nflows;
	unsigned char src[ETH_ALEN];
	unsigned char dst[ETH_ALEN];
	int ifindex;
};

static int usage(void)
{
	fprintf(stderr,
		"usage: pps_tx send -i IF [-n N] [-b BATCH] [-k syn-fin|udp] "
		"[-F NFLOWS] [-s SRCMAC] [-d DSTMAC] [-o TX_OBJ]\n"
		"       pps_tx attach -i IF -o OBJ -p PROG\n"
		"       pps_tx detach -i IF\n"
		"       pps_tx count -i IF\n");
	return 2;
}

static int parse_mac(const char *s, unsigned char *mac)
{
	unsigned int b[ETH_ALEN];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != ETH_ALEN)
		return -EINVAL;
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = b[i];
	return 0;
}

static __u16 ip_csum(const void *hdr, int len)
{
	const __u16 *w = hdr;
	__u32 sum = 0;

	while (len > 1) {
		sum += *w++;
		len -= 2;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* One 60-byte frame; returns its length or -EINVAL for an unknown kind. */
static int build_frame(const struct opts *o, unsigned char *f)
{
	struct ethhdr *eth = (void *)f;
	struct iphdr *ip = (void *)(eth + 1);
	int tcp = !strcmp(o->kind, "syn-fin");

	if (!tcp && strcmp(o->kind, "udp"))
		return -EINVAL;
	memset(f, 0, FRAME_LEN);
	memcpy(eth->h_dest, o->dst, ETH_ALEN);
	memcpy(eth->h_source, o->src, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->saddr = htonl(0xc0000201); /* 192.0.2.1 */
	ip->daddr = htonl(0xc0000202); /* 192.0.2.2 */
	if (tcp) {
		struct tcphdr *th = (void *)(ip + 1);

		ip->protocol = IPPROTO_TCP;
		ip->tot_len = htons(sizeof(*ip) + sizeof(*th));
		th->source = htons(40000);
		th->dest = htons(80);
		th->seq = htonl(1);
		th->doff = 5;
		th->syn = 1;
		th->fin = 1; /* SYN+FIN: flowgate's tcp-flags check drops it */
		th->window = htons(1024);
	} else {
		struct udphdr *uh = (void *)(ip + 1);
		int payload =
			FRAME_LEN - sizeof(*eth) - sizeof(*ip) - sizeof(*uh);

		ip->protocol = IPPROTO_UDP;
		ip->tot_len = htons(sizeof(*ip) + sizeof(*uh) + payload);
		uh->source = htons(40000);
		uh->dest = htons(9);
		uh->len = htons(sizeof(*uh) + payload);
		uh->check = 0; /* none: valid for IPv4, and ports may change */
	}
	ip->check = ip_csum(ip, sizeof(*ip));
	return FRAME_LEN;
}

static int load_obj(const char *path, struct bpf_object **objp)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	int err = libbpf_get_error(obj);

	if (err) {
		fprintf(stderr, "pps_tx: cannot open %s: %s\n", path,
			strerror(-err));
		return err;
	}
	*objp = obj;
	return 0;
}

static long long ts_ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int cmd_send(const struct opts *o)
{
	unsigned char frame[FRAME_LEN];
	struct xdp_md ctx_in = {.data_end = FRAME_LEN,
				.ingress_ifindex = o->ifindex};
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct timespec t0, t1, c0, c1;
	struct bpf_map *rodata;
	long long ns, cpu;
	int err, len;

	len = build_frame(o, frame);
	if (len < 0) {
		fprintf(stderr, "pps_tx: unknown frame kind '%s'\n", o->kind);
		return 2;
	}
	if (o->n > UINT32_MAX || !o->n) {
		fprintf(stderr, "pps_tx: -n must be 1..%u\n", UINT32_MAX);
		return 2;
	}
	err = load_obj(o->obj, &obj);
	if (err)
		return 1;
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	if (rodata && o->nflows > 1) {
		__u32 nflows = o->nflows;

		/* nflows is the only rodata variable of tx_xdp.bpf.c */
		if (bpf_map__value_size(rodata) != sizeof(nflows) ||
		    bpf_map__set_initial_value(rodata, &nflows,
					       sizeof(nflows))) {
			fprintf(stderr, "pps_tx: unexpected rodata in %s\n",
				o->obj);
			goto fail;
		}
	}
	err = bpf_object__load(obj);
	prog = err ? NULL : bpf_object__find_program_by_name(obj, "tx_xdp");
	if (!prog) {
		fprintf(stderr, "pps_tx: cannot load tx_xdp from %s: %s\n",
			o->obj, strerror(err ? -err : ENOENT));
		goto fail;
	}
	{
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame,
			    .data_size_in = len, .ctx_in = &ctx_in,
			    .ctx_size_in = sizeof(ctx_in),
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .repeat = (__u32)o->n, .batch_size = o->batch);

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = bpf_prog_test_run_opts(bpf_program__fd(prog), &t);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	}
	if (err) {
		fprintf(stderr, "pps_tx: BPF_PROG_TEST_RUN: %s\n",
			strerror(errno));
		goto fail;
	}
	ns = ts_ns(&t1) - ts_ns(&t0);
	cpu = ts_ns(&c1) - ts_ns(&c0);
	printf("{\"sent\":%llu,\"ns\":%lld,\"cpu_ns\":%lld}\n", o->n, ns, cpu);
	bpf_object__close(obj);
	return 0;
fail:
	bpf_object__close(obj);
	return 1;
}

static int cmd_attach(const struct opts *o)
{
	struct bpf_object *obj;
	struct bpf_program *p, *prog = NULL;
	int err;

	if (!o->obj || !o->prog)
		return usage();
	if (load_obj(o->obj, &obj))
		return 1;
	/* Load only the program asked for. */
	bpf_object__for_each_program(p, obj)
	{
		int me = !strcmp(bpf_program__name(p), o->prog);

		bpf_program__set_autoload(p, me);
		if (me)
			prog = p;
	}
	if (!prog) {
		fprintf(stderr, "pps_tx: no program %s in %s\n", o->prog,
			o->obj);
		goto fail;
	}
	err = bpf_object__load(obj);
	if (!err)
		err = bpf_xdp_attach(
			o->ifindex, bpf_program__fd(prog),
			XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err) {
		fprintf(stderr, "pps_tx: cannot attach %s on %s: %s\n", o->prog,
			o->ifname, strerror(-err));
		goto fail;
	}
	bpf_object__close(obj); /* the link keeps the program */
	return 0;
fail:
	bpf_object__close(obj);
	return 1;
}

static int cmd_detach(const struct opts *o)
{
	int err = bpf_xdp_detach(o->ifindex, XDP_FLAGS_DRV_MODE, NULL);

	if (err) {
		fprintf(stderr, "pps_tx: detach from %s: %s\n", o->ifname,
			strerror(-err));
		return 1;
	}
	return 0;
}

/* fd of the map called name used by program prog_fd, or -ENOENT. */
static int prog_map_fd(int prog_fd, const char *name)
{
	struct bpf_prog_info info = {};
	__u32 ids[16], len = sizeof(info), i;
	int fd;

	info.nr_map_ids = 16;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	for (i = 0; i < info.nr_map_ids && i < 16; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);

		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &mi, &mlen) &&
		    !strcmp(mi.name, name))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

static int cmd_count(const struct opts *o)
{
	int ncpu = libbpf_num_possible_cpus(), prog_fd, map_fd, i;
	unsigned long long sum = 0;
	__u32 id = 0, key = 0;
	__u64 *vals;

	if (ncpu <= 0 || bpf_xdp_query_id(o->ifindex, 0, &id) || !id) {
		fprintf(stderr, "pps_tx: no XDP program on %s\n", o->ifname);
		return 1;
	}
	prog_fd = bpf_prog_get_fd_by_id(id);
	map_fd = prog_fd < 0 ? prog_fd : prog_map_fd(prog_fd, "cnt");
	if (map_fd < 0) {
		fprintf(stderr, "pps_tx: program %u on %s has no map 'cnt'\n",
			id, o->ifname);
		return 1;
	}
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals || bpf_map_lookup_elem(map_fd, &key, vals)) {
		fprintf(stderr, "pps_tx: cannot read 'cnt'\n");
		return 1;
	}
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	printf("%llu\n", sum);
	free(vals);
	close(map_fd);
	close(prog_fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.n = 1000000,
			 .batch = 64,
			 .kind = "syn-fin",
			 .nflows = 1,
			 .src = {2, 0, 0, 0, 0, 1},
			 .dst = {2, 0, 0, 0, 0, 2}};
	const char *cmd;
	int c;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "i:n:b:k:F:s:d:o:p:")) != -1) {
		switch (c) {
		case 'i':
			o.ifname = optarg;
			break;
		case 'n':
			o.n = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			o.batch = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			o.kind = optarg;
			break;
		case 'F':
			o.nflows = strtoul(optarg, NULL, 0);
			break;
		case 's':
			if (parse_mac(optarg, o.src))
				return usage();
			break;
		case 'd':
			if (parse_mac(optarg, o.dst))
				return usage();
			break;
		case 'o':
			o.obj = optarg;
			break;
		case 'p':
			o.prog = optarg;
			break;
		default:
			return usage();
		}
	}
	if (!o.ifname || optind != argc)
		return usage();
	o.ifindex = if_nametoindex(o.ifname);
	if (!o.ifindex) {
		fprintf(stderr, "pps_tx: no interface %s here\n", o.ifname);
		return 1;
	}
	if (!strcmp(cmd, "send")) {
		if (!o.obj)
			o.obj = "build/bench/tx_xdp.bpf.o";
		return cmd_send(&o);
	}
	if (!strcmp(cmd, "attach"))
		return cmd_attach(&o);
	if (!strcmp(cmd, "detach"))
		return cmd_detach(&o);
	if (!strcmp(cmd, "count"))
		return cmd_count(&o);
	return usage();
}
