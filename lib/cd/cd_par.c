/* SPDX-License-Identifier: MIT */
/* Fork-join over a batch: threads are started per batch, which costs tens
 * of microseconds against the milliseconds a 4096-sector batch takes. */
#include "cd/cd_par.h"

#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#define PAR_MAX 8

struct slice {
	void (*fn)(void *ctx, size_t lo, size_t hi);
	void *ctx;
	size_t lo, hi;
};

static void *run_slice(void *arg)
{
	struct slice *s = arg;
	s->fn(s->ctx, s->lo, s->hi);
	return NULL;
}

static int cpus(void)
{
	static int n;
	if (!n) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		n = c < 1 ? 1 : c > PAR_MAX ? PAR_MAX : (int)c;
	}
	return n;
}

void cd_parallel(size_t n, void (*fn)(void *ctx, size_t lo, size_t hi), void *ctx)
{
	struct slice sl[PAR_MAX] = {{0}};
	pthread_t th[PAR_MAX];
	bool started[PAR_MAX] = {false};
	int k = cpus();
	if (n < 64 || k == 1) {
		fn(ctx, 0, n);
		return;
	}
	for (int i = 0; i < k; i++)
		sl[i] = (struct slice){fn, ctx, n * (size_t)i / (size_t)k,
				       n * (size_t)(i + 1) / (size_t)k};
	for (int i = 1; i < k; i++)
		started[i] = pthread_create(&th[i], NULL, run_slice, &sl[i]) == 0;
	fn(ctx, sl[0].lo, sl[0].hi);
	for (int i = 1; i < k; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			fn(ctx, sl[i].lo, sl[i].hi);
	}
}
