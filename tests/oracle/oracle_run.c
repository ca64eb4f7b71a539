// SPDX-License-Identifier: GPL-2.0
/*
 * Injects the frames of a capture, one at a time, through a packet socket
 * on the sender's end of a veth pair, and writes for each what the
 * receiving namespace's kernel did with it next to flowgate's verdict:
 *
 *   index  file#k  kernel-drop-reasons  consumed  counter-deltas  fg-reason
 *   fg-class  facts
 *
 * The kernel's side comes from skb:kfree_skb / skb:consume_skb
 * (oracle_trace.bpf.c) and from the namespace's /proc/net/snmp and snmp6.
 * After every frame a marker follows that the kernel drops as OTHERHOST
 * (a unicast frame for another MAC): its event closes the frame's events,
 * so no time-based guess is involved. flowgate's verdict is the host build
 * of the parser under the default profile (the BPF build gives the same,
 * tests/bpf/test_diff).
 *
 * Frames cut by a capture's snaplen are left out (they are not what was on
 * the wire), VLAN tags are removed and the MACs set (to_frame).
 *
 * usage: oracle_run RX_NETNS TX_NETNS RX_IF TX_IF RX_MAC TX_MAC CAPTURE...
 */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_packet.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include "fg_parse.h"
#include "oracle_trace.skel.h"

#define MAX_CTR	   512
#define MARKER_LEN 42

struct ctrs {
	int n;
	char name[MAX_CTR][48];
	long long val[MAX_CTR];
};

struct ot_event {
	__u32 reason;
	__u32 consumed;
};

static const char *drop_names[1024];
static __u32 otherhost = ~0u;
static char reasons[512];
static int consumed, marker_seen;

static const char *const fg_names[FG_R_MAX] = {
#define FG_X_NAME(code, e, name, def, strict, cls, desc) [FG_R_##e] = name,
	FG_REASONS(FG_X_NAME)
#undef FG_X_NAME
};

static const char *const fg_classes[FG_R_MAX] = {
#define FG_X_CLASS(code, e, name, def, strict, cls, desc) [FG_R_##e] = #cls,
	FG_REASONS(FG_X_CLASS)
#undef FG_X_CLASS
};

static const char *fg_reason_name_x(__u32 r)
{
	return r < FG_R_MAX && fg_names[r] ? fg_names[r] : "?";
}

/* The class as the manual spells it: "malformed" or "policy". */
static const char *fg_reason_class_x(__u32 r)
{
	if (r >= FG_R_MAX || !fg_classes[r])
		return "?";
	return fg_classes[r][0] == 'M' ? "malformed" : "policy";
}

static int die(const char *what)
{
	fprintf(stderr, "Error: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void load_drop_names(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *e;
	int id, i;

	if (!btf)
		die("vmlinux BTF");
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0) {
		errno = -id;
		die("enum skb_drop_reason");
	}
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(btf, e[i].name_off);

		if (!strncmp(n, "SKB_DROP_REASON_", 16))
			n += 16;
		if ((__u32)e[i].val < 1024)
			drop_names[(__u32)e[i].val] = strdup(n);
		if (!strcmp(n, "OTHERHOST"))
			otherhost = e[i].val;
	}
	btf__free(btf);
}

static void read_snmp(int fd, int fd6, struct ctrs *c)
{
	static char buf[65536];
	char *line, *save, *names[129], *hdr = NULL;
	ssize_t n;

	c->n = 0;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		die("read snmp");
	buf[n] = 0;
	/* "Ip: Forwarding ..." then "Ip: 1 ..." */
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sv2, *tok, *colon = strchr(line, ':');
		int k = 0;

		if (!colon)
			continue;
		*colon = 0;
		if (!hdr || strcmp(hdr, line)) {
			hdr = line;
			for (tok = strtok_r(colon + 1, " ", &sv2);
			     tok && k < 128; tok = strtok_r(NULL, " ", &sv2))
				names[k++] = tok;
			names[k] = NULL;
			continue;
		}
		for (tok = strtok_r(colon + 1, " ", &sv2); tok && names[k];
		     tok = strtok_r(NULL, " ", &sv2), k++) {
			if (c->n >= MAX_CTR)
				break;
			snprintf(c->name[c->n], 48, "%s%s", hdr, names[k]);
			c->val[c->n++] = atoll(tok);
		}
		hdr = NULL;
	}
	n = pread(fd6, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		die("read snmp6");
	buf[n] = 0;
	for (line = strtok_r(buf, "\n", &save); line && c->n < MAX_CTR;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[48];
		long long v;

		if (sscanf(line, "%47s %lld", name, &v) == 2) {
			snprintf(c->name[c->n], 48, "%s", name);
			c->val[c->n++] = v;
		}
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct ot_event *e = data;
	size_t l = strlen(reasons);
	const char *n;

	if (e->consumed) {
		consumed++;
		return 0;
	}
	if (e->reason == otherhost) {
		marker_seen = 1;
		return 1; /* stop polling: this frame is complete */
	}
	n = e->reason < 1024 && drop_names[e->reason] ? drop_names[e->reason]
						      : "UNKNOWN";
	snprintf(reasons + l, sizeof(reasons) - l, "%s%s", l ? "," : "", n);
	return 0;
}

/*
 * The frame as the receiver must see it: Ethernet from tx to rx, no VLAN
 * tags (the receiver has no VLAN devices), IP only. Raw IP and Linux
 * cooked captures get an Ethernet header. Returns its length, 0 to skip.
 */
static __u32 to_frame(const __u8 *d, __u32 n, int lt, const __u8 *rx,
		      const __u8 *tx, __u8 *out)
{
	__u32 off;
	__u16 et;

	switch (lt) {
	case DLT_EN10MB:
		off = 12;
		while (off + 2 <= n) {
			et = d[off] << 8 | d[off + 1];
			if (et != 0x8100 && et != 0x88a8)
				break;
			off += 4;
		}
		off += 2;
		break;
	case DLT_RAW:
	case 101: /* LINKTYPE_RAW */
		off = 0;
		break;
	case DLT_LINUX_SLL:
		off = 16;
		break;
	case 276: /* LINUX_SLL2 */
		off = 20;
		break;
	default:
		return 0;
	}
	if (off >= n || off > n || n - off + 14 > 65535 + 14)
		return 0;
	if ((d[off] >> 4) == 4)
		et = 0x0800;
	else if ((d[off] >> 4) == 6)
		et = 0x86dd;
	else
		return 0;
	/* By EtherType (not version nibble) for Ethernet: a bad version is
	 * a case to judge, not a frame to drop. */
	if (lt == DLT_EN10MB) {
		et = d[off - 2] << 8 | d[off - 1];
		if (et != 0x0800 && et != 0x86dd)
			return 0;
	}
	memcpy(out, rx, 6);
	memcpy(out + 6, tx, 6);
	out[12] = et >> 8;
	out[13] = et & 0xff;
	memcpy(out + 14, d + off, n - off);
	return n - off + 14;
}

/*
 * Facts about a frame that the manual's out-of-scope list names: things
 * the receiver's configuration decides, or where flowgate follows the RFC
 * rather than Linux. Comma-separated, "-" for none.
 */
static void facts(const __u8 *d, __u32 len, const struct fg_pkt *p, char *out,
		  size_t n)
{
	const __u8 *ip = d + p->l3_off, *end = d + len;
	size_t l = 0;

	out[0] = 0;
#define FACT(s) l += snprintf(out + l, n - l, "%s%s", l ? "," : "", s)
	if (p->ip_ver == 4 && ip + 20 <= end) {
		__u32 hl = (ip[0] & 15) * 4, o = 20;

		while (o < hl && ip + o < end) {
			__u8 t = ip[o];

			if (t == 0)
				break;
			if (t == 1) {
				o++;
				continue;
			}
			if (t == 131 || t == 137)
				FACT("ip4-source-route");
			if (t == 134)
				FACT("ip4-cipso");
			if (ip + o + 1 >= end || ip[o + 1] < 2)
				break;
			o += ip[o + 1];
		}
	}
	if (p->ip_ver == 6 && ip + 40 <= end) {
		const __u8 *h = ip + 40;
		__u8 nh = ip[6];
		int i;

		for (i = 0; i < 8 && h + 8 <= end; i++) {
			if (nh == 43 && h[3])
				FACT("ip6-routing-segments-left");
			if (nh == 0 || nh == 60) {
				__u32 hl = (h[1] + 1) * 8, o = 2;

				while (o + 1 < hl && h + o + 1 < end) {
					if (h[o] == 0) {
						o++;
						continue;
					}
					if (h[o] == 7)
						FACT("ip6-calipso");
					if (h[o] == 0x31)
						FACT("ip6-ioam");
					if ((h[o] >> 6) && h[o] != 0xc2 &&
					    h[o] != 5 && h[o] != 1)
						FACT("ip6-unknown-option-"
						     "discard");
					o += h[o + 1] + 2;
				}
				nh = h[0];
				h += hl;
			} else if (nh == 43) {
				nh = h[0];
				h += (h[1] + 1) * 8;
			} else if (nh == 44) {
				nh = h[0];
				h += 8;
			} else if (nh == 51) {
				nh = h[0];
				h += (h[1] + 2) * 4;
			} else {
				break;
			}
		}
	}
	if (p->ip_ver == 6 && ip + 40 <= end && !(ip[4] | ip[5]) && !ip[6])
		FACT("ip6-payload-length-0");
	if (p->ip_ver == 6 && p->proto == IPPROTO_UDP && p->l4_ok &&
	    !p->jumbo && d + p->l4_off + 6 <= end &&
	    !(d[p->l4_off + 4] | d[p->l4_off + 5]))
		FACT("ip6-udp-length-0");
#undef FACT
	if (!l)
		snprintf(out, n, "-");
}

static void one(int idx, const char *file, int k, const __u8 *d, __u32 len,
		int sock, const char *m, struct ring_buffer *rb, int snmp,
		int snmp6)
{
	static struct ctrs a, b;
	struct fg_config cfg = {0};
	struct fg_pkt p;
	char deltas[1024] = "", fx[256];
	int tries, i;

	fg_parse(d, d + len, &cfg, &p);
	facts(d, len, &p, fx, sizeof(fx));
	reasons[0] = 0;
	consumed = 0;
	marker_seen = 0;
	read_snmp(snmp, snmp6, &a);
	if (send(sock, d, len, 0) < 0) {
		printf("%d\t%s#%d\tsend-error:%d\t0\t-\t%s\t%s\t%s\n", idx,
		       file, k, errno,
		       p.reason ? fg_reason_name_x(p.reason) : "none",
		       p.reason ? fg_reason_class_x(p.reason) : "-", fx);
		return;
	}
	if (send(sock, m, MARKER_LEN, 0) < 0)
		die("send marker");
	for (tries = 0; tries < 200 && !marker_seen; tries++)
		ring_buffer__poll(rb, 10);
	read_snmp(snmp, snmp6, &b);
	/* By name: some lines (IcmpMsg) grow columns as types are seen. */
	for (i = 0; i < b.n; i++) {
		size_t l = strlen(deltas);
		long long was = 0;
		int j;

		for (j = 0; j < a.n; j++)
			if (!strcmp(a.name[j], b.name[i])) {
				was = a.val[j];
				break;
			}
		if (b.val[i] != was && l + 64 < sizeof(deltas))
			snprintf(deltas + l, sizeof(deltas) - l, "%s%s+%lld",
				 l ? "," : "", b.name[i], b.val[i] - was);
	}
	printf("%d\t%s#%d\t%s\t%d\t%s\t%s\t%s\t%s\n", idx, file, k,
	       marker_seen ? (reasons[0] ? reasons : "-") : "timeout", consumed,
	       deltas[0] ? deltas : "-",
	       p.reason ? fg_reason_name_x(p.reason) : "none",
	       p.reason ? fg_reason_class_x(p.reason) : "-", fx);
}

static int enter(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die(path);
	return fd;
}

int main(int argc, char **argv)
{
	static const __u8 marker[] = {
		0x02, 0,    0,	  0,	0,   0x99, 0x02, 0,  0,	  0,  0,
		0x98, 0x08, 0x00, 0x45, 0,   0,	   28,	 0,  1,	  0,  0,
		64,   17,   0,	  0,	192, 0,	   2,	 99, 198, 51, 100,
		99,   0x9c, 0x40, 0,	53,  0,	   8,	 0,  0,
	};
	struct oracle_trace *skel;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	struct ring_buffer *rb;
	static __u8 f[65536 + 14];
	struct pcap_pkthdr *h;
	const u_char *d;
	char err[PCAP_ERRBUF_SIZE], m[sizeof(marker)];
	__u8 rx_mac[6], tx_mac[6];
	struct stat st;
	pcap_t *pc;
	int rxfd, snmp, snmp6, sock, rx_ifindex, idx = 0, r, c;

	if (argc < 8 ||
	    sscanf(argv[5], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &rx_mac[0],
		   &rx_mac[1], &rx_mac[2], &rx_mac[3], &rx_mac[4],
		   &rx_mac[5]) != 6 ||
	    sscanf(argv[6], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &tx_mac[0],
		   &tx_mac[1], &tx_mac[2], &tx_mac[3], &tx_mac[4],
		   &tx_mac[5]) != 6) {
		fprintf(stderr,
			"usage: %s RX_NETNS TX_NETNS RX_IF TX_IF "
			"RX_MAC TX_MAC CAPTURE...\n",
			argv[0]);
		return 2;
	}
	load_drop_names();
	rxfd = enter(argv[1]);
	if (fstat(rxfd, &st))
		die("stat netns");
	rx_ifindex = if_nametoindex(argv[3]);
	snmp = open("/proc/self/net/snmp", O_RDONLY);
	snmp6 = open("/proc/self/net/snmp6", O_RDONLY);
	if (!rx_ifindex || snmp < 0 || snmp6 < 0)
		die("receiver");
	enter(argv[2]);
	sock = socket(AF_PACKET, SOCK_RAW, 0);
	sll.sll_ifindex = if_nametoindex(argv[4]);
	if (sock < 0 || !sll.sll_ifindex ||
	    bind(sock, (struct sockaddr *)&sll, sizeof(sll)))
		die("packet socket");

	skel = oracle_trace__open();
	if (!skel)
		die("open tracer");
	skel->rodata->ot_netns = (__u32)st.st_ino;
	skel->rodata->ot_ifindex = rx_ifindex;
	if (oracle_trace__load(skel) || oracle_trace__attach(skel))
		die("load tracer");
	rb = ring_buffer__new(bpf_map__fd(skel->maps.ot_events), on_event, NULL,
			      NULL);
	if (!rb)
		die("ring buffer");

	memcpy(m, marker, sizeof(m));
	for (c = 7; c < argc; c++) {
		const char *base = strrchr(argv[c], '/');
		int k = -1, lt;

		base = base ? base + 1 : argv[c];
		pc = pcap_open_offline(argv[c], err);
		if (!pc) {
			fprintf(stderr, "Error: %s\n", err);
			return 1;
		}
		lt = pcap_datalink(pc);
		while ((r = pcap_next_ex(pc, &h, &d)) == 1) {
			__u32 n;

			k++;
			/* Cut by the snaplen: not what was on the wire. */
			if (h->caplen < h->len)
				continue;
			n = to_frame(d, h->caplen, lt, rx_mac, tx_mac, f);
			if (!n)
				continue;
			one(idx++, base, k, f, n, sock, m, rb, snmp, snmp6);
		}
		pcap_close(pc);
	}
	ring_buffer__free(rb);
	oracle_trace__destroy(skel);
	return 0;
}
