/* SPDX-License-Identifier: MIT */
/* Splitting a batch of independent items over the CPUs. */
#ifndef DIMG_CD_PAR_H
#define DIMG_CD_PAR_H

#include <stddef.h>

/* Runs fn(ctx, lo, hi) over [0, n) in contiguous slices, one per CPU (at
 * most 8), the caller's thread taking the first; returns when all are done.
 * Falls back to one thread when threads cannot be started. */
void cd_parallel(size_t n, void (*fn)(void *ctx, size_t lo, size_t hi), void *ctx);

#endif
