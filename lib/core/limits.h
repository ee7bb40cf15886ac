/* SPDX-License-Identifier: MIT */
/*
 * Every hop limit and allocation cap that protects dimg against hostile
 * input, in one place.  Values are generous for real media and small enough
 * that a crafted image cannot make dimg loop or allocate without bound.
 */
#ifndef DIMG_CORE_LIMITS_H
#define DIMG_CORE_LIMITS_H

/* Directory nesting depth followed by any walk (ISO 9660 allows 8, Rock
 * Ridge relocation and other writers go deeper). */
#define DIMG_MAX_DIR_DEPTH 1024
/* Largest directory extent read into memory. */
#define DIMG_MAX_DIR_BYTES (256u * 1024u * 1024u)
/* SUSP continuation areas followed for one directory record. */
#define DIMG_MAX_CE_HOPS 64
/* Total System Use bytes gathered for one record (SUA + all CE areas). */
#define DIMG_MAX_SUSP_BYTES (1024u * 1024u)
/* Extents of one multi-extent file. */
#define DIMG_MAX_EXTENTS 65536
/* Rock Ridge name (NM) and symlink (SL) lengths after reassembly. */
#define DIMG_MAX_NAME_BYTES 4096
#define DIMG_MAX_LINK_BYTES 16384
/* Volume descriptors examined before giving up without a terminator. */
#define DIMG_MAX_VDS 64
/* Sessions followed in a multisession image. */
#define DIMG_MAX_SESSIONS 128
/* El Torito catalog sectors and entries. */
#define DIMG_MAX_BOOT_CATALOG_SECTORS 32
#define DIMG_MAX_BOOT_ENTRIES 256
/* zisofs: block size limits (log2) per the format, and pointer-table cap. */
#define DIMG_ZISOFS_MIN_LOG2 15
#define DIMG_ZISOFS_MAX_LOG2 17
#define DIMG_MAX_ZISOFS_BLOCKS (16u * 1024u * 1024u)
/* GPT partition entries read. */
#define DIMG_MAX_GPT_ENTRIES 1024
#define DIMG_MAX_APM_ENTRIES 256
/* Nodes in a directory walk of the whole tree (hard-link and boot-file
 * resolution). */
#define DIMG_MAX_WALK_ENTRIES (64u * 1024u * 1024u)

#endif
