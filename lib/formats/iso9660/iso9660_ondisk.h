/* SPDX-License-Identifier: MIT */
/*
 * ISO 9660 (ECMA-119), Joliet, ISO 9660:1999, SUSP/RRIP and El Torito field
 * offsets.  Shared by the reader and (later) the builder.  Offsets are in
 * bytes from the start of the structure they belong to.
 */
#ifndef DIMG_ISO9660_ONDISK_H
#define DIMG_ISO9660_ONDISK_H

#define ISO_SECTOR 2048u
#define ISO_VD_START_LBA 16u
#define ISO_SYSTEM_AREA_BYTES (16u * ISO_SECTOR)

/* Volume descriptor (ECMA-119 8.1) */
#define ISO_VD_TYPE 0
#define ISO_VD_ID 1 /* "CD001" */
#define ISO_VD_VERSION 6
#define ISO_VDT_BOOT 0
#define ISO_VDT_PRIMARY 1
#define ISO_VDT_SUPPLEMENTARY 2
#define ISO_VDT_PARTITION 3
#define ISO_VDT_TERMINATOR 255

/* Primary / supplementary volume descriptor (ECMA-119 8.4, 8.5) */
#define ISO_PVD_FLAGS 7 /* SVD: volume flags */
#define ISO_PVD_SYSTEM_ID 8
#define ISO_PVD_VOLUME_ID 40
#define ISO_PVD_SPACE_SIZE 80      /* both-endian 32 */
#define ISO_PVD_ESCAPES 88         /* SVD: 32 bytes of escape sequences */
#define ISO_PVD_SET_SIZE 120       /* both-endian 16 */
#define ISO_PVD_SEQ_NUMBER 124     /* both-endian 16 */
#define ISO_PVD_BLOCK_SIZE 128     /* both-endian 16 */
#define ISO_PVD_PATH_TABLE_SIZE 132
#define ISO_PVD_ROOT_RECORD 156    /* 34 bytes */
#define ISO_PVD_VOLUME_SET_ID 190  /* 128 */
#define ISO_PVD_PUBLISHER_ID 318   /* 128 */
#define ISO_PVD_PREPARER_ID 446    /* 128 */
#define ISO_PVD_APPLICATION_ID 574 /* 128 */
#define ISO_PVD_COPYRIGHT_FILE 702 /* 37 */
#define ISO_PVD_ABSTRACT_FILE 739  /* 37 */
#define ISO_PVD_BIBLIO_FILE 776    /* 37 */
#define ISO_PVD_CREATION_DATE 813  /* 17 each */
#define ISO_PVD_MODIFICATION_DATE 830
#define ISO_PVD_EXPIRATION_DATE 847
#define ISO_PVD_EFFECTIVE_DATE 864
#define ISO_PVD_FS_VERSION 881

/* Boot record (El Torito 2.0) */
#define ISO_BR_SYSTEM_ID 7 /* "EL TORITO SPECIFICATION" */
#define ISO_BR_CATALOG_LBA 71

/* Directory record (ECMA-119 9.1) */
#define ISO_DR_LEN 0
#define ISO_DR_XATTR_LEN 1
#define ISO_DR_EXTENT 2       /* both-endian 32 */
#define ISO_DR_SIZE 10        /* both-endian 32 */
#define ISO_DR_DATE 18        /* 7 bytes */
#define ISO_DR_FLAGS 25
#define ISO_DR_UNIT_SIZE 26
#define ISO_DR_GAP_SIZE 27
#define ISO_DR_VOLSEQ 28      /* both-endian 16 */
#define ISO_DR_NAME_LEN 32
#define ISO_DR_NAME 33
#define ISO_DR_MIN_LEN 34

#define ISO_DRF_HIDDEN 0x01
#define ISO_DRF_DIRECTORY 0x02
#define ISO_DRF_ASSOCIATED 0x04
#define ISO_DRF_RECORD 0x08
#define ISO_DRF_PROTECTION 0x10
#define ISO_DRF_MULTIEXTENT 0x80

/* SUSP entry header (IEEE P1281) */
#define SUSP_SIG 0
#define SUSP_LEN 2
#define SUSP_VER 3
#define SUSP_DATA 4

/* zisofs file header */
#define ZISOFS_MAGIC "\x37\xE4\x53\x96\xC9\xDB\xD6\x07"
#define ZISOFS_HDR_SIZE 16

/* El Torito boot catalog */
#define ELT_ENTRY 32
#define ELT_HDR_VALIDATION 0x01
#define ELT_HDR_SECTION 0x90
#define ELT_HDR_FINAL 0x91
#define ELT_BOOTABLE 0x88
#define ELT_NOT_BOOTABLE 0x00
#define ELT_EXTENSION 0x44

#endif
