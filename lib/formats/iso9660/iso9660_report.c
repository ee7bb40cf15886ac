/* SPDX-License-Identifier: MIT */
/* `dimg info` facts for ISO 9660 media. */
#include "formats/iso9660/iso9660_fs_internal.h"
#include "util/bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_field(struct dimg_node *o, const char *key, const uint8_t *vd, size_t off,
		      size_t len, bool ucs2)
{
	char buf[512];
	if (ucs2)
		iso_strfield_ucs2(vd + off, len, buf, sizeof(buf));
	else
		iso_strfield(vd + off, len, buf, sizeof(buf));
	node_str(o, key, buf);
}

static void put_date(struct dimg_node *o, const char *key, const uint8_t *d)
{
	int64_t t;
	if (iso_time17(d, &t))
		node_time(o, key, t);
	else
		node_null(o, key);
}

static void put_vd(struct dimg_node *o, const uint8_t *vd, bool ucs2)
{
	put_field(o, "system_id", vd, ISO_PVD_SYSTEM_ID, 32, ucs2);
	put_field(o, "volume_id", vd, ISO_PVD_VOLUME_ID, 32, ucs2);
	put_field(o, "volume_set_id", vd, ISO_PVD_VOLUME_SET_ID, 128, ucs2);
	put_field(o, "publisher_id", vd, ISO_PVD_PUBLISHER_ID, 128, ucs2);
	put_field(o, "preparer_id", vd, ISO_PVD_PREPARER_ID, 128, ucs2);
	put_field(o, "application_id", vd, ISO_PVD_APPLICATION_ID, 128, ucs2);
	put_field(o, "copyright_file", vd, ISO_PVD_COPYRIGHT_FILE, 37, ucs2);
	put_field(o, "abstract_file", vd, ISO_PVD_ABSTRACT_FILE, 37, ucs2);
	put_field(o, "bibliographic_file", vd, ISO_PVD_BIBLIO_FILE, 37, ucs2);
	node_int(o, "volume_space_size", ld_le32(vd + ISO_PVD_SPACE_SIZE));
	node_int(o, "logical_block_size", ld_le16(vd + ISO_PVD_BLOCK_SIZE));
	node_int(o, "volume_set_size", ld_le16(vd + ISO_PVD_SET_SIZE));
	node_int(o, "volume_sequence_number", ld_le16(vd + ISO_PVD_SEQ_NUMBER));
	node_int(o, "root_directory_lba", ld_le32(vd + ISO_PVD_ROOT_RECORD + ISO_DR_EXTENT));
	put_date(o, "creation_date", vd + ISO_PVD_CREATION_DATE);
	put_date(o, "modification_date", vd + ISO_PVD_MODIFICATION_DATE);
	put_date(o, "expiration_date", vd + ISO_PVD_EXPIRATION_DATE);
	put_date(o, "effective_date", vd + ISO_PVD_EFFECTIVE_DATE);
}

static void report_boot(struct dimg_image *img, const struct iso_session *s,
			struct dimg_node *root)
{
	struct iso_boot_catalog *cat;
	struct dimg_boot_entry *ents;
	struct dimg_error tmp;
	struct dimg_node *b, *arr;
	int n;
	if (!s->has_boot) {
		node_null(root, "boot");
		return;
	}
	b = node_object(root, "boot");
	node_int(b, "catalog_lba", s->boot_catalog);
	cat = malloc(sizeof(*cat));
	ents = calloc(DIMG_MAX_BOOT_ENTRIES, sizeof(*ents));
	dimg_error_clear(&tmp);
	if (!cat || !ents || iso_boot_catalog_read(img, s->boot_catalog, cat, &tmp)) {
		node_str(b, "error", tmp.message[0] ? tmp.message : "out of memory");
		node_array(b, "entries");
		free(cat);
		free(ents);
		return;
	}
	struct dimg_node *v = node_object(b, "validation");
	node_str(v, "platform", iso_boot_platform_name(cat->validation_platform));
	node_int(v, "platform_id", cat->validation_platform);
	node_str(v, "id_string", cat->id_string);
	node_bool(v, "checksum_ok", cat->checksum_ok);
	dimg_error_clear(&tmp);
	n = iso9660_boot_entries(img, ents, DIMG_MAX_BOOT_ENTRIES, &tmp);
	arr = node_array(b, "entries");
	for (int i = 0; i < cat->nentries; i++) {
		const struct dimg_boot_entry *e = (n > i) ? &ents[i] : &cat->entries[i];
		struct dimg_node *o = node_object(arr, NULL);
		char seg[8];
		node_int(o, "index", i);
		node_str(o, "section", i == 0 ? "default" : cat->section_id[i]);
		node_bool(o, "bootable", e->bootable);
		node_str(o, "platform", iso_boot_platform_name(e->platform));
		node_int(o, "platform_id", e->platform);
		node_str(o, "emulation", iso_boot_emulation_name(e->emulation));
		snprintf(seg, sizeof(seg), "0x%04x", e->load_segment);
		node_str(o, "load_segment", seg);
		node_int(o, "system_type", cat->system_type[i]);
		node_int(o, "load_size", e->load_size);
		node_int(o, "lba", (int64_t)e->lba);
		node_int(o, "size", (int64_t)e->size);
		node_str(o, "size_source", e->size_source[0] ? e->size_source : "catalog");
		node_int(o, "selection_criteria", cat->selection_type[i]);
	}
	free(cat);
	free(ents);
}

int iso9660_report(struct dimg_image *img, struct dimg_node *root, struct dimg_error *err)
{
	struct iso_fs *fs = calloc(1, sizeof(*fs));
	struct dimg_node *views, *sess, *vds, *parts, *warn, *o;
	const struct iso_session *s;
	int rc;
	if (!fs)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	rc = iso_fs_init(fs, img, NULL, err);
	if (rc) {
		iso_fs_fini(fs);
		free(fs);
		return rc;
	}
	s = &fs->vol.sessions[fs->session];
	node_str(root, "format", "iso9660");
	put_field(root, "volume_id", s->pvd, ISO_PVD_VOLUME_ID, 32, false);
	put_field(root, "system_id", s->pvd, ISO_PVD_SYSTEM_ID, 32, false);
	put_field(root, "publisher_id", s->pvd, ISO_PVD_PUBLISHER_ID, 128, false);
	put_field(root, "application_id", s->pvd, ISO_PVD_APPLICATION_ID, 128, false);
	put_date(root, "creation_date", s->pvd + ISO_PVD_CREATION_DATE);
	put_date(root, "modification_date", s->pvd + ISO_PVD_MODIFICATION_DATE);
	node_int(root, "block_size", fs->bs);
	node_int(root, "volume_space_size", s->space_size);

	views = node_array(root, "views");
	if (fs->has_rr)
		node_str(views, NULL, "rockridge");
	if (s->has_joliet)
		node_str(views, NULL, "joliet");
	if (s->has_iso1999)
		node_str(views, NULL, "iso1999");
	node_str(views, NULL, "plain");
	node_str(root, "default_view", dimg_view_name(fs->view));
	if (fs->has_rr) {
		o = node_object(root, "rock_ridge");
		node_int(o, "susp_skip", fs->susp_skip);
		node_bool(o, "er_rrip", fs->rr_er_1991a);
	} else {
		node_null(root, "rock_ridge");
	}
	if (s->has_joliet) {
		o = node_object(root, "joliet");
		node_int(o, "level", s->joliet_level);
		put_field(o, "volume_id", s->joliet, ISO_PVD_VOLUME_ID, 32, true);
	} else {
		node_null(root, "joliet");
	}

	sess = node_array(root, "sessions");
	for (int i = 0; i < fs->vol.nsessions; i++) {
		const struct iso_session *x = &fs->vol.sessions[i];
		o = node_object(sess, NULL);
		node_int(o, "number", i + 1);
		node_int(o, "start", (int64_t)x->start);
		node_int(o, "vd_lba", (int64_t)x->vd_lba);
		node_int(o, "volume_space_size", x->space_size);
		put_field(o, "volume_id", x->pvd, ISO_PVD_VOLUME_ID, 32, false);
		put_date(o, "creation_date", x->pvd + ISO_PVD_CREATION_DATE);
		node_bool(o, "selected", i == fs->session);
	}

	vds = node_array(root, "volume_descriptors");
	o = node_object(vds, NULL);
	node_str(o, "type", "primary");
	node_int(o, "lba", (int64_t)s->vd_lba);
	put_vd(o, s->pvd, false);
	if (s->has_joliet) {
		o = node_object(vds, NULL);
		node_str(o, "type", "joliet");
		node_int(o, "level", s->joliet_level);
		put_vd(o, s->joliet, true);
	}
	if (s->has_iso1999) {
		o = node_object(vds, NULL);
		node_str(o, "type", "iso1999");
		put_vd(o, s->iso1999, false);
	}
	if (s->has_boot) {
		o = node_object(vds, NULL);
		node_str(o, "type", "boot");
		node_str(o, "system_id", "EL TORITO SPECIFICATION");
		node_int(o, "catalog_lba", s->boot_catalog);
	}
	o = node_object(vds, NULL);
	node_str(o, "type", "terminator");
	node_bool(o, "present", s->terminated);

	report_boot(img, s, root);

	parts = node_array(root, "partitions");
	rc = parttable_report(img, parts, err);

	warn = node_array(root, "warnings");
	for (int i = 0; i < fs->vol.nwarnings; i++)
		node_str(warn, NULL, fs->vol.warnings[i]);
	iso_fs_fini(fs);
	free(fs);
	return rc;
}
