/*
 * fuzz_regex.c — Fluentd's Ruby regexps as the shipper compiles them
 * (shipper/regex_ruby.c rewrites them for PCRE2, shipper/regex.c).
 *
 * The input is `flags pattern NUL subject`: the first byte's low bits
 * choose /x, /i and /m. The rewrite either succeeds or says why and where
 * (inside the pattern); what compiles is matched against the subject and
 * its named groups read, each capture inside the subject.
 */
#include "fuzz.h"

#include "err.h"
#include "regex.h"
#include "regex_ruby.h"
#include "strbuf.h"

struct span {
	const char	*s;
	size_t		 len;
};

static void
capture(void *arg, const char *name, size_t nlen, const char *val,
    size_t vlen)
{
	const struct span	*sub = arg;

	FUZZ_ASSERT(nlen > 0 && name != NULL);
	FUZZ_ASSERT(vlen == 0 || fuzz_within(val, vlen, sub->s, sub->len));
}

static void
rewrite(const char *pattern, bool extended)
{
	struct strbuf	 out = STRBUF_INIT;
	const char	*why = NULL;
	size_t		 at = 0;

	if (regex_ruby_to_pcre2(pattern, extended, &out, &why, &at) != 0)
		FUZZ_ASSERT(why != NULL && why[0] != '\0' &&
		    at <= strlen(pattern));
	sb_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned	 bits[] = { REGEX_EXTENDED, REGEX_ICASE,
	    REGEX_DOTALL };
	struct span		 sub;
	struct regex		*re;
	struct err		 e;
	const char		*head;
	unsigned		 flags = 0;
	size_t			 i;

	if (size < 1 || fuzz_split(data + 1, size - 1, &head, &sub.s,
	    &sub.len) != 0)
		return 0;
	for (i = 0; i < sizeof bits / sizeof bits[0]; i++)
		if (data[0] & (1u << i))
			flags |= bits[i];
	rewrite(head, flags & REGEX_EXTENDED);
	if ((re = regex_compile(head, REGEX_RUBY | flags, &e)) == NULL) {
		FUZZ_ASSERT(e.msg[0] != '\0');
		return 0;
	}
	(void)regex_match(re, sub.s, sub.len);
	(void)regex_captures(re, sub.s, sub.len, capture, &sub);
	regex_free(re);
	return 0;
}
