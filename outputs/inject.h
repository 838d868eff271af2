/*
 * inject.h — Fluentd's <inject> section of a <match>: the tag, the event
 * time, the host name and the worker id added to each record as it is
 * encoded (file, stdout, kafka2), never stored in it.
 */
#ifndef OUTPUTS_INJECT_H
#define OUTPUTS_INJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "jsonenc.h"
#include "record.h"
#include "strbuf.h"

/* In the order Fluentd adds them: a later one wins a shared key. */
enum inject_key {
	INJECT_HOSTNAME,
	INJECT_WORKER_ID,
	INJECT_TAG,
	INJECT_TIME,
	INJECT_NKEYS
};

struct inject_cfg {
	char	*key[INJECT_NKEYS];	/* hostname_key, worker_id_key... */
	char	*hostname;
	int	 time_type;
	char	*time_format;
	bool	 localtime;
	bool	 utc;
	char	*timezone;
};

struct inject {
	struct inject_cfg cfg;
	bool		 on;		/* some key is set */
	struct json_skip skip[INJECT_NKEYS];	/* record fields they replace */
	size_t		 nskip;
	int		 zone;		/* enum in inject.c */
	int32_t		 gmtoff;	/* timezone's, seconds east of UTC */
	char		 hostname[256];
};

/* Reads the <inject> child of a <match>, if any. */
int	inject_init(struct inject *in, struct conf_elem *match, struct err *e);
void	inject_free(struct inject *in);
/* Appends the injected members to an open JSON object. */
void	inject_put_members(const struct inject *in, struct strbuf *sb,
	    const struct batch *b, const struct record *r, int *first);
/* single_value: appends the injected value named key, if there is one. */
bool	inject_put_value(const struct inject *in, struct strbuf *sb,
	    const struct batch *b, const struct record *r, const char *key);
void	inject_reference(struct strbuf *out);

#endif
