/*
 * fuzz_config.c — the configuration parser (conf_load_string) and the
 * value types of its parameters.
 *
 * Inputs that name an include are skipped: @include reads whatever path
 * or glob it is given (/dev/stdin, a glob of /), which is the file system's
 * business, not the parser's; tests/unit/test_config.c covers includes.
 * Checks: a failure leaves a message and an empty tree; in a tree every
 * element and parameter has a name, a value and a file:line; every value
 * goes through each type parser, whose arrays are NULL-terminated and
 * whose hashes have a value for every key, and whose failures say why.
 */
#define _GNU_SOURCE		/* memmem */

#include "fuzz.h"

#include "config.h"
#include "err.h"

static void
check_strv(char **v, const struct err *e, bool pairs)
{
	size_t	 n;

	if (v == NULL) {
		FUZZ_ASSERT(e->msg[0] != '\0');
		return;
	}
	n = conf_strv_len(v);
	FUZZ_ASSERT(!pairs || n % 2 == 0);
	conf_strv_free(v);
}

static void
check_value(const struct conf_param *p)
{
	unsigned long long	 size;
	long long		 i;
	double			 d;
	bool			 b;
	struct err		 e;

	FUZZ_ASSERT(p->key != NULL && p->key[0] != '\0' && p->value != NULL);
	FUZZ_ASSERT(p->file != NULL && p->line >= 1);
	FUZZ_ASSERT(p->kind != CONF_EMPTY || p->value[0] == '\0');
	(void)conf_parse_size(p->value, &size);
	(void)conf_parse_time(p->value, &d);
	(void)conf_parse_bool(p->value, &b);
	(void)conf_parse_int(p->value, &i);
	(void)conf_parse_float(p->value, &d);
	e.msg[0] = '\0';
	check_strv(conf_parse_array(p->value, &e), &e, false);
	e.msg[0] = '\0';
	check_strv(conf_parse_hash(p->value, &e), &e, true);
}

static void
check_elem(const struct conf_elem *el)
{
	size_t	 i;

	FUZZ_ASSERT(el->name != NULL && el->arg != NULL && el->file != NULL);
	for (i = 0; i < el->nparams; i++) {
		check_value(&el->params[i]);
		FUZZ_ASSERT(conf_param_get(el, el->params[i].key) != NULL);
	}
	for (i = 0; i < el->nelems; i++) {
		FUZZ_ASSERT(el->elems[i].line >= 1);
		check_elem(&el->elems[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*text;
	struct conf	 c;
	struct err	 e;

	if (memmem(data, size, "include", 7) != NULL)
		return 0;
	text = fuzz_cstr(data, size);
	e.msg[0] = '\0';
	if (conf_load_string(&c, text, "/nonexistent/fuzz.conf", &e) == 0)
		check_elem(&c.root);
	else
		FUZZ_ASSERT(e.msg[0] != '\0' && c.root.nparams == 0 &&
		    c.root.nelems == 0);
	conf_free(&c);
	free(text);
	return 0;
}
