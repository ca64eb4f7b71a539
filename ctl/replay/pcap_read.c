// SPDX-License-Identifier: GPL-2.0
/*
 * Captures for replay: pcap and pcapng files (libpcap reads both), with
 * microsecond or nanosecond timestamps, of the link types fg_xdp can be
 * shown as Ethernet frames:
 *  - Ethernet: the frame as captured;
 *  - Linux cooked (SLL, SLL2): the cooked header is replaced by a
 *    synthetic Ethernet header carrying its protocol (a VLAN protocol is
 *    passed through as it is, so the tag that follows is parsed);
 *  - raw IP (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6): a synthetic
 *    Ethernet header with the EtherType of the IP version.
 * The wire length grows or shrinks by the same header: 14 bytes of
 * Ethernet header replace 16 (SLL), 20 (SLL2) or 0 (raw IP), as if the
 * packet had arrived on an Ethernet interface.
 */
#include <byteswap.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/if_ether.h>
/* pcap/bpf.h redefines what linux/bpf.h defines (struct bpf_insn...);
 * the DLT_ values it would bring come from pcap/dlt.h directly. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include "fg.h"
#include "pcap_read.h"

#define SLL_HLEN       16
#define SLL_PROTO_OFF  14
#define SLL2_HLEN      20
#define SLL2_PROTO_OFF 0

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

#define PCAP_FILE_HLEN 24
#define PCAP_REC_HLEN  16
#define PCAP_MAGIC_US  0xa1b2c3d4u
#define PCAP_MAGIC_NS  0xa1b23c4du

/*
 * A classic pcap file is also mapped, and its records are read in place:
 * reading through libpcap copied every byte twice more (into stdio's
 * buffer, then into libpcap's), ~6 % of a replay. libpcap still opens and
 * checks the file header and says the link type; pcapng and anything else
 * stay with libpcap. A file that shrinks under the map would fault: replay
 * reads captures that are not being written.
 */
static void map_classic(struct fg_capture *c, FILE *f)
{
	struct stat st;
	__u16 ver[2];
	__u32 magic;
	void *m;

	if (fstat(fileno(f), &st) || st.st_size < PCAP_FILE_HLEN)
		return;
	m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
	if (m == MAP_FAILED)
		return;
	memcpy(&magic, m, sizeof(magic));
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS) {
		c->swapped = false;
	} else if (bswap_32(magic) == PCAP_MAGIC_US ||
		   bswap_32(magic) == PCAP_MAGIC_NS) {
		c->swapped = true;
		magic = bswap_32(magic);
	} else {
		munmap(m, st.st_size);
		return;
	}
	/* Only version 2.4: libpcap fixes up older files' length fields. */
	memcpy(ver, (const __u8 *)m + 4, sizeof(ver));
	if (c->swapped) {
		ver[0] = bswap_16(ver[0]);
		ver[1] = bswap_16(ver[1]);
	}
	if (ver[0] != 2 || ver[1] != 4) {
		munmap(m, st.st_size);
		return;
	}
	madvise(m, st.st_size, MADV_SEQUENTIAL);
	c->nsec = magic == PCAP_MAGIC_NS;
	c->map = m;
	c->size = st.st_size;
	c->off = PCAP_FILE_HLEN;
}

int fg_capture_open(struct fg_capture *c, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	const char *name;
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->path = path;
	/* fopen() ourselves: libpcap's message would repeat the path. */
	f = fopen(path, "rb");
	if (!f)
		return fg_error(-errno, "%s: %s", path, strerror(errno));
	/* Nanoseconds whatever the file holds: microsecond captures are
	 * scaled exactly, nanosecond ones are not rounded. */
	c->pcap = pcap_fopen_offline_with_tstamp_precision(
		f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!c->pcap) {
		fclose(f);
		if (!strcmp(errbuf, "unknown file format"))
			return fg_error(-EINVAL,
					"%s: not a pcap or pcapng capture",
					path);
		return fg_error(-EINVAL, "%s: cannot read capture: %s", path,
				errbuf);
	}
	c->dlt = pcap_datalink(c->pcap);
	if (link_supported(c->dlt)) {
		/* The switch lets tests compare both readers. */
		if (!getenv("FLOWGATE_PCAP_STDIO"))
			map_classic(c, f);
		return 0;
	}
	name = pcap_datalink_val_to_name(c->dlt);
	return fg_error(-EOPNOTSUPP,
			"%s: link type %s (%d) is not supported (Ethernet, "
			"Linux cooked SLL/SLL2 and raw IP are)",
			path, name ? name : "unknown", c->dlt);
}

void fg_capture_close(struct fg_capture *c)
{
	if (c->map)
		munmap((void *)c->map, c->size);
	c->map = NULL;
	if (c->pcap)
		pcap_close(c->pcap);
	c->pcap = NULL;
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

static void frame_link(struct fg_capture *c, const struct pcap_pkthdr *h,
		       const __u8 *data, struct fg_frame *f)
{
	static const __u8 macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	__u32 hlen = 0, cap = h->caplen, orig = h->len;
	__u16 proto;

	if (c->dlt == DLT_EN10MB) {
		f->data = data;
		f->len = cap;
		f->wire = orig > cap ? orig : cap;
		return;
	}
	if (c->dlt == DLT_LINUX_SLL)
		hlen = SLL_HLEN;
	else if (c->dlt == DLT_LINUX_SLL2)
		hlen = SLL2_HLEN;
	/* Cut inside its link header: no Ethernet header can be made up.
	 * An empty frame, as long on the wire as the packet was. */
	if (cap < hlen) {
		f->data = data;
		f->len = 0;
		f->wire = orig > hlen ? ETH_HLEN + orig - hlen : 0;
		return;
	}
	if (c->dlt == DLT_LINUX_SLL)
		proto = data[SLL_PROTO_OFF] << 8 | data[SLL_PROTO_OFF + 1];
	else if (c->dlt == DLT_LINUX_SLL2)
		proto = data[SLL2_PROTO_OFF] << 8 | data[SLL2_PROTO_OFF + 1];
	else
		proto = raw_ethertype(c->dlt, data + hlen, cap - hlen);
	memcpy(f->hdr, macs, sizeof(macs));
	f->hdr[12] = proto >> 8;
	f->hdr[13] = proto & 0xff;
	f->hdr_len = ETH_HLEN;
	f->data = data + hlen;
	f->len = cap - hlen;
	f->wire = ETH_HLEN + (orig > cap ? orig : cap) - hlen;
}

static int read_error(struct fg_capture *c)
{
	const char *msg = pcap_geterr(c->pcap);
	unsigned long long n = c->index + 1;

	fflush(stdout); /* the lines of the packets before it come first */
	if (strstr(msg, "truncated"))
		return fg_error(-EIO, "%s: truncated capture at packet %llu",
				c->path, n);
	return fg_error(-EIO, "%s: cannot read packet %llu: %s", c->path, n,
			msg);
}

static __u32 rec_u32(const struct fg_capture *c, size_t off)
{
	__u32 v;

	memcpy(&v, c->map + off, sizeof(v));
	return c->swapped ? bswap_32(v) : v;
}

/*
 * The next record from the map: 1, 0 at the end. A record that is not
 * plainly well-formed (cut short, longer than the file's snaplen or than
 * libpcap takes) is left to libpcap, from that record on, so that its
 * checks and messages stay the only ones: the FILE is moved there.
 */
static int map_next(struct fg_capture *c, struct pcap_pkthdr *h,
		    const u_char **data)
{
	size_t left = c->size - c->off;
	__u32 cap;

	if (!left)
		return 0;
	if (left >= PCAP_REC_HLEN) {
		cap = rec_u32(c, c->off + 8);
		if (cap <= (__u32)pcap_snapshot(c->pcap) && cap <= 262144 &&
		    cap <= left - PCAP_REC_HLEN) {
			h->ts.tv_sec = rec_u32(c, c->off);
			h->ts.tv_usec =
				rec_u32(c, c->off + 4) * (c->nsec ? 1 : 1000);
			h->caplen = cap;
			h->len = rec_u32(c, c->off + 12);
			*data = c->map + c->off + PCAP_REC_HLEN;
			c->off += PCAP_REC_HLEN + cap;
			return 1;
		}
	}
	if (fseek(pcap_file(c->pcap), (long)c->off, SEEK_SET))
		return -errno;
	munmap((void *)c->map, c->size);
	c->map = NULL;
	return -EAGAIN;
}

int fg_capture_next(struct fg_capture *c, struct fg_frame *f)
{
	struct pcap_pkthdr hbuf, *h = &hbuf;
	const u_char *data;
	int ret = -EAGAIN;

	if (c->map) {
		ret = map_next(c, h, &data);
		if (ret == 0)
			return 0;
		if (ret < 0 && ret != -EAGAIN)
			return fg_error(ret, "%s: cannot read packet %llu: %s",
					c->path,
					(unsigned long long)c->index + 1,
					fg_strerr(ret));
	}
	if (ret == -EAGAIN)
		ret = pcap_next_ex(c->pcap, &h, &data);
	if (ret == PCAP_ERROR_BREAK)
		return 0; /* end of file */
	if (ret != 1)
		return read_error(c);
	c->index++;
	f->hdr_len = 0;
	/* tv_usec holds nanoseconds: the capture was opened so. */
	f->ns = (__u64)h->ts.tv_sec * 1000000000ULL + (__u64)h->ts.tv_usec;
	frame_link(c, h, data, f);
	return 1;
}

/* Share of the file read so far, for progress reports; -1 if unknown. */
int fg_capture_percent(struct fg_capture *c, long size)
{
	FILE *f = pcap_file(c->pcap);
	long pos = c->map ? (long)c->off : f ? ftell(f) : -1;

	if (pos < 0 || size <= 0)
		return -1;
	return (int)(pos * 100 / size);
}
