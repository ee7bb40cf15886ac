/* SPDX-License-Identifier: MIT */
/* dimg create: master an ISO 9660 image from directories. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt create_opts[] = {
	{ "output", 'o', OPT_STRING, "FILE", "the image to write (required)" },
	{ "force", 'f', OPT_FLAG, NULL, "replace FILE if it exists" },
	{ "dry-run", 'n', OPT_FLAG, NULL, "print the plan and the exact size; write nothing" },
	{ "json", 0, OPT_FLAG, NULL, "print the plan as JSON (with --dry-run)" },
	{ "level", 0, OPT_INT, "N", "ISO 9660 interchange level 1, 2 or 3 (default 3)" },
	{ "iso1999", 0, OPT_FLAG, NULL, "add an ISO 9660:1999 tree" },
	{ "no-joliet", 0, OPT_FLAG, NULL, "no Joliet tree" },
	{ "joliet-long", 0, OPT_FLAG, NULL, "Joliet names up to 103 characters (not 64)" },
	{ "joliet-ucs2", 0, OPT_FLAG, NULL,
	  "'_' for characters outside the BMP (not UTF-16 surrogates)" },
	{ "no-rock-ridge", 0, OPT_FLAG, NULL, "no Rock Ridge extensions" },
	{ "rr-1.10", 0, OPT_FLAG, NULL, "identify Rock Ridge as RRIP 1.10 (RRIP_1991A)" },
	{ "rationalize", 'r', OPT_FLAG, NULL, "owners 0, read permission for all (mkisofs -r)" },
	{ "volume-id", 'V', OPT_STRING, "ID", "volume identifier (default: first source's name)" },
	{ "system-id", 0, OPT_STRING, "ID", "system identifier (default LINUX)" },
	{ "publisher", 0, OPT_STRING, "TEXT", "publisher identifier" },
	{ "preparer", 0, OPT_STRING, "TEXT", "data preparer identifier" },
	{ "application", 0, OPT_STRING, "TEXT", "application identifier" },
	{ "volume-set", 0, OPT_STRING, "ID", "volume set identifier" },
	{ "exclude", 'x', OPT_LIST, "GLOB", "leave out names or paths matching GLOB" },
	{ "hide", 0, OPT_LIST, "GLOB", "hide from the ISO/Rock Ridge tree (data stays)" },
	{ "hide-joliet", 0, OPT_LIST, "GLOB", "hide from the Joliet tree" },
	{ "map", 'm', OPT_LIST, "TARGET=SOURCE", "add SOURCE at TARGET in the image" },
	{ "sort", 0, OPT_STRING, "FILE", "sort weights: lines 'PATH WEIGHT', heavier first" },
	{ "uid", 0, OPT_INT, "N", "owner of every file" },
	{ "gid", 0, OPT_INT, "N", "group of every file" },
	{ "file-mode", 0, OPT_STRING, "OCTAL", "permissions of every file" },
	{ "dir-mode", 0, OPT_STRING, "OCTAL", "permissions of every directory" },
	{ "pad", 0, OPT_FLAG, NULL, "append 150 blocks of zeros" },
	{ "no-pad", 0, OPT_FLAG, NULL, "no padding (the default)" },
	{ "reproducible", 0, OPT_FLAG, NULL,
	  "byte-identical output (SOURCE_DATE_EPOCH, else newest mtime)" },
	{ "boot-bios", 0, OPT_STRING, "PATH",
	  "BIOS no-emulation boot image in the image (boot info table)" },
	{ "boot-efi", 0, OPT_STRING, "PATH", "UEFI boot image (FAT) in the image" },
	{ "boot-catalog", 0, OPT_STRING, "PATH", "boot catalog path (default /boot.catalog)" },
	{ "hybrid-mbr", 0, OPT_STRING, "FILE", "isohybrid MBR template (isohdpfx.bin)" },
	{ "gpt", 0, OPT_FLAG, NULL, "hybrid GPT for the ISO and the EFI image" },
	{ "follow-links", 0, OPT_FLAG, NULL, "store what symlinks point to" },
	{ "progress", 0, OPT_FLAG, NULL, "show progress even when stderr is not a terminal" },
	{ "no-progress", 0, OPT_FLAG, NULL, "never show progress" },
	{ 0 },
};

int cli_build_run(struct dimg_builder *b, const char *out, int force, int dry_run, int json,
		  int progress)
{
	struct dimg_error err;
	struct dimg_node *plan = NULL;
	uint64_t size;
	dimg_error_clear(&err);
	if (dimg_builder_plan(b, &size, dry_run ? &plan : NULL, &err) != 0) {
		cli_error(out ? out : "image", &err);
		return EXIT_FAIL;
	}
	if (dry_run) {
		if (json) {
			struct json j = { .f = stdout, .pretty = true };
			json_node(&j, NULL, plan);
			json_finish(&j);
		} else {
			/* "key: value" lines, the layout as "area: start +blocks" */
			for (const struct dimg_node *c = dimg_node_first(plan); c;
			     c = dimg_node_next(c)) {
				if (dimg_node_type(c) == DIMG_NODE_INT)
					printf("%s: %lld\n", dimg_node_key(c),
					       (long long)dimg_node_int(c));
				else if (dimg_node_type(c) == DIMG_NODE_ARRAY)
					for (const struct dimg_node *a = dimg_node_first(c); a;
					     a = dimg_node_next(a))
						printf("  %-28s block %10lld, %lld blocks\n",
						       dimg_node_str(dimg_node_get(a, "area")),
						       (long long)dimg_node_int(dimg_node_get(a, "start")),
						       (long long)dimg_node_int(dimg_node_get(a, "blocks")));
			}
		}
		dimg_node_free(plan);
		return EXIT_OK;
	}
	struct progress p;
	progress_init(&p, "writing", progress);
	dimg_error_clear(&err);
	if (dimg_builder_write(b, out, force, cli_progress_cb, &p, &err) != 0) {
		progress_end(&p);
		cli_error(out, &err);
		return EXIT_FAIL;
	}
	progress_end(&p);
	return EXIT_OK;
}

/* Volume id from a directory name: upper-case d-characters, 32 at most. */
static void default_volid(const char *src, char *out)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", src);
	for (size_t l = strlen(buf); l > 1 && buf[l - 1] == '/'; l--)
		buf[l - 1] = 0;
	const char *base = strrchr(buf, '/');
	base = base && base[1] ? base + 1 : buf;
	size_t o = 0;
	for (; *base && o < 32; base++) {
		int c = toupper((unsigned char)*base);
		out[o++] = (char)(((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ? c : '_');
	}
	out[o] = 0;
	if (!o || !strcmp(out, "_") || !strcmp(out, "__"))
		strcpy(out, "CDROM");
}

int cli_load_sort(struct dimg_builder *b, const char *file, const char *image);
int cli_load_sort(struct dimg_builder *b, const char *file, const char *image)
{
	FILE *f = fopen(file, "r");
	char line[4200];
	int lineno = 0;
	if (!f) {
		cli_errorf(file, "cannot open: %s", strerror(errno));
		return EXIT_FAIL;
	}
	while (fgets(line, sizeof(line), f)) {
		char *sp;
		struct dimg_error err;
		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		sp = strrchr(line, ' ');
		if (!sp) {
			cli_errorf(file, "line %d: expected 'PATH WEIGHT'", lineno);
			fclose(f);
			return EXIT_FAIL;
		}
		*sp = 0;
		dimg_error_clear(&err);
		if (dimg_builder_weight(b, line, atoi(sp + 1), &err) != 0)
			cli_errorf(image, "%s line %d: %s (ignored)", file, lineno, err.message);
	}
	fclose(f);
	return EXIT_OK;
}

static int parse_mode(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 8);
	if (!*s || *end || v < 0 || v > 07777)
		return -1;
	*out = (int)v;
	return 0;
}

static int run_create(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dimg_create_options o = DIMG_CREATE_OPTIONS_INIT;
	struct dimg_builder *b = NULL;
	struct dimg_error err;
	char volid[40];
	int rc = cli_parse(cmd, argc, argv, &a), i;
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	const char *out = cli_str(cmd, &a, "output");
	bool dry = cli_flag(cmd, &a, "dry-run");
	int mi = cli_opt_index(cmd, "map");
	if (!out && !dry) {
		cli_usage_error(cmd, "-o FILE is required");
		cli_args_free(&a);
		return EXIT_USAGE;
	}
	if (a.npos == 0 && a.count[mi] == 0) {
		cli_usage_error(cmd, "nothing to put in the image");
		cli_args_free(&a);
		return EXIT_USAGE;
	}
	if (cli_str(cmd, &a, "level")) {
		o.iso_level = atoi(cli_str(cmd, &a, "level"));
		if (o.iso_level < 1 || o.iso_level > 4) {
			cli_usage_error(cmd, "--level must be 1, 2, 3 or 4");
			cli_args_free(&a);
			return EXIT_USAGE;
		}
	}
	o.iso1999 = cli_flag(cmd, &a, "iso1999");
	o.joliet = !cli_flag(cmd, &a, "no-joliet");
	o.joliet_long = cli_flag(cmd, &a, "joliet-long");
	o.joliet_ucs2 = cli_flag(cmd, &a, "joliet-ucs2");
	o.rock_ridge = !cli_flag(cmd, &a, "no-rock-ridge");
	o.rr_110 = cli_flag(cmd, &a, "rr-1.10");
	o.rationalize = cli_flag(cmd, &a, "rationalize");
	o.pad = cli_flag(cmd, &a, "pad") && !cli_flag(cmd, &a, "no-pad");
	o.follow_links = cli_flag(cmd, &a, "follow-links");
	o.gpt = cli_flag(cmd, &a, "gpt");
	o.mbr_template = cli_str(cmd, &a, "hybrid-mbr");
	o.boot_catalog = cli_str(cmd, &a, "boot-catalog");
	o.system_id = cli_str(cmd, &a, "system-id");
	o.publisher = cli_str(cmd, &a, "publisher");
	o.preparer = cli_str(cmd, &a, "preparer");
	o.application = cli_str(cmd, &a, "application");
	o.volume_set = cli_str(cmd, &a, "volume-set");
	o.volume_id = cli_str(cmd, &a, "volume-id");
	if (!o.volume_id) {
		const char *first = a.npos ? a.pos[0] : strchr(a.list[mi][0], '=') + 1;
		default_volid(first ? first : "CDROM", volid);
		o.volume_id = volid;
	}
	if (cli_str(cmd, &a, "uid"))
		o.uid = atoll(cli_str(cmd, &a, "uid"));
	if (cli_str(cmd, &a, "gid"))
		o.gid = atoll(cli_str(cmd, &a, "gid"));
	if ((cli_str(cmd, &a, "file-mode") && parse_mode(cli_str(cmd, &a, "file-mode"), &o.file_mode)) ||
	    (cli_str(cmd, &a, "dir-mode") && parse_mode(cli_str(cmd, &a, "dir-mode"), &o.dir_mode))) {
		cli_usage_error(cmd, "modes are octal numbers like 0644");
		cli_args_free(&a);
		return EXIT_USAGE;
	}
	{
		const char *sde = getenv("SOURCE_DATE_EPOCH");
		if (sde && *sde) {
			char *end;
			long long v = strtoll(sde, &end, 10);
			if (*end || v < 0) {
				cli_errorf("SOURCE_DATE_EPOCH", "not a number of seconds: '%s'", sde);
				cli_args_free(&a);
				return EXIT_USAGE;
			}
			o.source_date_epoch = v;
		} else if (cli_flag(cmd, &a, "reproducible")) {
			o.source_date_epoch = -2; /* the newest mtime of the sources */
		}
	}
	dimg_error_clear(&err);
	rc = EXIT_FAIL;
	if (dimg_builder_new(&b, &o, &err) != 0) {
		cli_error(out ? out : "image", &err);
		goto done;
	}
	static const struct {
		const char *opt;
		int what;
	} pats[] = { { "exclude", 0 }, { "hide", DIMG_HIDE_ISO }, { "hide-joliet", DIMG_HIDE_JOLIET } };
	for (size_t p = 0; p < 3; p++) {
		int idx = cli_opt_index(cmd, pats[p].opt);
		for (i = 0; i < a.count[idx]; i++)
			if (dimg_builder_pattern(b, a.list[idx][i], pats[p].what, &err) != 0) {
				cli_error(out, &err);
				goto done;
			}
	}
	for (i = 0; i < a.npos; i++)
		if (dimg_builder_add(b, "/", a.pos[i], &err) != 0) {
			cli_error(a.pos[i], &err);
			goto done;
		}
	for (i = 0; i < a.count[mi]; i++) {
		char *spec = strdup(a.list[mi][i]), *eq = spec ? strchr(spec, '=') : NULL;
		if (!eq) {
			free(spec);
			cli_usage_error(cmd, "--map needs TARGET=SOURCE");
			rc = EXIT_USAGE;
			goto done;
		}
		*eq = 0;
		if (dimg_builder_add(b, spec, eq + 1, &err) != 0) {
			cli_error(eq + 1, &err);
			free(spec);
			goto done;
		}
		free(spec);
	}
	if (cli_str(cmd, &a, "sort") &&
	    cli_load_sort(b, cli_str(cmd, &a, "sort"), out ? out : "image") != EXIT_OK)
		goto done;
	if (cli_str(cmd, &a, "boot-bios")) {
		struct dimg_boot_spec s = { .platform = 0, .emulation = 0,
					    .image_path = cli_str(cmd, &a, "boot-bios"),
					    .load_size = 4, .info_table = 1 };
		if (dimg_builder_boot(b, &s, &err) != 0) {
			cli_error(out, &err);
			goto done;
		}
	}
	if (cli_str(cmd, &a, "boot-efi")) {
		struct dimg_boot_spec s = { .platform = 0xEF, .emulation = 0,
					    .image_path = cli_str(cmd, &a, "boot-efi"),
					    .efi_partition = 1 };
		if (dimg_builder_boot(b, &s, &err) != 0) {
			cli_error(out, &err);
			goto done;
		}
	}
	rc = cli_build_run(b, out, cli_flag(cmd, &a, "force"), dry, cli_flag(cmd, &a, "json"),
			   cli_progress_force(cmd, &a));
done:
	dimg_builder_free(b);
	cli_args_free(&a);
	return rc;
}

const struct cli_cmd cmd_create = {
	.name = "create",
	.usage = "-o OUT.iso [options] SOURCE...",
	.summary = "Master an ISO 9660 image (Rock Ridge, Joliet, El Torito, hybrid MBR/GPT).",
	.description =
		"The contents of each SOURCE directory are merged at the image root.  Defaults: "
		"level 3,\nRock Ridge 1.12 with the real owners, modes and times, Joliet.  With "
		"SOURCE_DATE_EPOCH\nset (or --reproducible) two runs give identical bytes.  The "
		"output appears only when\ncomplete.",
	.opts = create_opts,
	.min_args = 0,
	.max_args = -1,
	.run = run_create,
};
