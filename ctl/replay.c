// SPDX-License-Identifier: GPL-2.0
/*
 * replay PCAP: run every packet of a pcap or pcapng file through fg_xdp
 * with BPF_PROG_TEST_RUN and report the verdicts. The program comes from
 * the embedded skeleton with private, unpinned maps, so replay needs no
 * bpffs and neither reads nor changes the state of `attach`; its empty
 * config map is the default profile.
 *
 * Two kinds of frame cannot go through the test run; both are reported
 * without aborting:
 *  - frames shorter than an Ethernet header, which the kernel refuses
 *    (EINVAL), are judged by the same parser built for the host
 *    (fg_parse.h) with the same empty config: eth-trunc, or pass when the
 *    capture cut a longer frame, as the program would say;
 *  - frames longer than the test run's linear area (a page minus the XDP
 *    headroom and the skb_shared_info tailroom, about 3.5 KB with 4 KB
 *    pages): older kernels refuse them (EINVAL), newer ones put the rest
 *    in XDP frags, which fg_xdp does not read. Replay hands the program
 *    the first linear_max bytes and the frame's real length in
 *    fg_wire_len, exactly as for a snaplen cut: the headers are all in
 *    those bytes, and a length field is checked against the real length.
 * A frame cut by the capture's snaplen is judged the same way, by the
 * wire length replay writes to fg_wire_len.
 *
 * With -j every packet gets one JSON line, then a summary line. A capture
 * that turns out truncated mid-record fails with an Error line and exit 1
 * after the lines of the packets before it were printed: they are true
 * verdicts, and the failure is what the exit code and stderr say.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
/* pcap/bpf.h redefines what linux/bpf.h defines (struct bpf_insn...);
 * the DLT_ values it would bring come from pcap/dlt.h directly. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include "fg.h"
#include "fg_parse.h"
#include "flowgate_xdp.skel.h"

/* Counters are taken as if every packet arrived on lo, an interface that
 * exists everywhere, so that they are well defined (and cross-checked). */
#define REPLAY_IFINDEX 1
/* XDP_PACKET_HEADROOM, and SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
 * on 64-bit kernels: the linear area of a test run, when the kernel cannot
 * be asked (see probe_linear()). */
#define REPLAY_HEADROOM 256
#define REPLAY_TAILROOM 320

#define SLL_HLEN       16
#define SLL_PROTO_OFF  14
#define SLL2_HLEN      20
#define SLL2_PROTO_OFF 0

struct replay {
	const char *path;
	pcap_t *pcap;
	int dlt;
	struct flowgate_xdp *skel;
	int prog_fd;
	__u32 linear_max; /* longest frame the program sees whole */
	__u8 *buf;	  /* synthetic Ethernet header + frame */
	size_t buf_size;
	__u64 index; /* packets read so far; the current one, 1-based */
	__u64 passed, dropped;
	__u64 drops[FG_R_MAX];
	/* What went through the program, to check its counters against. */
	__u64 prog_run, prog_passed;
	__u64 prog_drops[FG_R_MAX];
	struct timespec start, last_progress;
	bool progress_shown;
};

static int parse_args(int argc, char **argv, const char **path)
{
	if (argc < 1)
		return fg_usage("replay needs a capture file: replay PCAP");
	if (argc > 1)
		return fg_usage("unexpected argument '%s' (usage: replay PCAP)",
				argv[1]);
	if (argv[0][0] == '-' && argv[0][1])
		return fg_usage("unknown option '%s' (usage: replay PCAP)",
				argv[0]);
	*path = argv[0];
	return 0;
}

static bool link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return true;
	default:
		return false;
	}
}

static int open_capture(struct replay *r)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	const char *name;
	FILE *f;

	/* fopen() ourselves: libpcap's message would repeat the path. */
	f = fopen(r->path, "rb");
	if (!f)
		return fg_error(-errno, "%s: %s", r->path, strerror(errno));
	r->pcap = pcap_fopen_offline(f, errbuf);
	if (!r->pcap) {
		fclose(f);
		if (!strcmp(errbuf, "unknown file format"))
			return fg_error(-EINVAL,
					"%s: not a pcap or pcapng capture",
					r->path);
		return fg_error(-EINVAL, "%s: cannot read capture: %s", r->path,
				errbuf);
	}
	r->dlt = pcap_datalink(r->pcap);
	if (link_supported(r->dlt))
		return 0;
	name = pcap_datalink_val_to_name(r->dlt);
	return fg_error(-EOPNOTSUPP,
			"%s: link type %s (%d) is not supported (Ethernet, "
			"Linux cooked SLL/SLL2 and raw IP are)",
			r->path, name ? name : "unknown", r->dlt);
}

/*
 * How long a frame the program sees whole: one run of a page-sized
 * non-IP frame, whose linear part the kernel reports in the output
 * context. The counters that run leaves are removed again. A kernel that
 * refuses the frame (no frags in test runs) takes the linear area alone.
 */
static int probe_linear(struct replay *r)
{
	long page = sysconf(_SC_PAGESIZE);
	struct xdp_md ctx = {.ingress_ifindex = REPLAY_IFINDEX};
	struct xdp_md out = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	__u32 key = REPLAY_IFINDEX;
	__u8 *frame;
	int err;

	if (page <= REPLAY_HEADROOM + REPLAY_TAILROOM + ETH_HLEN)
		page = 4096;
	frame = calloc(1, page); /* EtherType 0: not IP, passes */
	if (!frame)
		return fg_error(-ENOMEM, "out of memory");
	ctx.data_end = page;
	opts.data_in = frame;
	opts.data_size_in = page;
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	opts.ctx_out = &out;
	opts.ctx_size_out = sizeof(out);
	opts.repeat = 1;
	err = bpf_prog_test_run_opts(r->prog_fd, &opts);
	free(frame);
	if (err == -EINVAL) {
		r->linear_max = page - REPLAY_HEADROOM - REPLAY_TAILROOM;
		return 0;
	}
	if (err)
		return fg_error(err, "BPF_PROG_TEST_RUN failed: %s",
				fg_strerr(err));
	r->linear_max = out.data_end - out.data;
	if (r->linear_max < ETH_HLEN || r->linear_max > page)
		return fg_error(-ERANGE,
				"BPF_PROG_TEST_RUN: unexpected linear area of "
				"%u bytes",
				r->linear_max);
	bpf_map_delete_elem(bpf_map__fd(r->skel->maps.fg_ifstats), &key);
	return 0;
}

static int load_program(struct replay *r)
{
	int err;

	err = fg_check_caps(FG_NEED_BPF | FG_NEED_NET_ADMIN);
	if (err)
		return err;
	r->skel = flowgate_xdp__open();
	if (!r->skel)
		return fg_error(-errno, "cannot open the XDP program: %s",
				fg_strerr(-errno));
	r->skel->rodata->fg_record_last = 1;
	err = flowgate_xdp__load(r->skel);
	if (err)
		return fg_error(err, "cannot load the XDP program: %s",
				fg_strerr(err));
	r->prog_fd = bpf_program__fd(r->skel->progs.fg_xdp);
	return probe_linear(r);
}

/* Room for a synthetic Ethernet header and len more bytes. */
static int buf_reserve(struct replay *r, size_t len)
{
	size_t need = ETH_HLEN + len;
	__u8 *p;

	if (need <= r->buf_size)
		return 0;
	p = realloc(r->buf, need);
	if (!p)
		return fg_error(-ENOMEM, "out of memory");
	r->buf = p;
	r->buf_size = need;
	return 0;
}

/* EtherType of a raw IP packet: the version nibble says, else the link. */
static __u16 raw_ethertype(int dlt, const __u8 *ip, __u32 len)
{
	if (dlt == DLT_IPV6)
		return ETH_P_IPV6;
	if (dlt == DLT_RAW && len && ip[0] >> 4 == 6)
		return ETH_P_IPV6;
	/* IPv4, and what is neither: the program flags a bad version. */
	return ETH_P_IP;
}

/*
 * The frame as fg_xdp is to see it: Ethernet as captured; other link
 * types get their link header replaced by a synthetic Ethernet header
 * carrying the same protocol (for cooked VLAN frames the protocol is
 * passed through as it is), built in r->buf. *len is what was captured,
 * *wire the packet's length on the wire.
 */
static int build_frame(struct replay *r, const struct pcap_pkthdr *h,
		       const __u8 *data, const __u8 **frame, __u32 *len,
		       __u32 *wire)
{
	static const __u8 macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	__u32 hlen = 0, cap = h->caplen, orig = h->len;
	__u8 *eth;
	__u16 proto;
	int err;

	if (r->dlt == DLT_EN10MB) {
		*frame = data;
		*len = cap;
		*wire = orig;
		return 0;
	}
	if (r->dlt == DLT_LINUX_SLL)
		hlen = SLL_HLEN;
	else if (r->dlt == DLT_LINUX_SLL2)
		hlen = SLL2_HLEN;
	/* A frame that ends inside its link header is an empty Ethernet
	 * frame: "shorter than an Ethernet header" is the truth. */
	if (cap < hlen) {
		*frame = data;
		*len = *wire = 0;
		return 0;
	}
	if (r->dlt == DLT_LINUX_SLL)
		proto = data[SLL_PROTO_OFF] << 8 | data[SLL_PROTO_OFF + 1];
	else if (r->dlt == DLT_LINUX_SLL2)
		proto = data[SLL2_PROTO_OFF] << 8 | data[SLL2_PROTO_OFF + 1];
	else
		proto = raw_ethertype(r->dlt, data, cap);
	err = buf_reserve(r, cap - hlen);
	if (err)
		return err;
	eth = r->buf;
	memcpy(eth, macs, sizeof(macs));
	eth[12] = proto >> 8;
	eth[13] = proto & 0xff;
	memcpy(eth + ETH_HLEN, data + hlen, cap - hlen);
	*frame = eth;
	*len = ETH_HLEN + cap - hlen;
	*wire = orig > hlen ? ETH_HLEN + orig - hlen : *len;
	return 0;
}

static void print_packet(__u64 index, const char *verdict, const char *reason)
{
	if (!fg_opts.json)
		return;
	out_line_begin();
	out_u64("index", index);
	out_str("verdict", verdict);
	if (reason)
		out_str("reason", reason);
	out_line_end();
}

/* One BPF_PROG_TEST_RUN. The verdict comes back in .bss, which is
 * mmapped: no syscall but the run itself. */
static int run_frame(struct replay *r, const __u8 *frame, __u32 len, __u32 wire,
		     __u32 *reason)
{
	struct xdp_md ctx = {.ingress_ifindex = REPLAY_IFINDEX};
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	__u32 retval;
	int err;

	ctx.data_end = len;
	opts.data_in = frame;
	opts.data_size_in = len;
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	opts.repeat = 1;
	/* A frame cut by the capture's snaplen is judged by its length on
	 * the wire: a header that was not captured is no truncation. */
	r->skel->bss->fg_wire_len = wire > len ? wire : 0;
	r->skel->bss->fg_last_reason = FG_R_MAX; /* sentinel: not recorded */
	err = bpf_prog_test_run_opts(r->prog_fd, &opts);
	if (err)
		return fg_error(err,
				"%s: packet %llu: BPF_PROG_TEST_RUN failed: %s",
				r->path, (unsigned long long)r->index,
				fg_strerr(err));
	*reason = r->skel->bss->fg_last_reason;
	retval = opts.retval;
	if (*reason >= FG_R_MAX || (retval != XDP_PASS && retval != XDP_DROP) ||
	    (retval == XDP_DROP) != (*reason != FG_R_NONE))
		return fg_error(-EPROTO,
				"%s: packet %llu: inconsistent verdict: "
				"return code %u, reason %u",
				r->path, (unsigned long long)r->index, retval,
				*reason);
	r->prog_run++;
	if (*reason)
		r->prog_drops[*reason]++;
	else
		r->prog_passed++;
	return 0;
}

/* A frame the test run refuses for being short, judged on the host by
 * the same parser and the same (default) config. */
static __u32 host_verdict(const __u8 *frame, __u32 len, __u32 wire)
{
	static const struct fg_config cfg;
	struct fg_pkt p;

	fg_parse_wire(frame, frame + len, wire, &cfg, &p);
	return p.reason;
}

static int replay_one(struct replay *r, const struct pcap_pkthdr *h,
		      const __u8 *data)
{
	const __u8 *frame;
	__u32 len, wire, reason = 0;
	int err;

	err = build_frame(r, h, data, &frame, &len, &wire);
	if (err)
		return err;
	if (len > r->linear_max) {
		if (wire < len)
			wire = len;
		len = r->linear_max;
	}
	if (len < ETH_HLEN)
		reason = host_verdict(frame, len, wire);
	else
		err = run_frame(r, frame, len, wire, &reason);
	if (err)
		return err;
	if (reason == FG_R_NONE) {
		r->passed++;
		print_packet(r->index, "pass", NULL);
	} else {
		r->dropped++;
		r->drops[reason]++;
		print_packet(r->index, "drop", fg_reason_name(reason));
	}
	return 0;
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* A long replay says how far it got, on a terminal only and never on
 * stdout, so that what stdout carries stays deterministic. The clock is
 * read through the vDSO, every 1024 packets. */
static void progress(struct replay *r, bool done)
{
	struct timespec now;

	if (done) {
		if (r->progress_shown)
			fputs("\r\033[K", stderr);
		return;
	}
	if (r->index % 1024 || !isatty(STDERR_FILENO))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (elapsed(&r->start, &now) < 2 ||
	    (r->progress_shown && elapsed(&r->last_progress, &now) < 1))
		return;
	fprintf(stderr, "\rreplayed %llu packets",
		(unsigned long long)r->index);
	r->last_progress = now;
	r->progress_shown = true;
}

static int read_error(struct replay *r)
{
	const char *msg = pcap_geterr(r->pcap);
	unsigned long long n = r->index + 1;

	fflush(stdout); /* the lines of the packets before it come first */
	if (strstr(msg, "truncated"))
		return fg_error(-EIO, "%s: truncated capture at packet %llu",
				r->path, n);
	return fg_error(-EIO, "%s: cannot read packet %llu: %s", r->path, n,
			msg);
}

static int replay_all(struct replay *r)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int ret, err = 0;

	clock_gettime(CLOCK_MONOTONIC, &r->start);
	while (!err) {
		ret = pcap_next_ex(r->pcap, &h, &data);
		if (ret == PCAP_ERROR_BREAK)
			break; /* end of file */
		if (ret != 1) {
			err = read_error(r);
			break;
		}
		r->index++;
		err = replay_one(r, h, data);
		progress(r, false);
	}
	progress(r, true);
	return err;
}

/* The program's own counters must tell the same story as the verdicts
 * read back packet by packet; anything else is a bug in one of them. */
static int cross_check(struct replay *r)
{
	int fd = bpf_map__fd(r->skel->maps.fg_ifstats);
	struct fg_ifstats s;
	bool same;
	__u32 i;
	int err;

	err = fg_ifstats_read(fd, REPLAY_IFINDEX, &s);
	if (err == -ENOENT) {
		memset(&s, 0, sizeof(s));
		err = 0;
	}
	if (err)
		return fg_error(err, "cannot read the program's counters: %s",
				fg_strerr(err));
	same = s.rx_packets == r->prog_run && s.pass_packets == r->prog_passed;
	for (i = 0; i < FG_R_MAX; i++)
		same = same && s.drop_packets[i] == r->prog_drops[i];
	if (same)
		return 0;
	return fg_error(-EPROTO,
			"internal error: the program counted %llu packets, "
			"%llu passed, where replay ran %llu and saw %llu pass",
			(unsigned long long)s.rx_packets,
			(unsigned long long)s.pass_packets,
			(unsigned long long)r->prog_run,
			(unsigned long long)r->prog_passed);
}

/* A count, and in text its share of all packets for the table. */
static void out_count(const char *key, __u64 n, __u64 total)
{
	char buf[64];

	if (fg_opts.json) {
		out_u64(key, n);
		return;
	}
	snprintf(buf, sizeof(buf), "%8llu %6.1f%%", (unsigned long long)n,
		 total ? 100.0 * n / total : 0.0);
	out_str(key, buf);
}

/*
 * JSON: {"summary":{"packets":..,"passed":..,"dropped":..,
 * "reasons":{NAME:count,...}}}. Text: the file, the totals, then a table
 * of verdicts (pass, each drop reason) with count and share.
 */
static void print_summary(const struct replay *r)
{
	__u32 i;

	out_begin();
	/* In text, an unnamed block: the table nests under "verdicts". */
	out_obj_open(fg_opts.json ? "summary" : NULL);
	if (!fg_opts.json)
		out_str("file", r->path);
	out_u64("packets", r->index);
	out_u64("passed", r->passed);
	out_u64("dropped", r->dropped);
	out_obj_open(fg_opts.json ? "reasons" : "verdicts");
	if (!fg_opts.json)
		out_count("pass", r->passed, r->index);
	for (i = 1; i < FG_R_MAX; i++)
		if (r->drops[i])
			out_count(fg_reason_name(i), r->drops[i], r->index);
	out_obj_close();
	out_obj_close();
	out_end();
}

int do_replay(int argc, char **argv)
{
	struct replay r = {0};
	int err;

	err = parse_args(argc, argv, &r.path);
	if (err)
		return err;
	fg_libs_init();
	err = open_capture(&r);
	if (!err)
		err = load_program(&r);
	if (!err)
		err = replay_all(&r);
	if (!err)
		err = cross_check(&r);
	if (!err)
		print_summary(&r);
	if (r.pcap)
		pcap_close(r.pcap);
	flowgate_xdp__destroy(r.skel);
	free(r.buf);
	return err;
}
