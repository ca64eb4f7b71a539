/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Operator rules in user space: the grammar (rule_parse.c, pure), the set
 * and its compilation into what the data path reads (rule_set.c, pure),
 * the pinned maps and the switch of halves (rule_maps.c).
 */
#ifndef FG_CTL_RULES_H
#define FG_CTL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "fg.h" /* struct fg_perr */
#include "fg_rules.h"

/* Longest line of a rule or config file. */
#define FG_LINE_MAX 4096
/* line of the rule `rule add` adds, for messages ("the new rule") */
#define FG_LINE_NEW 0xffffffffu
/* Tokens of one rule: 11 keywords with a value, plus slack to report a
 * too-long line precisely. */
#define FG_RULE_TOKENS 32

/* A rule set: definitions and the file line each came from (0: none). */
struct fg_ruleset {
	struct fg_rule_def *r;
	unsigned int *line;
	size_t n, cap;
};

/* ---- grammar (rule_parse.c) ---- */
/* [id N] [src P] [dst P] [proto P] [sport P[-Q]] [dport P[-Q]] [dev D]
 * [prio N] action drop|pass|count [comment TEXT]; -EINVAL with e->msg. */
int fg_rule_parse(int argc, char **argv, struct fg_rule_def *d,
		  struct fg_perr *e);
/* Split a line in place: whitespace separates, "..." quotes (\" and \\
 * inside). Returns the count, or -EINVAL with e->msg. */
int fg_rule_tokenize(char *line, char **argv, int max, struct fg_perr *e);
/* One line of a rule file: blank and # lines add nothing. */
int fg_rule_parse_line(char *line, unsigned int lineno, struct fg_ruleset *s,
		       struct fg_perr *e);
/* A whole rule file (CRLF or LF, final newline optional). The set is
 * validated (fg_ruleset_check) before it is returned. */
int fg_rules_parse_text(const char *buf, size_t len, struct fg_ruleset *s,
			struct fg_perr *e);
/* The canonical text of a rule (what `rule save` writes, without id when
 * with_id is false). Returns the length, or -ENOSPC. */
int fg_rule_format(const struct fg_rule_def *d, bool with_id, char *buf,
		   size_t len);
void fg_prefix_str(const __u8 *a, __u8 family, __u8 len, char *buf,
		   size_t size);
const char *fg_rule_action_name(__u8 a);
/* Call fn for every line of buf: LF or CRLF, the last newline optional;
 * NUL bytes and lines over FG_LINE_MAX are errors. e->line is kept. */
int fg_text_lines(const char *buf, size_t len,
		  int (*fn)(char *line, unsigned int lineno, void *ctx),
		  void *ctx, struct fg_perr *e);

/* ---- sets (rule_set.c) ---- */
int fg_ruleset_add(struct fg_ruleset *s, const struct fg_rule_def *d,
		   unsigned int line);
void fg_ruleset_free(struct fg_ruleset *s);
/* Same addresses, protocol, ports and interface. */
bool fg_rule_same_match(const struct fg_rule_def *a,
			const struct fg_rule_def *b);
/* At most FG_RULE_MAX rules, no two with the same ID, no two with the same
 * match and priority (the order between them would be arbitrary). */
int fg_ruleset_check(const struct fg_ruleset *s, struct fg_perr *e);
/* Give an ID to every rule without one: the ID of a rule of `old` with the
 * same match if it is free (its counters go on), else the smallest free. */
int fg_ruleset_assign_ids(struct fg_ruleset *s, const struct fg_ruleset *old);
/* Sort into evaluation order: prio high to low, then source prefix long
 * to short (none last), destination likewise, then ID. */
void fg_ruleset_sort(struct fg_ruleset *s);
struct fg_rule_def *fg_ruleset_find(const struct fg_ruleset *s, __u32 id);
/* Rules by ID (FG_RULE_MAX + 1 pointers, NULL where none); free() it. */
const struct fg_rule_def **fg_ruleset_by_id(const struct fg_ruleset *s);

/* An index entry as compiled: which index, and the prefix. */
struct fg_rule_ixkey {
	__u8 field;    /* enum fg_rule_field */
	__u8 family;   /* 4 or 6 */
	__u8 bits;     /* prefix length in the 128-bit form (IPv4: 96 + len) */
	__u8 addr[16]; /* IPv4 as ::ffff:a.b.c.d */
};

/* The IPv4 multibit index of one field (rule_mb.c). */
struct fg_rule_mb {
	__u32 *node; /* FG_MB_ROOT root entries, then the blocks */
	size_t n, cap;
};

/* The IPv6 index of one field (rule_mb6.c): the root and blocks (as for
 * IPv4, FG_MB6_LEVELS levels deep at most) and the tails. */
struct fg_rule_mb6 {
	struct fg_rule_mb mb;
	struct fg_rule_tail6 *tail;
	size_t nt, tcap;
};

/* What the data path reads, for one half. */
struct fg_rule_image {
	struct fg_rule *rules;	    /* by slot (= evaluation order) */
	__u32 *ids;		    /* ID of each slot */
	struct fg_rule_ixkey *keys; /* index entries */
	struct fg_rule_list *lists;
	size_t nidx;
	struct fg_rule_list glob;
	struct fg_rule_half counts;
	/* The IPv4 entries as multibit arrays, one per field, whose leaves
	 * name l4[] (entry i of keys/lists is l4[lidx[i]]): the nl4 IPv4
	 * lists, then the nl6 IPv6 ones, named by the leaves of mb6[]. */
	struct fg_rule_mb mb[2];
	struct fg_rule_list *l4;
	__u32 *lidx, nl4, nl6;
	struct fg_rule_mb6 mb6[2];
};

/* Sorts s into evaluation order and compiles it; -E2BIG with e->msg when
 * more than FG_RULE_CAND rules cover one address. */
int fg_rule_compile(struct fg_ruleset *s, struct fg_rule_image *img,
		    struct fg_perr *e);
void fg_rule_image_free(struct fg_rule_image *img);

/* ---- the IPv4 multibit index (rule_mb.c) ---- */
/* The array of one field's IPv4 entries: entry i of img (if lidx[i] is
 * not FG_RULE_NONE) becomes leaf lidx[i] + 1. */
int fg_rule_mb_build(const struct fg_rule_image *img, __u32 field,
		     const __u32 *lidx, struct fg_rule_mb *mb);
void fg_rule_mb_free(struct fg_rule_mb *mb);
/* The multibit arrays of a compiled image (mb, l4, lidx). */
int fg_rule_mb_image(struct fg_rule_image *img);
/* Blocks (FG_MB_SIZE entries, roots included) of the image's arrays. */
size_t fg_rule_mb_blocks(const struct fg_rule_image *img);

/* ---- the IPv6 multibit index with tails (rule_mb6.c) ---- */
/* A prefix as the builder takes it: host order, masked to len bits. */
struct fg_rule_pfx6 {
	__u64 hi, lo;
	__u32 len, leaf; /* leaf: list + 1, never 0 */
};
void fg_rule_pfx6_set(struct fg_rule_pfx6 *x, const __u8 *addr, __u32 len,
		      __u32 leaf);
/* The index of n distinct prefixes (sorts p); nothing (m->mb.n == 0) when
 * n is 0. */
int fg_rule_mb6_build(struct fg_rule_pfx6 *p, size_t n, struct fg_rule_mb6 *m);
void fg_rule_mb6_free(struct fg_rule_mb6 *m);
/* The data path's walk in C: the leaf of the longest prefix covering the
 * address (host order), or 0. */
__u32 fg_rule_mb6_walk(const struct fg_rule_mb6 *m, __u64 hi, __u64 lo);
/* The IPv6 lists (after the IPv4 ones in l4[]) and mb6[] of a compiled
 * image; after fg_rule_mb_image(). */
int fg_rule_mb6_image(struct fg_rule_image *img);

/* ---- pinned maps (rule_maps.c) ---- */
struct fg_rule_fds {
	int ctl;
	int idx4; /* fg_rule_mb4: the IPv4 index (multibit arrays) */
	int glob, rules, hits, defs;
	int lsts; /* fg_rule_lsts: the lists the IPv4 and IPv6 arrays name */
	int mb6;  /* fg_rule_mb6: the IPv6 index's blocks */
	int tl6;  /* fg_rule_tl6: and its tails */
};

struct bpf_object;
/* From the pins (printing the error), or from a loaded object. */
int fg_rule_fds_open(struct fg_rule_fds *f);
int fg_rule_fds_from_obj(struct bpf_object *obj, struct fg_rule_fds *f);
void fg_rule_fds_close(struct fg_rule_fds *f);
/* Serialise writers (and readers against them) across processes: flock
 * on the pin directory. Returns an fd to pass to fg_rule_unlock. */
int fg_rule_lock(bool exclusive);
void fg_rule_unlock(int fd);
/* The rules in force (active half), and the generation. */
int fg_rule_read(const struct fg_rule_fds *f, struct fg_ruleset *s, __u32 *gen);
/* The same under the shared lock, opening fds (fds->ctl -1 when there is
 * no state: then s is empty). Close fds when fds->ctl >= 0. */
int fg_rule_read_current(struct fg_ruleset *s, __u32 *gen,
			 struct fg_rule_fds *fds);
/* Replace the rules in force by s (IDs assigned, checked): compile, write
 * the inactive half, switch, wait for the programs still in the old half,
 * clear it. Counters go on for IDs whose match is unchanged from old, and
 * start from zero for the others. A compile error changes nothing. */
int fg_rule_publish(const struct fg_rule_fds *f, struct fg_ruleset *s,
		    const struct fg_ruleset *old, __u32 *gen,
		    struct fg_perr *e);
/* The two steps of fg_rule_publish: write s into the inactive half (the
 * data path does not see it yet), then switch to it, wait for the
 * programs still in the old half, and clear that. */
int fg_rule_stage(const struct fg_rule_fds *f, struct fg_ruleset *s,
		  const struct fg_ruleset *old, struct fg_perr *e);
int fg_rule_switch(const struct fg_rule_fds *f, __u32 *gen, struct fg_perr *e);
/* Hit counters of one rule, summed over CPUs (last_ns: the latest). */
int fg_rule_hits_read(const struct fg_rule_fds *f, __u32 id,
		      struct fg_rule_hit *sum);
/* Return once every BPF program running now has finished (an update of a
 * map-in-map waits for an RCU grace period). */
int fg_bpf_barrier(void);

/* ---- a change of the set in force (rule_tx.c): `rule` and the daemon ---- */
struct fg_rule_tx {
	struct fg_rule_fds fds;
	struct fg_ruleset cur; /* in force */
	int lock;
	__u32 gen;
};
/* Open the state for a change: made if missing, locked, current set read;
 * errors printed. */
int fg_rule_tx_begin(struct fg_rule_tx *t);
/* Replace the set in force by s: IDs, devices, checks, then the switch.
 * Errors are printed, with file:line when file is given. */
int fg_rule_tx_commit(struct fg_rule_tx *t, struct fg_ruleset *s,
		      const char *file);
void fg_rule_tx_end(struct fg_rule_tx *t);
/* The checks of a commit over no rules, without the state: for a first
 * change, so that one refused makes no pins. Errors printed. */
int fg_rule_tx_precheck(const struct fg_ruleset *s, const char *file);
/* Parse a rule file; errors printed as FILE:LINE: why. */
int fg_rules_read_file(const char *path, struct fg_ruleset *s);
/* Replace the rules in force by s, under the lock; errors printed (with
 * file:line when file is not NULL). */
int fg_rules_apply(struct fg_ruleset *s, const char *file, __u32 *gen);

#endif /* FG_CTL_RULES_H */
