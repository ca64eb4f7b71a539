// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lines: the JIT image's line table of loaded BPF programs, for
 * bench/prof.sh, which turns perf's samples (symbol bpf_prog_TAG_NAME plus
 * an offset) into source lines.
 *
 *   lines NAME...
 *
 * For every loaded program named NAME, prints one line per line-info
 * record, and one per function's end:
 *   ADDRESS <tab> FUNC <tab> FILE:LINE <tab> SOURCE
 *   ADDRESS <tab> FUNC <tab> -
 * ADDRESS (hex) is the record's first byte in the kernel, as perf's
 * samples give it; a subprogram's symbol has a tag of its own, so the
 * address, not the symbol, names the line.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tables {
	struct bpf_prog_info info;
	__u64 *jlines;
	struct bpf_line_info *lines;
	__u64 *ksyms;
	__u32 *flens;
	struct bpf_func_info *funcs;
};

static int prog_tables(int fd, struct tables *t)
{
	struct bpf_prog_info *i = &t->info;
	__u32 len = sizeof(*i);
	__u32 nl, nj, nk, nf;

	memset(i, 0, sizeof(*i));
	if (bpf_obj_get_info_by_fd(fd, i, &len))
		return -errno;
	nl = i->nr_line_info;
	nj = i->nr_jited_line_info;
	nk = i->nr_jited_ksyms;
	nf = i->nr_func_info;
	t->lines = calloc(nl + 1, sizeof(*t->lines));
	t->jlines = calloc(nj + 1, sizeof(*t->jlines));
	t->ksyms = calloc(nk + 1, sizeof(*t->ksyms));
	t->flens = calloc(nk + 1, sizeof(*t->flens));
	t->funcs = calloc(nf + 1, sizeof(*t->funcs));
	if (!t->lines || !t->jlines || !t->ksyms || !t->flens || !t->funcs)
		return -ENOMEM;
	memset(i, 0, sizeof(*i));
	i->nr_line_info = nl;
	i->line_info_rec_size = sizeof(*t->lines);
	i->line_info = (__u64)(unsigned long)t->lines;
	i->nr_jited_line_info = nj;
	i->jited_line_info_rec_size = sizeof(__u64);
	i->jited_line_info = (__u64)(unsigned long)t->jlines;
	i->nr_jited_ksyms = nk;
	i->jited_ksyms = (__u64)(unsigned long)t->ksyms;
	i->nr_jited_func_lens = nk;
	i->jited_func_lens = (__u64)(unsigned long)t->flens;
	i->nr_func_info = nf;
	i->func_info_rec_size = sizeof(*t->funcs);
	i->func_info = (__u64)(unsigned long)t->funcs;
	len = sizeof(*i);
	if (bpf_obj_get_info_by_fd(fd, i, &len))
		return -errno;
	return 0;
}

/* The function (index into ksyms) whose image holds addr. */
static int func_of(const struct tables *t, __u64 addr)
{
	for (__u32 k = 0; k < t->info.nr_jited_ksyms; k++)
		if (addr >= t->ksyms[k] && addr < t->ksyms[k] + t->flens[k])
			return (int)k;
	return -1;
}

static const char *func_name(const struct tables *t, const struct btf *btf,
			     __u32 k)
{
	const struct btf_type *ft;

	if (k >= t->info.nr_func_info)
		return "?";
	ft = btf__type_by_id(btf, t->funcs[k].type_id);
	return ft ? btf__name_by_offset(btf, ft->name_off) : "?";
}

static void print_prog(const struct tables *t, const struct btf *btf)
{
	for (__u32 k = 0; k < t->info.nr_jited_ksyms; k++)
		printf("%llx\t%s\t-\n",
		       (unsigned long long)(t->ksyms[k] + t->flens[k]),
		       func_name(t, btf, k));
	for (__u32 l = 0; l < t->info.nr_jited_line_info; l++) {
		const struct bpf_line_info *li = &t->lines[l];
		int k = func_of(t, t->jlines[l]);
		const char *file, *src;

		if (k < 0)
			continue;
		file = btf__name_by_offset(btf, li->file_name_off);
		src = btf__name_by_offset(btf, li->line_off);
		printf("%llx\t%s\t%s:%u\t%s\n",
		       (unsigned long long)t->jlines[l], func_name(t, btf, k),
		       file ? file : "?", BPF_LINE_INFO_LINE_NUM(li->line_col),
		       src ? src : "");
	}
}

static int wanted(const struct bpf_prog_info *i, int argc, char **argv)
{
	for (int a = 1; a < argc; a++)
		if (!strncmp(argv[a], i->name, sizeof(i->name)))
			return a;
	return 0;
}

static void tables_free(struct tables *t)
{
	free(t->lines);
	free(t->jlines);
	free(t->ksyms);
	free(t->flens);
	free(t->funcs);
}

int main(int argc, char **argv)
{
	__u32 id = 0;
	int found = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: lines NAME...\n");
		return 2;
	}
	while (!bpf_prog_get_next_id(id, &id)) {
		struct tables t = {};
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		struct btf *btf;
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
		    !wanted(&info, argc, argv) || !info.btf_id ||
		    prog_tables(fd, &t)) {
			tables_free(&t);
			close(fd);
			continue;
		}
		btf = btf__load_from_kernel_by_id(t.info.btf_id);
		if (btf)
			print_prog(&t, btf);
		found += btf != NULL;
		btf__free(btf);
		tables_free(&t);
		close(fd);
	}
	if (!found) {
		fprintf(stderr, "Error: no loaded program of that name\n");
		return 1;
	}
	return 0;
}
