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
 *	When the kernel refuses live frames (EPERM: seen on a 6.18 kernel
 *	under a lockdown/BPF LSM), or with -m packet, it sends the same
 *	frames with an AF_PACKET socket instead: PACKET_QDISC_BYPASS and
 *	sendmmsg() of BATCH frames, so each frame goes straight to
 *	veth_xmit and the peer's NAPI again runs in this CPU's softirq (pin
 *	the sender to the receiver's CPU). Slower per frame (an skb each,
 *	and veth copies it into an XDP buffer), the same for every program
 *	measured. The JSON names the sender: "sender":"live" or "packet".
 *	-S NSRC: the frames' sources cycle through NSRC addresses of
 *	198.18.0.0/15 (RFC 2544's benchmarking block; with -F, NSRC x NFLOWS
 *	distinct flows), packet sender only. Kinds: syn-fin, udp, port0 (UDP
 *	to port 0: policy drop), csum (bad IPv4 header checksum: malformed).
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
#define _GNU_SOURCE /* sendmmsg */
#include <errno.h>
#include <getopt.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
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
	unsigned int nsrc;
	const char *mode; /* auto, live, packet */
	unsigned char src[ETH_ALEN];
	unsigned char dst[ETH_ALEN];
	int ifindex;
};

static int usage(void)
{
	fprintf(stderr,
		"usage: pps_tx send -i IF [-n N] [-b BATCH] "
		"[-k syn-fin|udp|port0|csum] [-F NFLOWS] [-S NSRC] "
		"[-m auto|live|packet] [-s SRCMAC] [-d DSTMAC] [-o TX_OBJ]\n"
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

static long long ts_ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
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
	int port0 = !strcmp(o->kind, "port0"), csum = !strcmp(o->kind, "csum");

	if (!tcp && !port0 && !csum && strcmp(o->kind, "udp"))
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
		uh->dest = htons(port0 ? 0 : 9);
		uh->len = htons(sizeof(*uh) + payload);
		uh->check = 0; /* none: valid for IPv4, and ports may change */
	}
	ip->check = ip_csum(ip, sizeof(*ip));
	if (csum)
		ip->check ^= htons(0x5a5a);
	return FRAME_LEN;
}

/* Frame i of the packet sender's cycle: source port 40000 + i % nflows
 * (as tx_xdp.bpf.c), source address 198.18.x.y for i / nflows % nsrc. */
static void vary_frame(const struct opts *o, unsigned char *f, __u64 i)
{
	struct iphdr *ip = (void *)(f + sizeof(struct ethhdr));
	__u16 *sport = (void *)(ip + 1);
	__u32 s = (__u32)(i / o->nflows % o->nsrc);

	*sport = htons(40000 + (__u32)(i % o->nflows));
	if (o->nsrc > 1) {
		int bad = !strcmp(o->kind, "csum");

		ip->saddr = htonl(0xc6120000 + s); /* 198.18.0.0/15 */
		ip->check = 0;
		ip->check = ip_csum(ip, sizeof(*ip));
		if (bad)
			ip->check ^= htons(0x5a5a);
	}
	/* TCP's checksum is not checked by the receiver's XDP; UDP's is
	 * 0 (none). */
}

/*
 * The packet sender: the whole cycle of distinct frames built once, then
 * sendmmsg() of batch frames at a time over it.
 */
static int send_packet(const struct opts *o, const unsigned char *frame,
		       int len)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_ifindex = o->ifindex,
				  .sll_halen = ETH_ALEN};
	__u64 cycle = (__u64)o->nflows * o->nsrc, i, sent = 0;
	unsigned int batch = o->batch ? o->batch : 64, b;
	struct timespec t0, t1, c0, c1;
	struct mmsghdr *msg = NULL;
	struct iovec *iov = NULL;
	unsigned char *frames;
	int fd, one = 1, rc = 1;

	if (cycle > (1u << 21)) {
		fprintf(stderr, "pps_tx: -F x -S at most %u frames\n",
			1u << 21);
		return 2;
	}
	frames = malloc(cycle * len);
	msg = calloc(batch, sizeof(*msg));
	iov = calloc(batch, sizeof(*iov));
	fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: receives nothing */
	if (!frames || !msg || !iov || fd < 0) {
		fprintf(stderr, "pps_tx: packet socket: %s\n", strerror(errno));
		goto out;
	}
	for (i = 0; i < cycle; i++) {
		memcpy(frames + i * len, frame, len);
		vary_frame(o, frames + i * len, i);
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
		       sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "pps_tx: packet socket on %s: %s\n", o->ifname,
			strerror(errno));
		goto out;
	}
	for (b = 0; b < batch; b++) {
		msg[b].msg_hdr.msg_iov = &iov[b];
		msg[b].msg_hdr.msg_iovlen = 1;
		iov[b].iov_len = len;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < o->n) {
		unsigned int n = o->n - sent < batch ? o->n - sent : batch;
		int r;

		for (b = 0; b < n; b++)
			iov[b].iov_base = frames + (sent + b) % cycle * len;
		r = sendmmsg(fd, msg, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			fprintf(stderr, "pps_tx: sendmmsg: %s\n",
				strerror(errno));
			goto out;
		}
		sent += r;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	printf("{\"sent\":%llu,\"ns\":%lld,\"cpu_ns\":%lld,"
	       "\"sender\":\"packet\"}\n",
	       (unsigned long long)sent, ts_ns(&t1) - ts_ns(&t0),
	       ts_ns(&c1) - ts_ns(&c0));
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(frames);
	free(msg);
	free(iov);
	return rc;
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
	if (!strcmp(o->mode, "packet"))
		return send_packet(o, frame, len);
	if (o->nsrc > 1) {
		fprintf(stderr,
			"pps_tx: -S needs the packet sender (-m packet)\n");
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
	if (err && errno == EPERM && !strcmp(o->mode, "auto")) {
		bpf_object__close(obj);
		return send_packet(o, frame, len);
	}
	if (err) {
		fprintf(stderr, "pps_tx: BPF_PROG_TEST_RUN: %s\n",
			strerror(errno));
		goto fail;
	}
	ns = ts_ns(&t1) - ts_ns(&t0);
	cpu = ts_ns(&c1) - ts_ns(&c0);
	printf("{\"sent\":%llu,\"ns\":%lld,\"cpu_ns\":%lld,"
	       "\"sender\":\"live\"}\n",
	       o->n, ns, cpu);
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
			 .nsrc = 1,
			 .mode = "auto",
			 .src = {2, 0, 0, 0, 0, 1},
			 .dst = {2, 0, 0, 0, 0, 2}};
	const char *cmd;
	int c;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "i:n:b:k:F:S:m:s:d:o:p:")) != -1) {
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
		case 'S':
			o.nsrc = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			o.mode = optarg;
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
	if (!o.ifname || optind != argc || !o.nflows || !o.nsrc ||
	    (strcmp(o.mode, "auto") && strcmp(o.mode, "live") &&
	     strcmp(o.mode, "packet")))
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
