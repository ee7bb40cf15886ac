/* SPDX-License-Identifier: MIT */
/*
 * zisofs (Rock Ridge ZF "pz") transparent decompression with zlib.
 * A compressed file starts with a 16-byte header and a table of block
 * pointers; each block inflates to at most 2^log2 bytes, and an empty
 * block (two equal pointers) stands for zeros.
 */
#include "formats/iso9660/iso9660_fs_internal.h"
#include "util/bytes.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* zlib's worst-case expansion of incompressible data is small; anything
 * larger than this for one block is corrupt. */
#define ZBOUND(bs) ((bs) + (bs) / 8 + 64)

static int load_block(struct iso_fs *fs, const struct iso_node *n, uint32_t log2,
		      uint32_t table_off, uint64_t blk, uint8_t *out, uint32_t *out_len,
		      struct dimg_error *err)
{
	uint8_t ptr[8];
	uint32_t bs = 1u << log2, p0, p1, clen;
	uint64_t want = n->zf_size - blk * bs;
	uint8_t *cbuf;
	uLongf dlen;
	int rc, zrc;
	if (want > bs)
		want = bs;
	rc = iso_read_stored(fs, n, table_off + blk * 4, ptr, 8, err);
	if (rc)
		return rc;
	p0 = ld_le32(ptr);
	p1 = ld_le32(ptr + 4);
	*out_len = (uint32_t)want;
	if (p1 < p0 || p1 > n->stored_size)
		return dimg_err(err, DIMG_EFORMAT, (int64_t)n->st.ino,
				"zisofs block %llu has bad pointers %u..%u",
				(unsigned long long)blk, p0, p1);
	clen = p1 - p0;
	if (clen == 0) {
		memset(out, 0, want);
		return 0;
	}
	if (clen > ZBOUND(bs))
		return dimg_err(err, DIMG_EFORMAT, (int64_t)n->st.ino,
				"zisofs block %llu is %u bytes compressed", (unsigned long long)blk,
				clen);
	cbuf = malloc(clen);
	if (!cbuf)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	rc = iso_read_stored(fs, n, p0, cbuf, clen, err);
	if (rc == 0) {
		dlen = bs;
		zrc = uncompress(out, &dlen, cbuf, clen);
		if (zrc != Z_OK || dlen != want)
			rc = dimg_err(err, DIMG_EFORMAT, (int64_t)n->st.ino,
				      "zisofs block %llu does not inflate to %llu bytes (zlib %d)",
				      (unsigned long long)blk, (unsigned long long)want, zrc);
	}
	free(cbuf);
	return rc;
}

int iso_zisofs_read(struct iso_fs *fs, const struct iso_node *n, uint64_t off, uint8_t *buf,
		    size_t len, struct dimg_error *err)
{
	uint8_t hdr[ZISOFS_HDR_SIZE];
	uint32_t log2, table_off, bs;
	uint64_t nblocks;
	int rc;

	if (n->stored_size < ZISOFS_HDR_SIZE)
		return dimg_err(err, DIMG_EFORMAT, (int64_t)n->st.ino, "zisofs file too short");
	rc = iso_read_stored(fs, n, 0, hdr, sizeof(hdr), err);
	if (rc)
		return rc;
	if (memcmp(hdr, ZISOFS_MAGIC, 8))
		return dimg_err(err, DIMG_EFORMAT, (int64_t)n->st.ino, "bad zisofs magic");
	log2 = hdr[13];
	table_off = (uint32_t)hdr[12] * 4u;
	if (log2 < DIMG_ZISOFS_MIN_LOG2 || log2 > DIMG_ZISOFS_MAX_LOG2)
		return dimg_err(err, DIMG_EFORMAT, (int64_t)n->st.ino,
				"zisofs block size 2^%u is not allowed", log2);
	if (ld_le32(hdr + 8) != n->zf_size)
		return dimg_err(err, DIMG_EFORMAT, (int64_t)n->st.ino,
				"zisofs header size %u differs from ZF size %u", ld_le32(hdr + 8),
				n->zf_size);
	bs = 1u << log2;
	nblocks = ((uint64_t)n->zf_size + bs - 1) / bs;
	if (nblocks > DIMG_MAX_ZISOFS_BLOCKS || table_off < ZISOFS_HDR_SIZE ||
	    table_off + (nblocks + 1) * 4 > n->stored_size)
		return dimg_err(err, DIMG_EFORMAT, (int64_t)n->st.ino,
				"zisofs block table does not fit the file");

	uint8_t *tmp = NULL;
	while (len > 0 && rc == 0) {
		uint64_t blk = off / bs;
		uint32_t within = (uint32_t)(off % bs), got = 0, blen = 0;
		bool hit = false;
		pthread_mutex_lock(&fs->lock);
		if (!fs->zcache)
			fs->zcache = calloc(ISO_ZCACHE_BLOCKS, sizeof(*fs->zcache));
		if (!fs->zcache) {
			pthread_mutex_unlock(&fs->lock);
			rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			break;
		}
		for (int i = 0; i < ISO_ZCACHE_BLOCKS; i++) {
			struct iso_zcache *z = &fs->zcache[i];
			if (z->valid && z->ino == n->st.ino && z->block == blk) {
				z->used = ++fs->zclock;
				blen = z->len;
				if (within < blen) {
					got = blen - within < len ? blen - within : (uint32_t)len;
					memcpy(buf, z->data + within, got);
				}
				hit = true;
				break;
			}
		}
		pthread_mutex_unlock(&fs->lock);
		if (!hit) {
			/* inflate outside the lock: other readers go on meanwhile */
			if (!tmp && !(tmp = malloc(1u << DIMG_ZISOFS_MAX_LOG2))) {
				rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
				break;
			}
			rc = load_block(fs, n, log2, table_off, blk, tmp, &blen, err);
			if (rc)
				break;
			pthread_mutex_lock(&fs->lock);
			struct iso_zcache *victim = &fs->zcache[0];
			for (int i = 1; i < ISO_ZCACHE_BLOCKS; i++)
				if (!fs->zcache[i].valid ||
				    (victim->valid && fs->zcache[i].used < victim->used))
					victim = &fs->zcache[i];
			memcpy(victim->data, tmp, blen);
			victim->len = blen;
			victim->ino = n->st.ino;
			victim->block = blk;
			victim->valid = true;
			victim->used = ++fs->zclock;
			pthread_mutex_unlock(&fs->lock);
			if (within < blen) {
				got = blen - within < len ? blen - within : (uint32_t)len;
				memcpy(buf, tmp + within, got);
			}
		}
		if (got == 0) {
			rc = dimg_err(err, DIMG_EFORMAT, (int64_t)n->st.ino, "zisofs data short");
			break;
		}
		buf += got;
		len -= got;
		off += got;
	}
	free(tmp);
	return rc;
}
