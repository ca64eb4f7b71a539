// SPDX-License-Identifier: GPL-2.0
/*
 * The pcapng writer (pcapng.h). Blocks are built whole in memory and
 * written with one fwrite() each, in host byte order (the section header
 * says which), every length and option padded to 32 bits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "pcapng.h"

#define BT_SHB		 0x0a0d0d0au
#define BT_IDB		 0x00000001u
#define BT_EPB		 0x00000006u
#define BYTE_ORDER_MAGIC 0x1a2b3c4du

#define OPT_END	       0
#define OPT_COMMENT    1
#define SHB_USERAPPL   4
#define IF_NAME	       2
#define IF_DESCRIPTION 3
#define IF_TSRESOL     9
#define EPB_FLAGS      2
#define EPB_QUEUE      6

/* The largest block written: an EPB of a full record and its options. */
#define BLOCK_MAX (64 * 1024)

struct block {
	__u8 buf[BLOCK_MAX];
	size_t len;
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void put(struct block *b, const void *p, size_t n)
{
	if (b->len + pad4(n) > BLOCK_MAX - 4)
		return; /* cannot happen: callers bound their data */
	memcpy(b->buf + b->len, p, n);
	memset(b->buf + b->len + n, 0, pad4(n) - n);
	b->len += pad4(n);
}

static void put32(struct block *b, __u32 v)
{
	put(b, &v, 4);
}

static void opt(struct block *b, __u16 code, const void *val, size_t len)
{
	__u16 h[2] = {code, (__u16)len};

	put(b, h, 4);
	if (len)
		put(b, val, len);
}

static void opt_str(struct block *b, __u16 code, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n && n < 0xffff)
		opt(b, code, s, n);
}

static void begin(struct block *b, __u32 type)
{
	b->len = 0;
	put32(b, type);
	put32(b, 0); /* total length, set by finish() */
}

/* End the options and the block, and write it. */
static int finish(struct fg_pcapng *w, struct block *b, bool options)
{
	__u32 total;

	if (options)
		opt(b, OPT_END, NULL, 0);
	total = b->len + 4;
	memcpy(b->buf + 4, &total, 4);
	put32(b, total);
	if (!w->err && fwrite(b->buf, 1, b->len, w->f) != b->len)
		w->err = errno ? -errno : -EIO;
	return w->err;
}

static struct block *scratch(void)
{
	static struct block b;

	return &b;
}

int fg_pcapng_open(struct fg_pcapng *w, FILE *f, const char *app)
{
	struct block *b = scratch();
	__u16 version[2] = {1, 0};
	__u64 section_len = ~0ull; /* unknown: the file is written once */

	memset(w, 0, sizeof(*w));
	w->f = f;
	begin(b, BT_SHB);
	put32(b, BYTE_ORDER_MAGIC);
	put(b, version, 4);
	put(b, &section_len, 8);
	opt_str(b, SHB_USERAPPL, app);
	return finish(w, b, true);
}

int fg_pcapng_idb(struct fg_pcapng *w, const char *name, const char *desc,
		  __u32 snaplen, __u32 *id)
{
	struct block *b = scratch();
	__u16 link[2] = {FG_PCAPNG_LINKTYPE_ETHERNET, 0};
	__u8 tsresol = 9; /* 10^-9 s */
	int err;

	begin(b, BT_IDB);
	put(b, link, 4);
	put32(b, snaplen);
	opt_str(b, IF_NAME, name);
	opt_str(b, IF_DESCRIPTION, desc);
	opt(b, IF_TSRESOL, &tsresol, 1);
	err = finish(w, b, true);
	if (!err)
		*id = w->nifs++;
	return err;
}

int fg_pcapng_epb(struct fg_pcapng *w, __u32 ifid, __u64 ts_ns,
		  const void *data, __u32 caplen, __u32 wire, __u32 dir,
		  __u32 queue, const char *comment)
{
	struct block *b = scratch();

	if (caplen > BLOCK_MAX / 2)
		return -EMSGSIZE;
	begin(b, BT_EPB);
	put32(b, ifid);
	put32(b, (__u32)(ts_ns >> 32));
	put32(b, (__u32)ts_ns);
	put32(b, caplen);
	put32(b, wire);
	if (caplen)
		put(b, data, caplen);
	opt_str(b, OPT_COMMENT, comment);
	if (dir)
		opt(b, EPB_FLAGS, &dir, 4);
	if (queue != (__u32)-1)
		opt(b, EPB_QUEUE, &queue, 4);
	return finish(w, b, true);
}

int fg_pcapng_flush(struct fg_pcapng *w)
{
	if (!w->err && fflush(w->f))
		w->err = errno ? -errno : -EIO;
	return w->err;
}
