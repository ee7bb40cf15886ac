/* SPDX-License-Identifier: MIT */
/* Byte-addressed random access over files and memory. */
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int file_pread(struct dimg_io *io, void *buf, size_t len, uint64_t off,
		      struct dimg_error *err)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = pread(io->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return dimg_err_sys(err, errno, (int64_t)off, "read failed");
		}
		if (n == 0)
			return dimg_err(err, DIMG_ERANGE, (int64_t)off, "unexpected end of file");
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static void file_close(struct dimg_io *io)
{
	if (io->fd >= 0)
		close(io->fd);
}

static const struct dimg_io_ops file_ops = { .pread = file_pread, .close = file_close };

static int mem_pread(struct dimg_io *io, void *buf, size_t len, uint64_t off,
		     struct dimg_error *err)
{
	(void)err;
	memcpy(buf, io->mem + off, len);
	return 0;
}

static const struct dimg_io_ops mem_ops = { .pread = mem_pread };

int io_open_file(struct dimg_io **out, const char *path, struct dimg_error *err)
{
	struct dimg_io *io;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dimg_err_sys(err, errno, DIMG_OFFSET_NONE, "cannot open");
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return dimg_err_sys(err, e, DIMG_OFFSET_NONE, "cannot stat");
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return dimg_err(err, DIMG_EISDIR, DIMG_OFFSET_NONE, "is a directory");
	}
	io = calloc(1, sizeof(*io));
	if (!io || !(io->name = strdup(path))) {
		free(io);
		close(fd);
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	io->ops = &file_ops;
	io->fd = fd;
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);
		io->size = end > 0 ? (uint64_t)end : 0;
	} else {
		io->size = (uint64_t)st.st_size;
	}
	/* Whole-image scans are sequential; directory walks are not.  Let the
	 * kernel read ahead normally. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_NORMAL);
	*out = io;
	return 0;
}

int io_open_memory(struct dimg_io **out, const void *data, size_t size, const char *name,
		   struct dimg_error *err)
{
	struct dimg_io *io = calloc(1, sizeof(*io));
	if (!io || !(io->name = strdup(name ? name : "<memory>"))) {
		free(io);
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	io->ops = &mem_ops;
	io->fd = -1;
	io->mem = data;
	io->size = size;
	*out = io;
	return 0;
}

void io_close(struct dimg_io *io)
{
	if (!io)
		return;
	if (io->ops->close)
		io->ops->close(io);
	free(io->name);
	free(io);
}

int io_read(struct dimg_io *io, void *buf, size_t len, uint64_t off, struct dimg_error *err)
{
	if (len == 0)
		return 0;
	if (off > io->size || len > io->size - off)
		return dimg_err(err, DIMG_ERANGE, (int64_t)off,
				"read of %zu bytes past the end of the image (size %llu)", len,
				(unsigned long long)io->size);
	return io->ops->pread(io, buf, len, off, err);
}
