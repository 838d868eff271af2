/*
 * kafka_entry.c — one record to one buffer entry, and back (see kafka.h).
 *
 * Everything that depends on the record is decided here, once, when the
 * buffer takes it: topic, key, partition key, headers and the formatted
 * value. An entry is framed (little endian) as
 *
 *	u8 version 1
 *	topic, key, partition key:  u32 length (0xffffffff: none) | bytes
 *	u8 header count, then per header: u32 name length | name |
 *	                                  u32 value length | value
 *	the value, to the end
 *
 * so a chunk recovered after a crash is produced again exactly as it was
 * first, without re-reading the record.
 */
#include <string.h>

#include "jsonenc.h"
#include "kafka.h"
#include "mem.h"
#include "source_id.h"

#define ENTRY_VERSION	1
#define NONE		0xffffffffu

/* "$.a.b" is a path through nested objects; anything else one key. */
static int
path_split(char *spec, struct kafka_path *p, const char *name,
    const struct conf_elem *el, struct err *e)
{
	char	*s = spec, *dot;

	if (strncmp(spec, "$.", 2) != 0) {
		p->keys[0] = spec;
		p->lens[0] = strlen(spec);
		p->depth = 1;
		return 0;
	}
	for (s += 2;; s = dot + 1) {
		if (p->depth == KAFKA_PATH_MAX)
			return param_err_at(e, el, name, "%s '%s': at most %d "
			    "levels of nesting", name, spec, KAFKA_PATH_MAX);
		p->keys[p->depth] = s;
		dot = strchr(s, '.');
		p->lens[p->depth++] = dot ? (size_t)(dot - s) : strlen(s);
		if (dot == NULL)
			return 0;
	}
}

/* Copies spec into enc->copy at *at and splits it. */
static int
path_add(char **at, const char *spec, struct kafka_path *p, const char *name,
    const struct conf_elem *el, struct err *e)
{
	char	*s = *at;

	if (spec == NULL)
		return 0;
	strcpy(s, spec);
	*at += strlen(spec) + 1;
	return path_split(s, p, name, el, e);
}

static size_t
specs_size(const struct kafka_cfg *cfg)
{
	const char	*one[] = { cfg->topic_key, cfg->message_key_key,
			    cfg->partition_key_key };
	size_t		 n = 0, i;

	for (i = 0; i < 3; i++)
		n += one[i] ? strlen(one[i]) + 1 : 0;
	for (i = 0; cfg->headers_from_record && cfg->headers_from_record[i];
	    i++)
		n += strlen(cfg->headers_from_record[i]) + 1;
	return n + 1;
}

static int
headers_init(struct kafka_encoder *enc, const struct kafka_cfg *cfg,
    char **at, const struct conf_elem *el, struct err *e)
{
	char *const	*h = cfg->headers_from_record;
	size_t		 i;

	for (i = 0; h != NULL && h[i] != NULL && h[i + 1] != NULL; i += 2) {
		if (enc->nhdr == KAFKA_HEADERS_MAX)
			return param_err_at(e, el, "headers_from_record",
			    "headers_from_record: at most %d headers",
			    KAFKA_HEADERS_MAX);
		enc->hdr_name[enc->nhdr] = h[i];
		if (path_add(at, h[i + 1], &enc->hdr[enc->nhdr++],
		    "headers_from_record", el, e) != 0)
			return -1;
	}
	return 0;
}

int
kafka_encoder_init(struct kafka_encoder *enc, const struct kafka_cfg *cfg,
    struct conf_elem *el, struct err *e)
{
	char	*at;

	memset(enc, 0, sizeof *enc);
	if (format_init(&enc->fmt, el, e) != 0)
		return -1;
	enc->default_key = cfg->default_message_key;
	if (cfg->source_id_header != NULL && cfg->source_id_header[0] != '\0')
		enc->source_id_header = cfg->source_id_header;
	at = enc->copy = xmalloc(specs_size(cfg));
	if (path_add(&at, cfg->topic_key, &enc->topic, "topic_key", el,
	    e) != 0 ||
	    path_add(&at, cfg->message_key_key, &enc->key, "message_key_key",
	    el, e) != 0 ||
	    path_add(&at, cfg->partition_key_key, &enc->pkey,
	    "partition_key_key", el, e) != 0)
		return -1;
	return headers_init(enc, cfg, &at, el, e);
}

void
kafka_encoder_free(struct kafka_encoder *enc)
{
	format_free(&enc->fmt);
	free(enc->copy);
	enc->copy = NULL;
	sb_free(&enc->value);
}

/* --- what the record says ------------------------------------------------ */

/* A scalar's text (a string's bytes, a number's digits), else false. */
static bool
field_text(const struct field *f, const char **p, size_t *len)
{
	if (f == NULL || f->type == VAL_OBJECT || (f->flags & FIELD_DELETED))
		return false;
	*p = f->val;
	*len = f->vlen;
	return f->vlen > 0;
}

static bool
path_text(const struct batch *b, const struct record *r,
    const struct kafka_path *p, const char **s, size_t *len)
{
	return p->depth > 0 && field_text(record_get_path(b, r, p->keys,
	    p->lens, p->depth), s, len);
}

/* /var/log/containers/<pod>_<namespace>_<container>-<id>.log */
static bool
pod_of_path(const char *path, size_t len, const char **pod, size_t *plen)
{
	const char	*base = path, *us;
	size_t		 i;

	for (i = 0; i < len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	us = memchr(base, '_', (size_t)(path + len - base));
	if (us == NULL || us == base)
		return false;
	*pod = base;
	*plen = (size_t)(us - base);
	return true;
}

bool
kafka_default_key(const struct batch *b, const struct record *r,
    const char **key, size_t *len)
{
	static const char *const pod_keys[] = { "kubernetes", "pod_name" };
	static const size_t	 pod_lens[] = { 10, 8 };

	if (field_text(record_get(b, r, FIELD_STR("spiffe_id")), key, len) ||
	    field_text(record_get_path(b, r, pod_keys, pod_lens, 2), key, len))
		return true;
	return b->source != NULL && pod_of_path(b->source, b->sourcelen, key,
	    len);
}

/* --- framing ------------------------------------------------------------- */

static void
put_u32(struct strbuf *out, uint32_t v)
{
	char	 le[4] = { (char)v, (char)(v >> 8), (char)(v >> 16),
		    (char)(v >> 24) };

	sb_add(out, le, 4);
}

static void
put_bytes(struct strbuf *out, const char *p, size_t len, bool set)
{
	put_u32(out, set ? (uint32_t)len : NONE);
	if (set)
		sb_add(out, p, len);
}

static void
put_key(struct kafka_encoder *enc, const struct batch *b,
    const struct record *r, struct strbuf *out)
{
	const char	*k = NULL;
	size_t		 klen = 0;
	bool		 set;

	set = path_text(b, r, &enc->key, &k, &klen);
	if (!set && enc->default_key != NULL) {
		k = enc->default_key;
		klen = strlen(k);
		set = true;
	}
	if (!set)
		set = kafka_default_key(b, r, &k, &klen);
	put_bytes(out, k, klen, set);
}

static void
put_headers(struct kafka_encoder *enc, const struct batch *b,
    const struct record *r, struct strbuf *out)
{
	const char	*v[KAFKA_HEADERS_MAX];
	size_t		 vlen[KAFKA_HEADERS_MAX], i;
	char		 id[SOURCE_ID_LEN + 1];
	bool		 has_id = enc->source_id_header != NULL &&
			    source_id(b, r, id);
	unsigned char	 n = has_id;

	for (i = 0; i < enc->nhdr; i++)
		if (path_text(b, r, &enc->hdr[i], &v[i], &vlen[i]))
			n++;
		else
			v[i] = NULL;
	sb_addc(out, (char)n);
	if (has_id) {
		put_bytes(out, enc->source_id_header,
		    strlen(enc->source_id_header), true);
		put_bytes(out, id, SOURCE_ID_LEN, true);
	}
	for (i = 0; i < enc->nhdr; i++) {
		if (v[i] == NULL)
			continue;
		put_bytes(out, enc->hdr_name[i], strlen(enc->hdr_name[i]),
		    true);
		put_bytes(out, v[i], vlen[i], true);
	}
}

void
kafka_encode(struct kafka_encoder *enc, const struct batch *b,
    const struct record *r, struct strbuf *out)
{
	const char	*s = NULL;
	size_t		 len = 0;
	bool		 set;

	sb_addc(out, ENTRY_VERSION);
	set = path_text(b, r, &enc->topic, &s, &len);
	put_bytes(out, s, len, set);
	put_key(enc, b, r, out);
	set = path_text(b, r, &enc->pkey, &s, &len);
	put_bytes(out, s, len, set);
	put_headers(enc, b, r, out);
	format_record(&enc->fmt, out, b, r);
}

/* --- reading back -------------------------------------------------------- */

static bool
get_bytes(const char **p, const char *end, struct kafka_bytes *kb)
{
	const unsigned char	*u = (const unsigned char *)*p;
	uint32_t		 n;

	if (end - *p < 4)
		return false;
	n = (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 |
	    (uint32_t)u[3] << 24;
	*p += 4;
	kb->set = n != NONE;
	kb->len = kb->set ? n : 0;
	kb->p = *p;
	if ((size_t)(end - *p) < kb->len)
		return false;
	*p += kb->len;
	return true;
}

int
kafka_entry_parse(const char *p, size_t len, struct kafka_entry *ke)
{
	const char	*end = p + len;
	size_t		 i;

	memset(ke, 0, sizeof *ke);
	if (len < 1 || p[0] != ENTRY_VERSION)
		return -1;
	p++;
	if (!get_bytes(&p, end, &ke->topic) || !get_bytes(&p, end, &ke->key) ||
	    !get_bytes(&p, end, &ke->pkey) || p == end)
		return -1;
	ke->nheaders = (unsigned char)*p++;
	if (ke->nheaders > KAFKA_HEADERS_MAX + 1)
		return -1;
	for (i = 0; i < ke->nheaders; i++)
		if (!get_bytes(&p, end, &ke->hname[i]) ||
		    !get_bytes(&p, end, &ke->hval[i]))
			return -1;
	ke->value.p = p;
	ke->value.len = (uint32_t)(end - p);
	ke->value.set = true;
	return 0;
}
