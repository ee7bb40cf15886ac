/* SPDX-License-Identifier: MIT */
/*
 * dimg_hash: CRC32 (zlib), MD5, SHA-1, SHA-256 (OpenSSL libcrypto) of an
 * image's data in one pass.  The main thread reads the next chunk while two
 * workers hash the current one, each owning a share of the algorithms
 * (MD5 alone is as slow as SHA-1 and CRC32 together on CPUs with SHA
 * extensions), so the work is bounded by the slowest share, not the sum.
 *
 * What is hashed: the bytes of each track's stored sectors, begin to end,
 * in segment order whatever files hold them (the pregap included when a
 * file holds it, also when it ends the previous track's file as in EAC's
 * noncompliant sheets; generated PREGAP/POSTGAP are not in any file and not
 * hashed) - Redump's per-track hashes - and, for the whole image, those
 * bytes in track order, which for one BIN or ISO is the file itself.  An
 * image that is not a CD (a DVD or BD ISO, a disk image of any size) is
 * hashed as the bytes of its file.
 */
#include "cd/cd_disc.h"
#include "cd/cd_sector.h"
#include "util/bytes.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define HASH_CHUNK (4u << 20)
#define NALGO 4

static const char *const algo_names[NALGO] = {"crc32", "md5", "sha1", "sha256"};
/* relative cost per byte, for sharing the algorithms out */
static const int algo_cost[NALGO] = {4, 10, 4, 4};

struct hstate {
	uLong crc;
	EVP_MD_CTX *md;
};

struct chunk {
	uint8_t *buf;	     /* owned read buffer */
	const uint8_t *data; /* what to hash: buf, or straight from the mapped file */
	size_t len;
	bool track_end; /* last chunk of a track */
	int track;	/* index in the disc */
};

struct hasher {
	unsigned algos;
	bool per_track; /* contexts restart at each track end */
	struct hstate trk[NALGO];
	pthread_mutex_t gate_lock;
	pthread_cond_t gate;
	int gate_state; /* 0 wait, 1 run, -1 quit */
	struct chunk ch[2];
	int cur; /* chunk the workers hash this round */
	bool stop;
	pthread_barrier_t bar;
	unsigned share[2];	       /* algorithm bits per worker */
	uint8_t (*digests)[NALGO][32]; /* per track */
	uint64_t *sizes;
	uLong *crcs; /* per-track crc (for combining) */
	bool failed;
};

static const EVP_MD *md_of(int a)
{
	return a == 1 ? EVP_md5() : a == 2 ? EVP_sha1() : EVP_sha256();
}

static void update(struct hasher *h, unsigned share, const struct chunk *c)
{
	for (int a = 0; a < NALGO; a++) {
		if (!(share & (1u << a)))
			continue;
		if (a == 0 && c->len) /* crc32(crc, NULL, 0) would restart the CRC */
			h->trk[0].crc = crc32(h->trk[0].crc, c->data, (uInt)c->len);
		else if (c->len && EVP_DigestUpdate(h->trk[a].md, c->data, c->len) != 1)
			h->failed = true;
		if (c->track_end && h->per_track) {
			unsigned len = 0;
			if (a == 0) {
				h->crcs[c->track] = h->trk[0].crc;
				h->trk[0].crc = crc32(0, NULL, 0);
			} else if (EVP_DigestFinal_ex(h->trk[a].md, h->digests[c->track][a],
						      &len) != 1 ||
				   EVP_DigestInit_ex(h->trk[a].md, md_of(a), NULL) != 1) {
				h->failed = true;
			}
		}
	}
}

struct worker {
	struct hasher *h;
	int id;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct hasher *h = w->h;
	int go;
	pthread_mutex_lock(&h->gate_lock);
	while (h->gate_state == 0)
		pthread_cond_wait(&h->gate, &h->gate_lock);
	go = h->gate_state;
	pthread_mutex_unlock(&h->gate_lock);
	if (go < 0)
		return NULL;
	for (;;) {
		pthread_barrier_wait(&h->bar); /* a chunk is ready (or stop) */
		if (h->stop)
			return NULL;
		update(h, h->share[w->id], &h->ch[h->cur]);
		pthread_barrier_wait(&h->bar); /* done with it */
	}
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void put_digests(struct dimg_node *o, unsigned algos, uLong crc,
			const uint8_t dig[NALGO][32], bool with_md)
{
	char s[80];
	for (int a = 0; a < NALGO; a++) {
		if (!(algos & (1u << a)))
			continue;
		if (a == 0) {
			snprintf(s, sizeof(s), "%08lx", crc);
		} else {
			if (!with_md)
				continue;
			hex(dig[a], (size_t)EVP_MD_get_size(md_of(a)), s);
		}
		node_str(o, algo_names[a], s);
	}
}

struct feed {
	struct hasher *h;
	int fill;
	bool pending;
	dimg_progress_fn progress;
	void *ctx;
	uint64_t done, total;
};

/* Hands len bytes at off of io (or of map, the same bytes mapped, when not
 * NULL) to the workers chunk by chunk, reading the next while they hash. */
/* Undoes the scrambling of the bytes of a run of 2352-byte sectors that
 * starts at byte `at` of the run (a chunk need not begin on a sector). */
static void descramble(uint8_t *p, size_t n, uint64_t at)
{
	for (size_t i = 0; i < n; i++) {
		unsigned k = (unsigned)((at + i) % CD_RAW);
		if (k >= CD_SYNC_LEN)
			p[i] ^= cd_scramble_byte(k - CD_SYNC_LEN);
	}
}

/* How a run's stored bytes differ from the BIN's: scrambled data sectors,
 * big-endian audio (MOTOROLA, AIFF). */
enum feed_fix { FIX_NONE, FIX_SCRAMBLED, FIX_SWAP };

/* len bytes from off of io (f: a cue's file, NULL the plain image) in
 * chunks to the workers, hashed as the BIN holds them (fix). */
static int feed_range(struct feed *fd, int ti, struct dimg_io *io, const struct cd_file *f,
		      const uint8_t *map, uint64_t off, uint64_t left, enum feed_fix fix,
		      const char *name, struct dimg_error *err)
{
	const uint64_t first = off;
	struct hasher *h = fd->h;
	while (left) {
		struct chunk *c = &h->ch[fd->fill];
		size_t n = left < HASH_CHUNK ? (size_t)left : HASH_CHUNK;
		if (map) {
			c->data = map + off;
#ifdef MADV_POPULATE_READ
			/* map the chunk's pages here, while the workers hash the
			 * previous one, so the MD5 worker never waits on faults */
			{
				uintptr_t a = (uintptr_t)c->data & ~(uintptr_t)4095;
				madvise((void *)a, n + ((uintptr_t)c->data - a),
					MADV_POPULATE_READ);
			}
#endif
		} else {
			int rc;
			c->data = c->buf;
			/* a cue's file (FLAC: its PCM), or the plain image */
			rc = f ? cd_file_read(f, c->buf, n, off, err)
			       : io_read(io, c->buf, n, off, err);
			if (rc) {
				dimg_err_what(err, name);
				return rc;
			}
			if (fix == FIX_SCRAMBLED)
				descramble(c->buf, n, off - first);
			else if (fix == FIX_SWAP) /* chunks are even-sized */
				swap16_words(c->buf, n);
		}
		c->len = n;
		c->track = ti;
		c->track_end = false;
		off += n;
		left -= n;
		if (fd->pending) /* wait for the workers to finish the other chunk */
			pthread_barrier_wait(&h->bar);
		h->cur = fd->fill;
		pthread_barrier_wait(&h->bar); /* start this one */
		fd->pending = true;
		fd->fill ^= 1;
		fd->done += n;
		if (fd->progress)
			fd->progress(fd->ctx, fd->done, fd->total);
	}
	return 0;
}

/* An empty chunk closes track ti (its digests are taken). */
static void feed_end(struct feed *fd, int ti)
{
	struct hasher *h = fd->h;
	struct chunk *c = &h->ch[fd->fill];
	c->len = 0;
	c->track = ti;
	c->track_end = true;
	if (fd->pending)
		pthread_barrier_wait(&h->bar);
	h->cur = fd->fill;
	pthread_barrier_wait(&h->bar);
	fd->pending = true;
	fd->fill ^= 1;
}

/* Track ti's stored bytes; plain files through the model's read-only
 * mappings, so the workers read the page cache directly. */
static int feed_track(const struct cd_disc *d, int ti, struct feed *fd, struct dimg_error *err)
{
	const struct cd_track *t = &d->tracks[ti];
	for (int s = 0; s < t->nsegs; s++) {
		const struct cd_seg *g = &d->segs[t->first_seg + s];
		const struct cd_file *f;
		uint64_t off, len;
		enum feed_fix fix;
		int rc;
		if (g->file < 0)
			continue;
		f = &d->files[g->file];
		off = f->data_off + g->offset;
		len = (uint64_t)g->sectors * cd_track_stride(t);
		fix = t->scrambled ? FIX_SCRAMBLED
		      : (f->type == CD_FILE_MOTOROLA || f->type == CD_FILE_AIFF) &&
			      cd_tmodes[t->mode].data_mode == 0 && !t->sub_rw &&
			      t->mode != CD_TM_CDG
			  ? FIX_SWAP
			  : FIX_NONE;
		rc = feed_range(fd, ti, f->io, f,
				f->map && off + len <= f->map_size && fix == FIX_NONE ? f->map
										      : NULL,
				off, len, fix, f->name, err);
		if (rc)
			return rc;
	}
	feed_end(fd, ti);
	return 0;
}

/* An image that is not a CD (a DVD or BD ISO, a disk image, any size):
 * its bytes, mapped when it is a plain file. */
static int feed_plain(struct dimg_image *img, struct feed *fd, struct dimg_error *err)
{
	struct dimg_io *io = img->io;
	const uint8_t *map = NULL;
	int rc;
	if (io->fd >= 0 && io->size && io->size <= SIZE_MAX) {
		void *m = mmap(NULL, (size_t)io->size, PROT_READ, MAP_SHARED, io->fd, 0);
		if (m != MAP_FAILED) {
			madvise(m, (size_t)io->size, MADV_SEQUENTIAL);
			map = m;
		}
	}
	rc = feed_range(fd, 0, io, NULL, map, 0, io->size, FIX_NONE, img->path, err);
	if (rc == 0)
		feed_end(fd, 0);
	/* the workers are done with the last chunk only after the caller's
	 * final barrier; wait for it before unmapping */
	if (fd->pending) {
		pthread_barrier_wait(&fd->h->bar);
		fd->pending = false;
	}
	if (map)
		munmap((void *)map, (size_t)io->size);
	return rc;
}

int dimg_hash(struct dimg_image *img, unsigned algos, int per_track, dimg_progress_fn progress,
	      void *ctx, struct dimg_node **report, struct dimg_error *err)
{
	struct cd_disc *d = image_disc(img, err);
	struct hasher *h;
	struct worker w[2];
	pthread_t th[2];
	int nthreads = 0, rc = 0, ntracks = d ? d->ntracks : 1;
	struct feed fd = {.progress = progress, .ctx = ctx};
	uint64_t whole_size = 0;
	struct dimg_node *rep = NULL;
	*report = NULL;
	if (!d) {
		/* not a CD: a plain image of any size is hashed as its bytes */
		if (err->code != DIMG_EUNSUPPORTED || img->drv->read)
			return err->code;
		dimg_error_clear(err);
		if (per_track)
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"--per-track needs a CD image (this one has no tracks)");
	}
	if (!algos || algos >= (1u << NALGO))
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "no hash algorithm chosen");
	if (!(h = calloc(1, sizeof(*h))))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	h->algos = algos;
	/* With per_track every context restarts at each track end; the whole
	 * image's CRC32 is then combined from the tracks', and its MD5/SHA are
	 * only known for a single track (hashing twice would halve the speed). */
	h->per_track = per_track || ntracks == 1;
	fd.h = h;
	pthread_mutex_init(&h->gate_lock, NULL);
	pthread_cond_init(&h->gate, NULL);
	h->digests = calloc((size_t)ntracks, sizeof(*h->digests));
	h->sizes = calloc((size_t)ntracks, sizeof(*h->sizes));
	h->crcs = calloc((size_t)ntracks, sizeof(*h->crcs));
	h->ch[0].buf = malloc(HASH_CHUNK);
	h->ch[1].buf = malloc(HASH_CHUNK);
	rep = node_object(NULL, NULL);
	if (!h->digests || !h->sizes || !h->crcs || !h->ch[0].buf || !h->ch[1].buf || !rep) {
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		goto out;
	}
	h->trk[0].crc = crc32(0, NULL, 0);
	for (int a = 1; a < NALGO; a++) {
		if (!(algos & (1u << a)))
			continue;
		if (!(h->trk[a].md = EVP_MD_CTX_new()) ||
		    EVP_DigestInit_ex(h->trk[a].md, md_of(a), NULL) != 1) {
			rc = dimg_err(err, DIMG_EIO, DIMG_OFFSET_NONE, "libcrypto: cannot start %s",
				      algo_names[a]);
			goto out;
		}
	}
	/* share the algorithms out: most expensive first, to the lighter worker */
	{
		int load[2] = {0, 0};
		for (int pass = 10; pass > 0; pass--)
			for (int a = 0; a < NALGO; a++)
				if ((algos & (1u << a)) && algo_cost[a] == pass) {
					int wk = load[1] < load[0];
					h->share[wk] |= 1u << a;
					load[wk] += algo_cost[a];
				}
		if (!h->share[1]) /* one algorithm: one worker */
			h->share[1] = 0;
	}
	for (int i = 0; d && i < d->ntracks; i++)
		for (int s = 0; s < d->tracks[i].nsegs; s++) {
			const struct cd_seg *g = &d->segs[d->tracks[i].first_seg + s];
			if (g->file >= 0)
				h->sizes[i] +=
				    (uint64_t)g->sectors * cd_track_stride(&d->tracks[i]);
		}
	if (!d)
		h->sizes[0] = img->io->size;
	for (int i = 0; i < ntracks; i++)
		fd.total += h->sizes[i];
	if (pthread_barrier_init(&h->bar, NULL, 3) != 0) {
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "cannot create a barrier");
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		w[i] = (struct worker){h, i};
		if (pthread_create(&th[i], NULL, work, &w[i]) != 0)
			break;
		nthreads++;
	}
	pthread_mutex_lock(&h->gate_lock);
	h->gate_state = nthreads == 2 ? 1 : -1;
	pthread_cond_broadcast(&h->gate);
	pthread_mutex_unlock(&h->gate_lock);
	if (nthreads < 2) {
		/* a started worker sees the gate say quit before any barrier */
		for (int i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&h->bar);
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "cannot start hash threads");
		goto out;
	}
	if (d) {
		cd_disc_map_files(d);
		for (int i = 0; i < d->ntracks && rc == 0; i++)
			rc = feed_track(d, i, &fd, err);
	} else {
		rc = feed_plain(img, &fd, err);
	}
	if (fd.pending)
		pthread_barrier_wait(&h->bar);
	h->stop = true;
	pthread_barrier_wait(&h->bar);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&h->bar);
	if (rc)
		goto out;
	if (h->failed) {
		rc = dimg_err(err, DIMG_EIO, DIMG_OFFSET_NONE, "libcrypto failed while hashing");
		goto out;
	}
	/* the whole image */
	{
		uint8_t whole[NALGO][32];
		uLong crc = h->trk[0].crc;
		bool have_md = !h->per_track || ntracks == 1;
		for (int i = 0; i < ntracks; i++)
			whole_size += h->sizes[i];
		if (h->per_track) {
			crc = h->crcs[0];
			for (int i = 1; i < ntracks; i++)
				crc = crc32_combine(crc, h->crcs[i], (z_off_t)h->sizes[i]);
		}
		memset(whole, 0, sizeof(whole));
		for (int a = 1; a < NALGO; a++) {
			unsigned len;
			if (!(algos & (1u << a)))
				continue;
			if (!h->per_track)
				EVP_DigestFinal_ex(h->trk[a].md, whole[a], &len);
			else if (ntracks == 1)
				memcpy(whole[a], h->digests[0][a], 32);
		}
		node_str(rep, "path", img->path);
		node_int(rep, "size", (int64_t)whole_size);
		put_digests(rep, algos, crc, (const uint8_t(*)[32])whole, have_md);
	}
	if (per_track && d) {
		struct dimg_node *arr = node_array(rep, "tracks");
		for (int i = 0; i < d->ntracks; i++) {
			struct dimg_node *o = node_object(arr, NULL);
			node_int(o, "number", d->tracks[i].number);
			node_str(o, "mode", cd_tmodes[d->tracks[i].mode].cue);
			node_int(o, "size", (int64_t)h->sizes[i]);
			put_digests(o, algos, h->crcs[i], (const uint8_t(*)[32])h->digests[i],
				    true);
		}
	}
	if (node_failed(rep))
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
out:
	for (int a = 0; a < NALGO; a++) {
		EVP_MD_CTX_free(h->trk[a].md);
	}
	pthread_mutex_destroy(&h->gate_lock);
	pthread_cond_destroy(&h->gate);
	free(h->digests);
	free(h->sizes);
	free(h->crcs);
	free(h->ch[0].buf);
	free(h->ch[1].buf);
	free(h);
	if (rc)
		dimg_node_free(rep);
	else
		*report = rep;
	return rc;
}
