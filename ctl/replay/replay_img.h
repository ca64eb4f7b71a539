/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The private instance's maps as they were before the first capture
 * (replay_img.c): replaying several captures on one load of fg_replay
 * puts them back before each further capture, so that each capture sees
 * the maps a load of its own would have given it.
 */
#ifndef FG_REPLAY_IMG_H
#define FG_REPLAY_IMG_H

#include <stddef.h>

struct bpf_object;
struct fg_rimg_map;

struct fg_rimg {
	struct fg_rimg_map *m;
	size_t n;
};

/* Every map of obj the program may write, its entries as they are now;
 * the maps named in skip (NULL-terminated) are left out: the caller
 * restores them itself, or only user space writes them. 0 or -errno. */
int fg_rimg_take(struct fg_rimg *img, struct bpf_object *obj,
		 const char *const *skip);
/* Each map taken back to its image: an array's every entry written, a
 * hash's entries deleted and the image's put back. 0 or -errno. */
int fg_rimg_put(const struct fg_rimg *img);
void fg_rimg_free(struct fg_rimg *img);

#endif /* FG_REPLAY_IMG_H */
