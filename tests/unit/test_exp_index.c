// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the exporter's flow index (ctl/export/exp_index.c): the hash
 * (find, add, delete by backward shift, growth) against a plain array
 * reference under random churn, the timing wheel (what is due when, what
 * stays, laps longer than the wheel, rescheduling into a tick walked
 * past), and the dirty list (each entry once, deleted ones skipped).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fg.h"
#include "exp_index.h"

struct fg_opts fg_opts;

#define S 1000000000ull

static struct fg_flow_key key_of(__u32 n)
{
	struct fg_flow_key k = {.ifindex = 1, .ip_ver = 4, .proto = 17};

	k.src[10] = k.src[11] = 0xff;
	memcpy(&k.src[12], &n, 4);
	k.sport = (__u16)(n * 7);
	return k;
}

static void hash_spreads_keys(void **state)
{
	struct fg_flow_key a = key_of(1), b = key_of(1);

	assert_true(fx_hash(&a) == fx_hash(&b));
	b.pad = 1; /* every byte counts, the last word too */
	assert_true(fx_hash(&a) != fx_hash(&b));
	b = a;
	b.src[15] ^= 1;
	assert_true(fx_hash(&a) != fx_hash(&b));
}

static void add_find_del(void **state)
{
	struct fx_index ix;
	struct fg_flow_key k;
	struct fx_ent *e;
	__u32 i;

	assert_int_equal(fx_init(&ix, 16, S), 0);
	for (i = 0; i < 1000; i++) {
		k = key_of(i);
		assert_null(fx_find(&ix, &k));
		e = fx_add(&ix, &k);
		assert_non_null(e);
		e->v.packets = i;
	}
	assert_int_equal(ix.used, 1000);
	assert_true(ix.mask + 1 >= 2000); /* grew, half full at most */
	for (i = 0; i < 1000; i += 2) {
		k = key_of(i);
		fx_del(&ix, fx_find(&ix, &k));
	}
	assert_int_equal(ix.used, 500);
	for (i = 0; i < 1000; i++) {
		k = key_of(i);
		e = fx_find(&ix, &k);
		if (i % 2) {
			assert_non_null(e);
			assert_int_equal(e->v.packets, i);
		} else {
			assert_null(e);
		}
	}
	/* fx_get: the entry there, or a new one. */
	k = key_of(1);
	assert_ptr_equal(fx_get(&ix, &k), fx_find(&ix, &k));
	k = key_of(2);
	e = fx_get(&ix, &k);
	assert_non_null(e);
	assert_ptr_equal(fx_find(&ix, &k), e);
	assert_int_equal(ix.used, 501);
	/* fx_get_h: the same with the hash given (prefetched or not) */
	fx_prefetch(&ix, (__u32)fx_hash(&k));
	assert_ptr_equal(fx_get_h(&ix, &k, (__u32)fx_hash(&k)), e);
	k = key_of(3);
	assert_ptr_equal(fx_get_h(&ix, &k, (__u32)fx_hash(&k)),
			 fx_find(&ix, &k));
	k = key_of(5000);
	e = fx_get_h(&ix, &k, (__u32)fx_hash(&k));
	assert_non_null(e);
	assert_ptr_equal(fx_find(&ix, &k), e);
	assert_int_equal(ix.used, 502);
	fx_del(&ix, e);
	k = key_of(2);
	e = fx_find(&ix, &k);
	fx_del(&ix, e);
	/* Ids of deleted entries are reused: no new chunk. */
	for (i = 0; i < 1000; i += 2) {
		k = key_of(i);
		assert_non_null(fx_add(&ix, &k));
	}
	assert_int_equal(ix.top, 1001);
	fx_free(&ix);
}

/* Random adds and deletes against a presence array: backward shift
 * never loses a key nor leaves one findable after its delete. */
static void churn_matches_reference(void **state)
{
	enum { N = 5000 };
	static bool in[N];
	struct fx_index ix;
	struct fg_flow_key k;
	__u32 i, r, live = 0;
	struct fx_ent *e;

	srand(7);
	memset(in, 0, sizeof(in));
	assert_int_equal(fx_init(&ix, 16, S), 0);
	for (i = 0; i < 200000; i++) {
		r = rand() % N;
		k = key_of(r);
		e = fx_find(&ix, &k);
		assert_int_equal(e != NULL, in[r]);
		if (e) {
			fx_del(&ix, e);
			live--;
		} else {
			assert_non_null(fx_add(&ix, &k));
			live++;
		}
		in[r] = !in[r];
	}
	assert_int_equal(ix.used, live);
	for (r = 0; r < N; r++) {
		k = key_of(r);
		assert_int_equal(fx_find(&ix, &k) != NULL, in[r]);
	}
	fx_free(&ix);
}

static long take(struct fx_index *ix, __u64 now, __u32 **ids, size_t *cap)
{
	long n = fx_take_due(ix, now, ids, cap);

	assert_true(n >= 0);
	return n;
}

static void wheel_takes_what_is_due(void **state)
{
	struct fx_index ix;
	struct fg_flow_key k;
	struct fx_ent *e[4];
	__u32 *ids = NULL;
	size_t cap = 0;
	int i;

	assert_int_equal(fx_init(&ix, 16, S), 0);
	for (i = 0; i < 4; i++) {
		k = key_of(i);
		e[i] = fx_add(&ix, &k);
	}
	fx_schedule(&ix, e[0], 100 * S + S / 2); /* tick 100, mid-tick */
	fx_schedule(&ix, e[1], 100 * S);
	fx_schedule(&ix, e[2], 105 * S);
	/* More than a lap of the wheel ahead. */
	fx_schedule(&ix, e[3], (100 + FX_WHEEL + 3) * S);
	assert_int_equal(take(&ix, 99 * S, &ids, &cap), 0);
	assert_int_equal(take(&ix, 100 * S, &ids, &cap), 1);
	assert_int_equal(ids[0], e[1]->id);
	assert_false(e[1]->flags & FX_LINKED);
	/* Later in the same tick: its bucket is walked again. */
	assert_int_equal(take(&ix, 100 * S + S / 2, &ids, &cap), 1);
	assert_int_equal(ids[0], e[0]->id);
	/* A jump over several ticks. */
	assert_int_equal(take(&ix, 200 * S, &ids, &cap), 1);
	assert_int_equal(ids[0], e[2]->id);
	/* The far one shares a bucket with tick 103 + a lap: not taken
	 * before its time, taken after a jump of more than a lap. */
	assert_int_equal(take(&ix, (100 + FX_WHEEL + 2) * S, &ids, &cap), 0);
	assert_true(e[3]->flags & FX_LINKED);
	assert_int_equal(take(&ix, (100 + 3 * FX_WHEEL) * S, &ids, &cap), 1);
	assert_int_equal(ids[0], e[3]->id);
	/* Due in the past: taken at the next walk. */
	fx_schedule(&ix, e[0], 5 * S);
	assert_int_equal(take(&ix, (100 + 3 * FX_WHEEL) * S, &ids, &cap), 1);
	assert_int_equal(ids[0], e[0]->id);
	free(ids);
	fx_free(&ix);
}

static void wheel_reschedule_and_delete(void **state)
{
	struct fx_index ix;
	struct fg_flow_key k;
	struct fx_ent *e[3];
	__u32 *ids = NULL;
	size_t cap = 0;
	int i;

	assert_int_equal(fx_init(&ix, 16, S), 0);
	for (i = 0; i < 3; i++) {
		k = key_of(i);
		e[i] = fx_add(&ix, &k);
		fx_schedule(&ix, e[i], 10 * S); /* one bucket, a list of 3 */
	}
	fx_schedule(&ix, e[1], 20 * S); /* out of the middle */
	k = key_of(2);
	fx_del(&ix, e[2]); /* the head */
	assert_int_equal(take(&ix, 10 * S, &ids, &cap), 1);
	assert_int_equal(ids[0], e[0]->id);
	assert_int_equal(take(&ix, 30 * S, &ids, &cap), 1);
	assert_int_equal(ids[0], e[1]->id);
	assert_null(fx_find(&ix, &k));
	free(ids);
	fx_free(&ix);
}

static void count_dirty(struct fx_ent *e, void *ctx)
{
	(*(int *)ctx)++;
	assert_true(e->used);
}

static void dirty_once_each(void **state)
{
	struct fx_index ix;
	struct fg_flow_key k;
	struct fx_ent *e[3];
	int i, n = 0;

	assert_int_equal(fx_init(&ix, 16, S), 0);
	for (i = 0; i < 3; i++) {
		k = key_of(i);
		e[i] = fx_add(&ix, &k);
		fx_mark_dirty(&ix, e[i]);
		fx_mark_dirty(&ix, e[i]);
	}
	assert_int_equal(ix.ndirty, 3);
	fx_del(&ix, e[1]); /* on the list: skipped, its id kept till then */
	k = key_of(9);
	assert_int_not_equal(fx_add(&ix, &k)->id, e[1]->id);
	fx_each_dirty(&ix, count_dirty, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ix.ndirty, 0);
	assert_false(e[0]->flags & FX_DIRTY);
	k = key_of(10);
	assert_int_equal(fx_add(&ix, &k)->id, e[1]->id); /* now free */
	fx_free(&ix);
}

/* An index rebuilt from the pinned rows: entries at the rows' ids (past a
 * chunk, too), the ids between them free for new flows, none given twice. */
static void add_at_keeps_ids(void **state)
{
	const __u32 at[] = {3, 4, 9, FX_CHUNK + 5};
	__u32 i, j, seen[8] = {0}, n = 0;
	struct fx_index ix;
	struct fg_flow_key k;
	struct fx_ent *e;

	assert_int_equal(fx_init(&ix, 16, S), 0);
	for (i = 0; i < 4; i++) {
		k = key_of(100 + i);
		e = fx_add_at(&ix, &k, at[i]);
		assert_non_null(e);
		assert_int_equal(e->id, at[i]);
	}
	k = key_of(100);
	assert_null(fx_add_at(&ix, &k, FX_CHUNK + 9)); /* in already */
	k = key_of(200);
	assert_null(fx_add_at(&ix, &k, 5)); /* below one handed out */
	assert_int_equal(ix.used, 4);
	k = key_of(102);
	assert_int_equal(fx_find(&ix, &k)->id, 9);
	for (i = 0; i < 8; i++) {
		k = key_of(300 + i);
		e = fx_add(&ix, &k);
		assert_non_null(e);
		assert_true(e->id != 3 && e->id != 4 && e->id != 9 &&
			    e->id != FX_CHUNK + 5 && e->id > 0);
		assert_true(e->id < FX_CHUNK + 5);
		seen[n++] = e->id;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			assert_true(seen[i] != seen[j]);
	fx_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_spreads_keys),
		cmocka_unit_test(add_find_del),
		cmocka_unit_test(churn_matches_reference),
		cmocka_unit_test(wheel_takes_what_is_due),
		cmocka_unit_test(wheel_reschedule_and_delete),
		cmocka_unit_test(dirty_once_each),
		cmocka_unit_test(add_at_keeps_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
