/* SPDX-License-Identifier: MIT */
/*
 * dimg mkisofs: the options of genisoimage/xorrisofs that build scripts use,
 * with their meaning, mapped onto the same builder as `dimg create`.
 * Options are single-dash words, parsed here by hand (getopt cannot).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cli_load_sort(struct dimg_builder *b, const char *file, const char *image);

struct mk_state {
	struct dimg_create_options o;
	const char *out;
	bool graft, quiet, verbose;
	const char *sort;
	const char **sources;
	int nsources;
	struct {
		const char *glob;
		int what;
	} pats[256];
	int npats;
	struct dimg_boot_spec boot[16];
	bool boot_emul_set[16];
	int nboot;
	const char *path_list;
	struct {
		int number, type;
		const char *file;
	} parts[4];
	int nparts;
};

/* Options taking an argument, and flags; anything else is unknown. */
static const char *const with_arg[] = {
	"o", "iso-level", "V", "A", "P", "p", "sysid", "volset", "m", "x", "exclude",
	"path-list", "b", "c", "boot-load-size", "e", "eltorito-platform", "isohybrid-mbr",
	"hide", "hide-joliet", "sort", "input-charset", "publisher", "preparer",
	"appid", "volid", "output-charset", "boot-load-seg", "efi-boot-part", NULL,
};

static bool takes_arg(const char *o)
{
	for (int i = 0; with_arg[i]; i++)
		if (!strcmp(with_arg[i], o))
			return true;
	return false;
}

static void mk_help(void)
{
	printf("Usage: dimg mkisofs [options] [-graft-points] PATHSPEC...\n\n"
	       "genisoimage/xorrisofs compatible front end to dimg create.  Supported options:\n"
	       "  -o FILE  -R  -r  -J  -joliet-long  -l  -iso-level N  -V ID  -A ID  -P ID\n"
	       "  -joliet-utf16  -p ID  -sysid ID  -volset ID  -graft-points  -m GLOB  -x PATH\n"
	       "  -exclude GLOB\n"
	       "  -path-list FILE  -b FILE  -c FILE  -no-emul-boot  -boot-load-size N\n"
	       "  -boot-info-table  -hard-disk-boot  -no-boot  -eltorito-alt-boot  -e FILE\n"
	       "  -efi-boot-part --efi-boot-image  -eltorito-platform x86|PPC|Mac|efi|0xNN\n"
	       "  -isohybrid-mbr FILE  -isohybrid-gpt-basdat  -append_partition N TYPE FILE\n"
	       "  -hide GLOB  -hide-joliet GLOB  -sort FILE  -U  -D  -N  -quiet  -v\n"
	       "  -input-charset utf-8  -f (-follow-links)  -pad  -no-pad  -help (--help)\n\n"
	       "Unknown options are an error (exit 2).\n");
}

static int platform_id(const char *s)
{
	if (!strcasecmp(s, "x86") || !strcasecmp(s, "bios") || !strcmp(s, "0"))
		return 0;
	if (!strcasecmp(s, "ppc") || !strcasecmp(s, "powerpc"))
		return 1;
	if (!strcasecmp(s, "mac"))
		return 2;
	if (!strcasecmp(s, "efi") || !strcasecmp(s, "uefi"))
		return 0xEF;
	char *end;
	long v = strtol(s, &end, 0);
	return (*end || v < 0 || v > 255) ? -1 : (int)v;
}

static int mk_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "dimg mkisofs: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'dimg mkisofs -help'.\n");
	return EXIT_USAGE;
}

static void add_pat(struct mk_state *m, const char *glob, int what)
{
	if (m->npats < 256) {
		m->pats[m->npats].glob = glob;
		m->pats[m->npats].what = what;
		m->npats++;
	}
}

static struct dimg_boot_spec *cur_boot(struct mk_state *m)
{
	return m->nboot ? &m->boot[m->nboot - 1] : NULL;
}

static int add_source(struct dimg_builder *b, const struct mk_state *m, const char *spec)
{
	struct dimg_error err;
	char target[4096];
	const char *src = spec;
	dimg_error_clear(&err);
	strcpy(target, "/");
	if (m->graft) {
		/* TARGET=SOURCE; "\=" is a literal '=' */
		const char *p = spec;
		size_t o = 0;
		while (*p && o + 1 < sizeof(target)) {
			if (p[0] == '\\' && p[1] == '=') {
				target[o++] = '=';
				p += 2;
				continue;
			}
			if (*p == '=')
				break;
			target[o++] = *p++;
		}
		if (*p == '=') {
			target[o] = 0;
			src = p + 1;
			if (!target[0])
				strcpy(target, "/");
		} else {
			strcpy(target, "/");
		}
	}
	if (dimg_builder_add(b, target, src, &err) != 0) {
		cli_error(src, &err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int run_mkisofs(const struct cli_cmd *cmd, int argc, char **argv)
{
	static struct mk_state m;
	struct dimg_builder *b = NULL;
	struct dimg_error err;
	int rc = EXIT_FAIL;
	(void)cmd;
	memset(&m, 0, sizeof(m));
	m.o = (struct dimg_create_options)DIMG_CREATE_OPTIONS_INIT;
	m.o.iso_level = 1;
	m.o.joliet = 0;
	m.o.rock_ridge = 0;
	m.o.pad = 1;
	m.o.joliet_ucs2 = 1; /* as genisoimage; -joliet-utf16 as xorriso */
	m.sources = calloc((size_t)argc + 1, sizeof(char *));
	if (!m.sources)
		return EXIT_FAIL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *o, *v = NULL;
		if (a[0] != '-' || !a[1]) {
			m.sources[m.nsources++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			while (++i < argc)
				m.sources[m.nsources++] = argv[i];
			break;
		}
		o = a + 1;
		if (o[0] == '-')
			o++; /* --option spellings are accepted too */
		if (takes_arg(o)) {
			if (i + 1 >= argc)
				return mk_usage("option '%s' needs an argument", a);
			v = argv[++i];
		}
		if (!strcmp(o, "help") || !strcmp(o, "h")) {
			mk_help();
			return EXIT_OK;
		} else if (!strcmp(o, "o")) {
			m.out = v;
		} else if (!strcmp(o, "R") || !strcmp(o, "rock")) {
			m.o.rock_ridge = 1;
		} else if (!strcmp(o, "r") || !strcmp(o, "rational-rock")) {
			m.o.rock_ridge = 1;
			m.o.rationalize = 1;
		} else if (!strcmp(o, "J") || !strcmp(o, "joliet")) {
			m.o.joliet = 1;
		} else if (!strcmp(o, "joliet-long")) {
			m.o.joliet = 1;
			m.o.joliet_long = 1;
		} else if (!strcmp(o, "joliet-utf16")) {
			m.o.joliet = 1;
			m.o.joliet_ucs2 = 0;
		} else if (!strcmp(o, "l") || !strcmp(o, "full-iso9660-filenames")) {
			if (m.o.iso_level < 2)
				m.o.iso_level = 2;
		} else if (!strcmp(o, "iso-level")) {
			int l = atoi(v);
			if (l < 1 || l > 4)
				return mk_usage("-iso-level must be 1 to 4, not '%s'", v);
			m.o.iso_level = l == 4 ? 3 : l;
			if (l == 4)
				m.o.iso1999 = 1;
		} else if (!strcmp(o, "V") || !strcmp(o, "volid")) {
			m.o.volume_id = v;
		} else if (!strcmp(o, "A") || !strcmp(o, "appid")) {
			m.o.application = v;
		} else if (!strcmp(o, "P") || !strcmp(o, "publisher")) {
			m.o.publisher = v;
		} else if (!strcmp(o, "p") || !strcmp(o, "preparer")) {
			m.o.preparer = v;
		} else if (!strcmp(o, "sysid")) {
			m.o.system_id = v;
		} else if (!strcmp(o, "volset")) {
			m.o.volume_set = v;
		} else if (!strcmp(o, "graft-points")) {
			m.graft = true;
		} else if (!strcmp(o, "m") || !strcmp(o, "exclude") || !strcmp(o, "x")) {
			add_pat(&m, v, 0);
		} else if (!strcmp(o, "hide")) {
			add_pat(&m, v, DIMG_HIDE_ISO);
		} else if (!strcmp(o, "hide-joliet")) {
			add_pat(&m, v, DIMG_HIDE_JOLIET);
		} else if (!strcmp(o, "path-list")) {
			m.path_list = v;
		} else if (!strcmp(o, "b") || !strcmp(o, "e")) {
			struct dimg_boot_spec *bs = cur_boot(&m);
			/* -b/-e fill the current entry unless it already has an image */
			if (!bs || bs->image_path) {
				if (m.nboot >= 16)
					return mk_usage("too many boot entries%s", "");
				bs = &m.boot[m.nboot++];
				memset(bs, 0, sizeof(*bs));
				bs->emulation = -1;
			}
			bs->image_path = v;
			if (!strcmp(o, "e")) {
				bs->platform = 0xEF;
				bs->emulation = 0;
			}
		} else if (!strcmp(o, "c")) {
			m.o.boot_catalog = v;
		} else if (!strcmp(o, "no-emul-boot") || !strcmp(o, "hard-disk-boot") ||
			   !strcmp(o, "boot-info-table") || !strcmp(o, "no-boot") ||
			   !strcmp(o, "boot-load-size") || !strcmp(o, "eltorito-platform") ||
			   !strcmp(o, "boot-load-seg") || !strcmp(o, "efi-boot-part")) {
			struct dimg_boot_spec *bs = cur_boot(&m);
			if (!strcmp(o, "efi-boot-part")) {
				/* the EFI image becomes the EFI System Partition */
				m.o.gpt = 1;
				m.o.gpt_esp = 1;
				continue;
			}
			if (!bs) {
				bs = &m.boot[m.nboot++];
				memset(bs, 0, sizeof(*bs));
				bs->emulation = -1;
			}
			if (!strcmp(o, "no-emul-boot"))
				bs->emulation = 0;
			else if (!strcmp(o, "hard-disk-boot"))
				bs->emulation = 4;
			else if (!strcmp(o, "boot-info-table"))
				bs->info_table = 1;
			else if (!strcmp(o, "no-boot"))
				bs->not_bootable = 1;
			else if (!strcmp(o, "boot-load-seg"))
				bs->load_segment = (uint16_t)strtol(v, NULL, 0);
			else if (!strcmp(o, "boot-load-size")) {
				long n = strtol(v, NULL, 10);
				if (n < 1 || n > 65535)
					return mk_usage("-boot-load-size must be 1-65535, not '%s'", v);
				bs->load_size = (uint32_t)n;
			} else {
				int p = platform_id(v);
				if (p < 0)
					return mk_usage("unknown platform '%s'", v);
				bs->platform = p;
			}
		} else if (!strcmp(o, "eltorito-alt-boot")) {
			if (m.nboot >= 16)
				return mk_usage("too many boot entries%s", "");
			struct dimg_boot_spec *bs = &m.boot[m.nboot++];
			memset(bs, 0, sizeof(*bs));
			bs->emulation = -1;
		} else if (!strcmp(o, "isohybrid-mbr")) {
			m.o.mbr_template = v;
		} else if (!strcmp(o, "isohybrid-gpt-basdat")) {
			m.o.gpt = 1;
		} else if (!strcmp(o, "append_partition")) {
			if (i + 3 >= argc)
				return mk_usage("%s needs NUMBER TYPE FILE", a);
			if (m.nparts >= 4)
				return mk_usage("too many appended partitions%s", "");
			m.parts[m.nparts].number = atoi(argv[++i]);
			m.parts[m.nparts].type = (int)strtol(argv[++i], NULL, 0);
			m.parts[m.nparts].file = argv[++i];
			m.nparts++;
		} else if (!strcmp(o, "sort")) {
			m.sort = v;
		} else if (!strcmp(o, "U") || !strcmp(o, "relaxed-filenames")) {
			/* -U implies -d -l -N and untranslated names */
			m.o.relaxed_names = 1;
			if (!strcmp(o, "U"))
				m.o.omit_version = 1;
		} else if (!strcmp(o, "D") || !strcmp(o, "disable-deep-relocation")) {
			m.o.no_relocation = 1;
		} else if (!strcmp(o, "N") || !strcmp(o, "omit-version-number")) {
			m.o.omit_version = 1;
		} else if (!strcmp(o, "quiet")) {
			m.quiet = true;
		} else if (!strcmp(o, "v") || !strcmp(o, "verbose")) {
			m.quiet = false;
			m.verbose = true;
		} else if (!strcmp(o, "input-charset") || !strcmp(o, "output-charset")) {
			if (!strcasecmp(v, "iso8859-1") || !strcasecmp(v, "iso-8859-1") ||
			    !strcasecmp(v, "latin1") || !strcasecmp(v, "iso8859_1"))
				m.o.input_latin1 = !strcmp(o, "input-charset");
			else if (strcasecmp(v, "utf-8") && strcasecmp(v, "utf8") &&
				 strcasecmp(v, "default") && strcasecmp(v, "ascii"))
				return mk_usage("supported charsets: utf-8, iso8859-1; not '%s'", v);
		} else if (!strcmp(o, "f") || !strcmp(o, "follow-links")) {
			m.o.follow_links = 1;
		} else if (!strcmp(o, "pad")) {
			m.o.pad = 1;
		} else if (!strcmp(o, "no-pad")) {
			m.o.pad = 0;
		} else {
			return mk_usage("unknown option '%s'", a);
		}
	}
	if (!m.out)
		return mk_usage("-o FILE is required%s", "");
	if (!m.nsources && !m.path_list)
		return mk_usage("no pathspec given%s", "");
	{
		const char *sde = getenv("SOURCE_DATE_EPOCH");
		if (sde && *sde)
			m.o.source_date_epoch = strtoll(sde, NULL, 10);
	}
	dimg_error_clear(&err);
	if (dimg_builder_new(&b, &m.o, &err) != 0) {
		cli_error(m.out, &err);
		goto done;
	}
	for (int i = 0; i < m.npats; i++)
		if (dimg_builder_pattern(b, m.pats[i].glob, m.pats[i].what, &err) != 0) {
			cli_error(m.out, &err);
			goto done;
		}
	for (int i = 0; i < m.nsources; i++)
		if (add_source(b, &m, m.sources[i]) != EXIT_OK)
			goto done;
	if (m.path_list) {
		FILE *f = fopen(m.path_list, "r");
		char line[4200];
		if (!f) {
			cli_errorf(m.path_list, "cannot open path list");
			goto done;
		}
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			if (line[0] && add_source(b, &m, line) != EXIT_OK) {
				fclose(f);
				goto done;
			}
		}
		fclose(f);
	}
	if (m.sort && cli_load_sort(b, m.sort, m.out) != EXIT_OK)
		goto done;
	for (int i = 0; i < m.nboot; i++) {
		struct dimg_boot_spec *bs = &m.boot[i];
		if (!bs->image_path)
			continue; /* -eltorito-alt-boot with nothing after it */
		/* emulation -1: a floppy, whose kind the builder takes from the size */
		if (bs->platform == 0xEF && m.o.gpt)
			bs->efi_partition = 1;
		if (dimg_builder_boot(b, bs, &err) != 0) {
			cli_error(m.out, &err);
			goto done;
		}
	}
	for (int i = 0; i < m.nparts; i++)
		if (dimg_builder_append_partition(b, m.parts[i].number, m.parts[i].type,
						  m.parts[i].file, &err) != 0) {
			cli_error(m.parts[i].file, &err);
			goto done;
		}
	rc = cli_build_run(b, m.out, 1, 0, 0, m.quiet ? -1 : 0);
	if (rc == EXIT_OK && m.verbose) {
		uint64_t size = 0;
		dimg_builder_plan(b, &size, NULL, &err);
		fprintf(stderr, "dimg mkisofs: %llu extents written (%llu MB) to %s\n",
			(unsigned long long)(size / 2048), (unsigned long long)(size >> 20), m.out);
	}
done:
	dimg_builder_free(b);
	free(m.sources);
	return rc;
}

const struct cli_cmd cmd_mkisofs = {
	.name = "mkisofs",
	.usage = "[genisoimage/xorrisofs options] PATHSPEC...",
	.summary = "Master an ISO image with genisoimage/xorrisofs options (see -help).",
	.min_args = 0,
	.max_args = -1,
	.run = run_mkisofs,
};
