// SPDX-License-Identifier: GPL-2.0
/*
 * The image of the private instance's maps (replay_img.h). Every map the
 * program can write is taken, whatever its name: a map added to the
 * object later is then restored too, without a list to keep up. Left
 * out are the maps the program cannot write (.rodata, frozen), those
 * that hold other maps or programs, the ring (read empty after every
 * batch), and the caller's list.
 *
 * Arrays are read and written whole in one batch call each; hashes are
 * emptied key by key and refilled from the image (empty, for every hash
 * the data path writes, when the image is taken before the first
 * packet).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fg.h"
#include "replay_img.h"

struct fg_rimg_map {
	int fd;
	bool array;
	__u32 key_sz, val_sz; /* val_sz: all CPUs' values, per-CPU maps */
	__u32 n;	      /* entries in the image */
	void *keys, *vals;
};

static bool percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool taken(const struct bpf_map *m, const char *const *skip)
{
	enum bpf_map_type t = bpf_map__type(m);

	if (bpf_map__map_flags(m) & BPF_F_RDONLY_PROG)
		return false;
	switch (t) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_LPM_TRIE:
		break;
	default:
		return false;
	}
	for (; skip && *skip; skip++)
		if (!strcmp(bpf_map__name(m), *skip))
			return false;
	return true;
}

/* An array whole, in one batch call. */
static int take_array(struct fg_rimg_map *im, __u32 max)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 out = 0, count = max;
	int err;

	im->keys = calloc(max, im->key_sz);
	im->vals = calloc(max, im->val_sz);
	if (!im->keys || !im->vals)
		return -ENOMEM;
	err = bpf_map_lookup_batch(im->fd, NULL, &out, im->keys, im->vals,
				   &count, &opts);
	if (err && errno != ENOENT)
		return -errno;
	if (count != max)
		return -EPROTO;
	im->n = count;
	return 0;
}

/* A hash's entries, key by key. */
static int take_hash(struct fg_rimg_map *im)
{
	size_t cap = 0, vcap = 0;
	char *cur, *next;
	bool first = true;
	int err;

	cur = malloc(im->key_sz);
	next = malloc(im->key_sz);
	if (!cur || !next) {
		free(cur);
		free(next);
		return -ENOMEM;
	}
	for (;;) {
		if (bpf_map_get_next_key(im->fd, first ? NULL : cur, next)) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		first = false;
		memcpy(cur, next, im->key_sz);
		err = fg_grow(&im->keys, &cap, im->n, im->key_sz, 16);
		if (!err)
			err = fg_grow(&im->vals, &vcap, im->n, im->val_sz, 16);
		if (err)
			break;
		memcpy((char *)im->keys + (size_t)im->n * im->key_sz, cur,
		       im->key_sz);
		if (bpf_map_lookup_elem(im->fd, cur,
					(char *)im->vals +
						(size_t)im->n * im->val_sz)) {
			err = -errno;
			break;
		}
		im->n++;
	}
	free(cur);
	free(next);
	return err;
}

int fg_rimg_take(struct fg_rimg *img, struct bpf_object *obj,
		 const char *const *skip)
{
	int ncpu = libbpf_num_possible_cpus();
	struct fg_rimg_map *im;
	struct bpf_map *m;
	int err;

	memset(img, 0, sizeof(*img));
	if (ncpu < 0)
		return ncpu;
	bpf_object__for_each_map(m, obj)
	{
		if (!taken(m, skip))
			continue;
		im = realloc(img->m, (img->n + 1) * sizeof(*im));
		if (!im)
			return -ENOMEM;
		img->m = im;
		im = &img->m[img->n++];
		memset(im, 0, sizeof(*im));
		im->fd = bpf_map__fd(m);
		im->key_sz = bpf_map__key_size(m);
		im->val_sz = bpf_map__value_size(m);
		if (percpu(bpf_map__type(m)))
			im->val_sz = (im->val_sz + 7) / 8 * 8 * ncpu;
		im->array = bpf_map__type(m) == BPF_MAP_TYPE_ARRAY ||
			    bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY;
		err = im->array ? take_array(im, bpf_map__max_entries(m))
				: take_hash(im);
		if (err)
			return err;
	}
	return 0;
}

static int put_hash(const struct fg_rimg_map *im)
{
	char key[256];
	__u32 i;

	if (im->key_sz > sizeof(key))
		return -E2BIG;
	while (!bpf_map_get_next_key(im->fd, NULL, key))
		if (bpf_map_delete_elem(im->fd, key))
			return -errno;
	if (errno != ENOENT)
		return -errno;
	for (i = 0; i < im->n; i++)
		if (bpf_map_update_elem(
			    im->fd, (char *)im->keys + (size_t)i * im->key_sz,
			    (char *)im->vals + (size_t)i * im->val_sz, BPF_ANY))
			return -errno;
	return 0;
}

int fg_rimg_put(const struct fg_rimg *img)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	const struct fg_rimg_map *im;
	__u32 count;
	size_t i;
	int err;

	for (i = 0; i < img->n; i++) {
		im = &img->m[i];
		if (!im->array) {
			err = put_hash(im);
			if (err)
				return err;
			continue;
		}
		count = im->n;
		if (bpf_map_update_batch(im->fd, im->keys, im->vals, &count,
					 &opts))
			return -errno;
		if (count != im->n)
			return -EPROTO;
	}
	return 0;
}

void fg_rimg_free(struct fg_rimg *img)
{
	size_t i;

	for (i = 0; i < img->n; i++) {
		free(img->m[i].keys);
		free(img->m[i].vals);
	}
	free(img->m);
	memset(img, 0, sizeof(*img));
}
