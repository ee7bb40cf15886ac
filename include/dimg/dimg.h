/* SPDX-License-Identifier: MIT */
/*
 * libdimg — disc and disk images.
 *
 * Layers: io -> source (container driver) -> medium -> fs (filesystem driver).
 * Every function that can fail returns 0 (or a non-negative count) on success
 * and a negative DIMG_E* code on failure, and fills the caller-owned
 * struct dimg_error (first error wins).  The library never prints or exits.
 */
#ifndef DIMG_DIMG_H
#define DIMG_DIMG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DIMG_BUILDING_LIB)
#define DIMG_API __attribute__((visibility("default")))
#else
#define DIMG_API
#endif

/* ---- errors ------------------------------------------------------------ */

enum dimg_errcode {
	DIMG_OK = 0,
	DIMG_EIO = -1,        /* reading or writing failed (see sys_errno) */
	DIMG_ENOMEM = -2,     /* out of memory or an allocation cap was hit */
	DIMG_EFORMAT = -3,    /* the input is not valid for its format */
	DIMG_EUNSUPPORTED = -4, /* valid but not supported */
	DIMG_ENOTFOUND = -5,  /* no such file, entry, session, ... */
	DIMG_EINVAL = -6,     /* bad argument from the caller */
	DIMG_ELIMIT = -7,     /* a hop/size limit protecting against hostile input */
	DIMG_ENOTDIR = -8,
	DIMG_EISDIR = -9,
	DIMG_EUNKNOWN = -10,  /* no driver recognised the input */
	DIMG_ERANGE = -11,    /* position out of range / truncated input */
};

#define DIMG_OFFSET_NONE (-1)

struct dimg_error {
	int code;          /* DIMG_E*, 0 when no error */
	int sys_errno;     /* errno of the failing system call, or 0 */
	int64_t offset;    /* byte offset in the input, or DIMG_OFFSET_NONE */
	char what[256];    /* the object concerned (file name, path in image) */
	char message[512]; /* human readable description */
};

DIMG_API const char *dimg_strerror(int code);
DIMG_API void dimg_error_clear(struct dimg_error *err);
DIMG_API const char *dimg_version(void);
/* Formats seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (UTC, any year,
 * independent of the time zone); buf needs 32 bytes. */
DIMG_API void dimg_time_format(int64_t t, char *buf, size_t size);

/* ---- report trees ------------------------------------------------------ */
/*
 * Drivers describe what they found (volume descriptors, boot catalogs,
 * partition tables, tracks...) as a small typed tree that the CLI prints as
 * text or JSON.  Keys are stable and documented in docs/formats.
 */
enum dimg_node_type {
	DIMG_NODE_NULL,
	DIMG_NODE_BOOL,
	DIMG_NODE_INT,
	DIMG_NODE_STRING,
	DIMG_NODE_TIME,   /* seconds since the epoch, UTC; printed ISO-8601 */
	DIMG_NODE_OBJECT,
	DIMG_NODE_ARRAY,
};

struct dimg_node;
DIMG_API enum dimg_node_type dimg_node_type(const struct dimg_node *n);
DIMG_API const char *dimg_node_key(const struct dimg_node *n);
DIMG_API const struct dimg_node *dimg_node_first(const struct dimg_node *n);
DIMG_API const struct dimg_node *dimg_node_next(const struct dimg_node *n);
DIMG_API const struct dimg_node *dimg_node_get(const struct dimg_node *obj,
					       const char *key);
DIMG_API int64_t dimg_node_int(const struct dimg_node *n);
DIMG_API const char *dimg_node_str(const struct dimg_node *n);
DIMG_API void dimg_node_free(struct dimg_node *n);

/* ---- drivers ----------------------------------------------------------- */

enum dimg_driver_kind { DIMG_DRIVER_CONTAINER, DIMG_DRIVER_FILESYSTEM };

#define DIMG_DRIVER_READ 0x1u
#define DIMG_DRIVER_WRITE 0x2u
#define DIMG_DRIVER_MOUNT 0x4u

struct dimg_driver_info {
	const char *name;
	const char *aliases;    /* comma-separated, may be "" */
	const char *summary;
	const char *extensions; /* comma-separated file name extensions */
	enum dimg_driver_kind kind;
	unsigned flags;         /* DIMG_DRIVER_* */
};

/* Fills *info for driver number idx; returns DIMG_ENOTFOUND past the end. */
DIMG_API int dimg_driver_get(size_t idx, struct dimg_driver_info *info);

/* ---- images ------------------------------------------------------------ */

struct dimg_image;

struct dimg_open_options {
	const char *format; /* force a container driver, NULL to probe */
};

DIMG_API int dimg_image_open(struct dimg_image **out, const char *path,
			     const struct dimg_open_options *opt, struct dimg_error *err);
/* Opens an image held in memory (not copied; must outlive the image). */
DIMG_API int dimg_image_open_memory(struct dimg_image **out, const void *data, size_t size,
				    const struct dimg_open_options *opt,
				    struct dimg_error *err);
DIMG_API void dimg_image_close(struct dimg_image *img);
DIMG_API const char *dimg_image_format(const struct dimg_image *img);
DIMG_API int64_t dimg_image_size(const struct dimg_image *img);
DIMG_API const char *dimg_image_path(const struct dimg_image *img);
/* The file descriptor of an image whose medium is the file itself, byte for
 * byte (plain ISO/raw images), so extents can be read (or spliced) straight
 * from it; -1 for every other container. */
DIMG_API int dimg_image_raw_fd(const struct dimg_image *img);

/* ---- filesystems ------------------------------------------------------- */

enum dimg_view {
	DIMG_VIEW_AUTO = 0, /* Rock Ridge > Joliet > plain */
	DIMG_VIEW_ROCKRIDGE,
	DIMG_VIEW_JOLIET,
	DIMG_VIEW_PLAIN,
	DIMG_VIEW_ISO1999,
};
DIMG_API const char *dimg_view_name(enum dimg_view v);
DIMG_API int dimg_view_parse(const char *s, enum dimg_view *out);

struct dimg_fs_options {
	enum dimg_view view;
	int session; /* 1-based session number; 0 = newest */
	int track;   /* CD images: the data track whose file system to open; 0 = the
		      * first data track of the last session that has one */
};

struct dimg_fs;
typedef uint64_t dimg_ino;

enum dimg_ftype {
	DIMG_FT_FILE = 1,
	DIMG_FT_DIR,
	DIMG_FT_SYMLINK,
	DIMG_FT_CHARDEV,
	DIMG_FT_BLOCKDEV,
	DIMG_FT_FIFO,
	DIMG_FT_SOCKET,
};
DIMG_API const char *dimg_ftype_name(enum dimg_ftype t);

struct dimg_stat {
	dimg_ino ino;        /* stable inode number of this entry */
	dimg_ino link_id;    /* equal for hard links of one file (0: none) */
	enum dimg_ftype type;
	uint32_t mode;       /* permission bits incl. suid/sgid/sticky (07777) */
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t size;       /* logical (uncompressed) size in bytes */
	uint64_t rdev_major, rdev_minor;
	int64_t mtime, atime, ctime, btime; /* seconds UTC */
	uint32_t mtime_nsec;
	uint32_t flags;      /* DIMG_STAT_* */
	uint32_t extent_count;
	uint64_t data_offset; /* byte offset of the first extent in the medium, 0 if none */
};
#define DIMG_STAT_HIDDEN 0x1u       /* ISO existence bit set */
#define DIMG_STAT_ASSOCIATED 0x2u   /* associated file */
#define DIMG_STAT_MULTIEXTENT 0x4u
#define DIMG_STAT_ZISOFS 0x8u       /* transparently decompressed */
#define DIMG_STAT_INTERLEAVED 0x10u
#define DIMG_STAT_RELOCATED 0x20u   /* Rock Ridge deep-directory relocation undone */
#define DIMG_STAT_HAS_BTIME 0x40u
/* The recorded name cannot be a path component ("", ".", "..", contains
 * '/' or NUL); name holds a printable rendering (NUL as "\\0"). */
#define DIMG_STAT_BADNAME 0x80u

struct dimg_dirent {
	const char *name; /* UTF-8, valid until the callback returns */
	struct dimg_stat st;
};

struct dimg_extent {
	uint64_t lba;     /* in the filesystem's logical blocks */
	uint64_t offset;  /* byte offset of the data in the medium */
	uint64_t size;    /* bytes */
};

/* Return non-zero from the callback to stop; that value is returned. */
typedef int (*dimg_readdir_fn)(void *ctx, const struct dimg_dirent *ent);

DIMG_API int dimg_fs_open(struct dimg_fs **out, struct dimg_image *img,
			  const struct dimg_fs_options *opt, struct dimg_error *err);
DIMG_API void dimg_fs_close(struct dimg_fs *fs);
DIMG_API enum dimg_view dimg_fs_view(const struct dimg_fs *fs);
/* The filesystem driver's name ("iso9660"). */
DIMG_API const char *dimg_fs_format(const struct dimg_fs *fs);
DIMG_API dimg_ino dimg_fs_root(const struct dimg_fs *fs);
DIMG_API int dimg_fs_getattr(struct dimg_fs *fs, dimg_ino ino, struct dimg_stat *st,
			     struct dimg_error *err);
DIMG_API int dimg_fs_lookup(struct dimg_fs *fs, dimg_ino dir, const char *name,
			    struct dimg_stat *st, struct dimg_error *err);
/* Resolves a '/'-separated path from the root without following symlinks. */
DIMG_API int dimg_fs_lookup_path(struct dimg_fs *fs, const char *path, struct dimg_stat *st,
				 struct dimg_error *err);
DIMG_API int dimg_fs_readdir(struct dimg_fs *fs, dimg_ino dir, dimg_readdir_fn fn, void *ctx,
			     struct dimg_error *err);
/* Returns bytes read (short only at end of file) or a negative error. */
DIMG_API int64_t dimg_fs_read(struct dimg_fs *fs, dimg_ino ino, uint64_t off, void *buf,
			      size_t len, struct dimg_error *err);
/* Copies the NUL-terminated target into buf; returns its length. */
DIMG_API int dimg_fs_readlink(struct dimg_fs *fs, dimg_ino ino, char *buf, size_t size,
			      struct dimg_error *err);
/* Fills up to max extents; returns the total number the file has. */
DIMG_API int dimg_fs_extents(struct dimg_fs *fs, dimg_ino ino, struct dimg_extent *ext,
			     size_t max, struct dimg_error *err);

/* Directory records read so far whose both-endian fields disagreed (the
 * little-endian value was used): callers warn about it. */
DIMG_API uint64_t dimg_fs_anomalies(struct dimg_fs *fs);

/* Depth-first walk below `start` (whose path is start_path, "" for the
 * root).  Every directory is entered at most once (directory loops and
 * shared directory extents in hostile images are reported, not followed)
 * and depth is limited.  The callback returns 0 to go on, DIMG_WALK_SKIP to
 * not descend into this directory, or a negative code to stop the walk. */
#define DIMG_WALK_SKIP 1
#define DIMG_WALK_POST 0x1u /* also call after a directory's contents */

enum dimg_walk_problem {
	DIMG_WALK_OK = 0,
	DIMG_WALK_LOOP,      /* directory already visited: not descended */
	DIMG_WALK_TOO_DEEP,  /* nesting limit reached: not descended */
	DIMG_WALK_READ_ERROR /* the directory could not be read; see err */
};

struct dimg_walk_entry {
	const char *path; /* relative to the walk's start, '/'-separated */
	const char *name;
	struct dimg_stat st;
	int depth;        /* 1 for the start's children */
	int post;         /* 1 on the second call for a directory */
	enum dimg_walk_problem problem;
	const struct dimg_error *error; /* for DIMG_WALK_READ_ERROR */
};
typedef int (*dimg_walk_fn)(void *ctx, const struct dimg_walk_entry *e);

DIMG_API int dimg_fs_walk(struct dimg_fs *fs, dimg_ino start, const char *start_path,
			  unsigned flags, dimg_walk_fn fn, void *ctx, struct dimg_error *err);

/* ---- reports ----------------------------------------------------------- */

/* Everything known about the image: format, size, volumes, views, sessions,
 * boot catalog, partition tables.  Free with dimg_node_free(). */
DIMG_API int dimg_image_report(struct dimg_image *img, struct dimg_node **out,
			       struct dimg_error *err);


/* ---- building ISO 9660 images ------------------------------------------ */

struct dimg_builder;

/* An El Torito boot entry; image_path names a file inside the image. */
struct dimg_boot_spec {
	int platform;        /* 0 BIOS, 0xEF EFI, 1 PowerPC, 2 Mac */
	int emulation;       /* 0 none, 1..3 floppy 1.2/1.44/2.88, 4 hard disk */
	const char *image_path;
	uint32_t load_size;  /* 512-byte sectors; 0 = default (whole image, max 65535) */
	uint16_t load_segment;
	int info_table;      /* patch a boot info table into the image (isolinux) */
	int not_bootable;    /* -no-boot */
	int efi_partition;   /* the EFI image is the ESP of the hybrid GPT/MBR */
};

struct dimg_create_options {
	int iso_level;       /* 1, 2, 3 (default 3); 4 = also an ISO 9660:1999 tree */
	int iso1999;
	int joliet;          /* default on */
	int joliet_long;     /* 103 characters instead of 64 */
	int joliet_ucs2;     /* '_' for characters outside the BMP instead of
			      * UTF-16 surrogate pairs (strict UCS-2 readers) */
	int rock_ridge;      /* default on */
	int rr_110;          /* RRIP 1.10 identification instead of 1.12 */
	int rationalize;     /* -r: owners 0, sensible permissions */
	int relaxed_names;   /* -l/-U/-D/-N style relaxations: allow lowercase,
			      * more characters, deep trees, no version */
	int omit_version;    /* -N */
	int no_relocation;   /* -D: keep directories deeper than 8 levels in place */
	int input_latin1;    /* source names are ISO 8859-1, not UTF-8 */
	int gpt_esp;         /* the EFI image's GPT entry is typed EFI System */
	int64_t source_date_epoch; /* -1: none */
	const char *volume_id, *system_id, *publisher, *preparer, *application,
		*volume_set;
	int64_t uid, gid;    /* -1: as found */
	int file_mode, dir_mode; /* -1: as found */
	int pad;             /* append 150 sectors of zeros */
	int follow_links;
	const char *boot_catalog; /* path in the image (default "boot.catalog") */
	int hide_boot_catalog;
	const char *mbr_template; /* isohybrid MBR (syslinux isohdpfx.bin) */
	int gpt;             /* hybrid GPT covering the ISO and the ESP */
};
#define DIMG_CREATE_OPTIONS_INIT                                                   \
	{ .iso_level = 3, .joliet = 1, .rock_ridge = 1, .source_date_epoch = -1,    \
	  .uid = -1, .gid = -1, .file_mode = -1, .dir_mode = -1 }

#define DIMG_HIDE_ISO 0x1    /* hide from the ISO 9660 / Rock Ridge tree */
#define DIMG_HIDE_JOLIET 0x2

typedef void (*dimg_progress_fn)(void *ctx, uint64_t done, uint64_t total);

DIMG_API int dimg_builder_new(struct dimg_builder **out, const struct dimg_create_options *o,
			      struct dimg_error *err);
DIMG_API void dimg_builder_free(struct dimg_builder *b);
/* Adds source (a directory's contents, or a file) at target ("/" or a path). */
DIMG_API int dimg_builder_add(struct dimg_builder *b, const char *target, const char *source,
			      struct dimg_error *err);
/* Exclusion (what 0) or hiding (DIMG_HIDE_*) by glob, before adding sources. */
DIMG_API int dimg_builder_pattern(struct dimg_builder *b, const char *glob, int what,
				  struct dimg_error *err);
DIMG_API int dimg_builder_weight(struct dimg_builder *b, const char *path, int weight,
				 struct dimg_error *err);
DIMG_API int dimg_builder_boot(struct dimg_builder *b, const struct dimg_boot_spec *spec,
			       struct dimg_error *err);
/* Appended partition (xorriso -append_partition): a file placed after the
 * ISO and described in the MBR/GPT. */
DIMG_API int dimg_builder_append_partition(struct dimg_builder *b, int number, int mbr_type,
					   const char *path, struct dimg_error *err);
/* Assigns every block; returns the image size in bytes and a summary. */
DIMG_API int dimg_builder_plan(struct dimg_builder *b, uint64_t *size, struct dimg_node **summary,
			       struct dimg_error *err);
/* Writes the image atomically (temporary file + rename; force: replace). */
DIMG_API int dimg_builder_write(struct dimg_builder *b, const char *path, int force,
				dimg_progress_fn progress, void *ctx, struct dimg_error *err);

/* ---- boot images (El Torito) ------------------------------------------ */

struct dimg_boot_entry {
	int index;            /* 0-based entry number in catalog order */
	int platform;         /* 0 x86 BIOS, 1 PowerPC, 2 Mac, 0xEF EFI */
	int emulation;        /* 0 none, 1..3 floppy 1.2/1.44/2.88, 4 hard disk */
	int bootable;
	uint32_t load_segment;
	uint32_t load_size;   /* sector count in the catalog (512-byte units) */
	uint64_t lba;         /* load RBA in 2048-byte blocks */
	uint64_t size;        /* resolved size of the boot image in bytes */
	char size_source[24]; /* how size was resolved: "catalog", "file", ... */
};

/* Lists the boot entries; returns their total count (fills up to max). */
DIMG_API int dimg_boot_entries(struct dimg_image *img, struct dimg_boot_entry *ents,
			       size_t max, struct dimg_error *err);
/* Reads bytes of boot image idx. */
DIMG_API int64_t dimg_boot_read(struct dimg_image *img, const struct dimg_boot_entry *ent,
				uint64_t off, void *buf, size_t len, struct dimg_error *err);

/* ---- CD images: tracks ------------------------------------------------- */

struct dimg_track_info {
	int number;          /* as recorded, 1..99 */
	int session;
	char mode[16];       /* as in a cue sheet: "AUDIO", "MODE1/2352", ... */
	int audio;
	int64_t start;       /* LBA of INDEX 01 */
	int64_t length;      /* sectors from INDEX 01 to the end of the track */
	int64_t pregap;      /* sectors before INDEX 01 */
};

/* Lists the tracks (a plain image is one Mode 1 track); returns their count
 * and fills up to max. */
DIMG_API int dimg_tracks(struct dimg_image *img, struct dimg_track_info *out, size_t max,
			 struct dimg_error *err);
/* Size of audio track `number` as a WAV file (44-byte header + PCM from
 * INDEX 01 on). */
DIMG_API int64_t dimg_track_wav_size(struct dimg_image *img, int number, struct dimg_error *err);
/* Reads bytes of that WAV file; returns the count (0 at the end). */
DIMG_API int64_t dimg_track_read_wav(struct dimg_image *img, int number, uint64_t off, void *buf,
				     size_t len, struct dimg_error *err);

/* ---- CD images: convert, verify, hash ---------------------------------- */

struct dimg_convert_options {
	const char *to;       /* iso, cue, toc, ccd, wav, raw; NULL: from the output name */
	int split;            /* cue: one BIN per track (Redump style) */
	int track;            /* wav/raw: track number (0: the only audio track) */
	int with_pregap;      /* wav/raw: include the track's pregap */
	int lossy;            /* write even when the output cannot hold everything */
	int force;            /* replace existing outputs */
	dimg_progress_fn progress;
	void *progress_ctx;
};

/* Converts a CD image (or a plain ISO, as a one-track Mode 1 disc) into out
 * and the files it names.  Outputs appear atomically.  Refuses with
 * DIMG_EUNSUPPORTED and a list of what would be lost unless opt->lossy;
 * *summary (may be NULL) tells what was written and lost. */
DIMG_API int dimg_convert(struct dimg_image *img, const char *out,
			  const struct dimg_convert_options *opt, struct dimg_node **summary,
			  struct dimg_error *err);

/* Checks every raw sector (sync, header, MSF, mode, EDC, ECC), the
 * subchannel Q CRCs, and the structures dimg understands.  Returns 0 when
 * the check ran (see "status" in *report: "good", "corrupt", "warnings"),
 * or a DIMG_E* code when it could not complete. */
DIMG_API int dimg_verify(struct dimg_image *img, dimg_progress_fn progress, void *ctx,
			 struct dimg_node **report, struct dimg_error *err);

#define DIMG_HASH_CRC32 0x1u
#define DIMG_HASH_MD5 0x2u
#define DIMG_HASH_SHA1 0x4u
#define DIMG_HASH_SHA256 0x8u
/* Hashes the image's data in one pass (all algorithms at once, on two
 * threads): the bytes of its data files in track order, and with per_track
 * each track's bytes as stored in its file (as Redump computes them). */
DIMG_API int dimg_hash(struct dimg_image *img, unsigned algos, int per_track,
		       dimg_progress_fn progress, void *ctx, struct dimg_node **report,
		       struct dimg_error *err);

#ifdef __cplusplus
}
#endif
#endif
