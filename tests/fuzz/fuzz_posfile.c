/*
 * fuzz_posfile.c — the pos-file reader (posfile_open) and its line parser.
 *
 * The input is a pos file, then optionally a NUL and its .fingerprints
 * file. It is loaded by path and by inode (follow_inodes). Checks: no
 * entry is unwatched or has a path that the format cannot hold, keys are
 * unique; every entry's slot holds its offset and inode in the compacted
 * file; loading that file again gives the same entries; an update in
 * place is what the next load reads. Each line read alone parses to
 * values that format and parse back the same.
 */
#include "fuzz.h"

#include "err.h"
#include "mem.h"
#include "posfile.h"

struct snap {
	char		*path;
	uint64_t	 offset, inode, fingerprint;
};

static void
check_line(const char *line, size_t len)
{
	char		*path, *back, buf[128];
	uint64_t	 off, ino, off2, ino2;
	int		 n;

	if (posfile_parse_line(line, len, &path, &off, &ino) != 0)
		return;
	FUZZ_ASSERT(strchr(path, '\t') == NULL);
	n = snprintf(buf, sizeof buf, "p\t%llx\t%llx", (unsigned long long)off,
	    (unsigned long long)ino);
	FUZZ_ASSERT(posfile_parse_line(buf, (size_t)n, &back, &off2, &ino2)
	    == 0 && off2 == off && ino2 == ino && strcmp(back, "p") == 0);
	free(back);
	free(path);
}

static void
check_entries(struct posfile *pf)
{
	char			 want[40], got[40];
	struct pos_entry	*a, *b;
	size_t			 i, j;

	for (i = 0; i < posfile_count(pf); i++) {
		a = posfile_entry(pf, i);
		FUZZ_ASSERT(a->offset != POS_UNWATCHED && a->path[0] != '\0');
		FUZZ_ASSERT(strpbrk(a->path, "\t\n") == NULL);
		for (j = 0; j < i; j++) {
			b = posfile_entry(pf, j);
			FUZZ_ASSERT(pf->follow_inodes ? a->inode != b->inode :
			    strcmp(a->path, b->path) != 0);
		}
		snprintf(want, sizeof want, "%016llx\t%016llx",
		    (unsigned long long)a->offset,
		    (unsigned long long)a->inode);
		FUZZ_ASSERT(pread(pf->fd, got, 33, a->slot) == 33 &&
		    memcmp(got, want, 33) == 0);
	}
}

static struct snap *
snapshot(struct posfile *pf)
{
	struct snap	*s = xcalloc(posfile_count(pf) + 1, sizeof *s);
	size_t		 i;

	for (i = 0; i < posfile_count(pf); i++) {
		struct pos_entry *pe = posfile_entry(pf, i);

		s[i] = (struct snap){ xstrdup(pe->path), pe->offset, pe->inode,
		    pe->fingerprint };
	}
	return s;
}

static void
same(struct posfile *pf, const struct snap *s)
{
	size_t	 i;

	for (i = 0; i < posfile_count(pf); i++) {
		struct pos_entry *pe = posfile_entry(pf, i);

		FUZZ_ASSERT(s[i].path != NULL && strcmp(s[i].path, pe->path)
		    == 0 && s[i].offset == pe->offset && s[i].inode ==
		    pe->inode && s[i].fingerprint == pe->fingerprint);
	}
	FUZZ_ASSERT(s[i].path == NULL);
}

static void
snap_free(struct snap *s)
{
	size_t	 i;

	for (i = 0; s[i].path != NULL; i++)
		free(s[i].path);
	free(s);
}

static void
load(const char *path, bool follow_inodes)
{
	struct posfile	 pf;
	struct err	 e;
	struct snap	*s;

	FUZZ_ASSERT(posfile_open(&pf, path, follow_inodes, &e) == 0);
	check_entries(&pf);
	s = snapshot(&pf);
	posfile_close(&pf);

	FUZZ_ASSERT(posfile_open(&pf, path, follow_inodes, &e) == 0);
	same(&pf, s);
	if (posfile_count(&pf) > 0) {
		struct pos_entry *pe = posfile_entry(&pf, 0);

		s[0].offset = pe->offset == POS_UNWATCHED - 1 ? 0 :
		    pe->offset + 1;
		FUZZ_ASSERT(posfile_update(&pf, pe, pe->inode, s[0].offset,
		    &e) == 0);
		check_entries(&pf);
	}
	posfile_close(&pf);

	FUZZ_ASSERT(posfile_open(&pf, path, follow_inodes, &e) == 0);
	same(&pf, s);
	posfile_close(&pf);
	snap_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 pos[96], fps[128];
	const char	*head, *fp = "";
	const char	*p, *end, *nl;
	size_t		 poslen = size, fplen = 0;

	if (fuzz_split(data, size, &head, &fp, &fplen) == 0)
		poslen = strlen(head);
	snprintf(pos, sizeof pos, "%s/pos", fuzz_tmpdir());
	snprintf(fps, sizeof fps, "%s.fingerprints", pos);
	for (p = (const char *)data, end = p + poslen; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		check_line(p, (size_t)(nl - p));
	}
	fuzz_write_file(pos, data, poslen);
	fuzz_write_file(fps, fp, fplen);
	load(pos, false);
	fuzz_write_file(pos, data, poslen);
	load(pos, true);
	return 0;
}
