/*
 * spire_events.c — SPIRE log records to security events (see
 * spire_events.h).
 *
 * Each rule is up to two conditions on the record's fields; the first
 * rule whose conditions all hold names the event. Apart from audit
 * records (INFO by design) and net/http's TLS lines (no level at all),
 * only WARN and ERROR records are events: SPIRE logs its failures there,
 * and a message shared with an INFO line never counts twice. The
 * message strings are SPIRE's own, with the file they come from.
 */
#include <string.h>
#include <strings.h>

#include "spire_events.h"

enum match { MATCH_EXACT, MATCH_PREFIX, MATCH_CONTAINS };

struct spire_cond {
	enum spire_key	 key;
	enum match	 how;
	const char	*text;		/* NULL: no condition */
};

struct spire_rule {
	enum spire_event	 event;
	struct spire_cond	 when[2];
	bool			 any_level;
};

#define MSG_IS(s)	{ SPIRE_KEY_MSG, MATCH_EXACT, s }
#define MSG_STARTS(s)	{ SPIRE_KEY_MSG, MATCH_PREFIX, s }
#define MSG_HAS(s)	{ SPIRE_KEY_MSG, MATCH_CONTAINS, s }
#define FIELD_IS(k, s)	{ SPIRE_KEY_ ## k, MATCH_EXACT, s }
#define FIELD_STARTS(k, s) { SPIRE_KEY_ ## k, MATCH_PREFIX, s }
#define FIELD_HAS(k, s)	{ SPIRE_KEY_ ## k, MATCH_CONTAINS, s }

#define RULE(ev, ...)	{ .event = ev, .when = { __VA_ARGS__ } }
#define ANY_LEVEL(ev, ...) \
	{ .event = ev, .when = { __VA_ARGS__ }, .any_level = true }

#define ATTESTATION	SPIRE_EVENT_ATTESTATION_FAILURE
#define WORKLOAD	SPIRE_EVENT_WORKLOAD_ATTESTATION_FAILURE
#define UNAUTHORIZED	SPIRE_EVENT_UNAUTHORIZED
#define CERTIFICATE	SPIRE_EVENT_CERTIFICATE_VIOLATION
#define FEDERATION	SPIRE_EVENT_FEDERATION_FAILURE
#define CA_ROTATION	SPIRE_EVENT_CA_ROTATION_PROBLEM
#define SVID_ROTATION	SPIRE_EVENT_SVID_ROTATION_FAILURE
#define DATASTORE	SPIRE_EVENT_DATASTORE_ERROR
#define RATE_LIMITED	SPIRE_EVENT_RATE_LIMITED
#define PROCESS		SPIRE_EVENT_PROCESS_TRACKING_FAILURE

static const struct spire_rule rules[] = {
	ANY_LEVEL(SPIRE_EVENT_AUDIT, FIELD_IS(TYPE, "audit")),

	/* Node attestation, server side: the plugin facade's prefix, which
	 * MakeErr capitalises (pkg/common/plugin/facade.go, api/status.go),
	 * and pkg/server/api/agent/v1/service.go, plugin/nodeattestor/. */
	RULE(ATTESTATION, MSG_STARTS("Nodeattestor(")),
	RULE(ATTESTATION, MSG_STARTS("Invalid argument: nodeattestor(")),
	RULE(ATTESTATION, MSG_STARTS("Invalid argument: failed to attest")),
	RULE(ATTESTATION, MSG_IS("Invalid argument: join token expired")),
	RULE(ATTESTATION, MSG_STARTS("Failed to attest: ")),
	RULE(ATTESTATION, MSG_STARTS("Attestation data has already been used")),
	RULE(ATTESTATION, MSG_STARTS("The node attestor produced an invalid "
	    "agent ID")),
	RULE(ATTESTATION, MSG_STARTS("Error getting node attestor")),
	RULE(ATTESTATION, MSG_STARTS("Agent failed re-attestation")),
	RULE(ATTESTATION, MSG_STARTS("Agent is banned: ")),
	/* Agent side: pkg/agent/agent.go, manager/manager.go, cli/run. */
	RULE(ATTESTATION, MSG_IS("Failed to retrieve attestation result")),
	RULE(ATTESTATION, MSG_STARTS("Agent needs to re-attest")),
	RULE(ATTESTATION, MSG_IS("Agent crashed"),
	    FIELD_HAS(ERROR, "attestation")),

	/* pkg/server/api/middleware/authorization.go, endpoints/middleware.go */
	RULE(UNAUTHORIZED, MSG_IS("Failed to authenticate caller")),
	RULE(UNAUTHORIZED, MSG_STARTS("Authorization failure from OPA")),
	RULE(UNAUTHORIZED, MSG_IS("Agent SVID is expired")),
	RULE(UNAUTHORIZED, MSG_IS("Agent is not attested")),
	RULE(UNAUTHORIZED, MSG_IS("Agent is banned")),
	RULE(UNAUTHORIZED, MSG_STARTS("Caller ID missing")),

	/* svid/v1/service.go, agent endpoints/workload/handler.go, and the
	 * bundle endpoint's net/http log line on stderr. */
	RULE(CERTIFICATE, MSG_STARTS("Invalid argument: failed to verify CSR "
	    "signature")),
	RULE(CERTIFICATE, MSG_IS("Failed to validate JWT")),
	ANY_LEVEL(CERTIFICATE, FIELD_HAS(LOG, " http: TLS handshake error "),
	    FIELD_HAS(LOG, "certificate")),

	/* pkg/server/bundle/client/manager.go, bundle/pubmanager. */
	RULE(FEDERATION, MSG_IS("Error updating bundle")),
	RULE(FEDERATION, MSG_IS("Failed to publish bundle")),
	RULE(FEDERATION, MSG_STARTS("Failed to fetch federated bundle")),
	RULE(FEDERATION, MSG_STARTS("Federated bundle not found")),

	/* pkg/server/ca/rotator/rotator.go, ca/manager/manager.go */
	RULE(CA_ROTATION, MSG_STARTS("Unable to rotate")),
	RULE(CA_ROTATION, MSG_STARTS("Unable to append")),
	RULE(CA_ROTATION, MSG_STARTS("Failed to update"), MSG_HAS("journal")),
	RULE(CA_ROTATION, MSG_STARTS("Failed to force intermediate")),
	RULE(CA_ROTATION, MSG_IS("Failed to notify on bundle update")),
	RULE(CA_ROTATION, MSG_STARTS("Could not prune")),
	RULE(CA_ROTATION, MSG_STARTS("Pruning halted")),
	RULE(CA_ROTATION, MSG_IS("Health check failed"),
	    FIELD_STARTS(CHECK, "server.ca")),

	/* pkg/server/svid/rotator.go, pkg/agent/svid/rotator.go, manager */
	RULE(SVID_ROTATION, MSG_STARTS("Could not rotate")),
	RULE(SVID_ROTATION, MSG_STARTS("Could not reattest")),
	RULE(SVID_ROTATION, MSG_STARTS("SVID sync failed")),
	RULE(SVID_ROTATION, MSG_STARTS("Could not store SVID")),
	RULE(SVID_ROTATION, MSG_STARTS("Failed to remove SVID")),

	/* agent/v1 and svid/v1 service.go */
	RULE(RATE_LIMITED, MSG_STARTS("Rejecting request due to")),

	/* pkg/agent/attestor/workload/workload.go, endpoints/,
	 * plugin/workloadattestor/k8s/k8s.go */
	RULE(WORKLOAD, MSG_IS("No identity issued")),
	RULE(WORKLOAD, MSG_STARTS("workload attestor \"")),
	RULE(WORKLOAD, MSG_STARTS("Workload attestation failed")),
	RULE(WORKLOAD, MSG_IS("Failed to attest the workload")),
	RULE(WORKLOAD, MSG_IS("Timed out collecting selectors")),
	RULE(WORKLOAD, MSG_STARTS("Failed to collect all selectors")),
	RULE(WORKLOAD, MSG_STARTS("Container id not found")),
	RULE(WORKLOAD, MSG_STARTS("Unable to get pod list")),
	RULE(WORKLOAD, MSG_STARTS("Two pods found")),

	/* pkg/common/peertracker/tracker_linux.go */
	RULE(PROCESS, MSG_STARTS("New process detected")),
	RULE(PROCESS, MSG_STARTS("Caller exit suspected")),
	RULE(PROCESS, MSG_STARTS("Caller is no longer being watched")),

	/* endpoints/authorized_entryfetcher.go, node/manager.go, sqlstore;
	 * then any failure whose error is the SQL datastore's. */
	RULE(DATASTORE, MSG_IS("Failed to update entry cache")),
	RULE(DATASTORE, MSG_IS("Failed to prune events")),
	RULE(DATASTORE, MSG_STARTS("Failed during periodic pruning")),
	RULE(DATASTORE, MSG_STARTS("Unable to look up agent information")),
	RULE(DATASTORE, MSG_STARTS("DB schema")),
	RULE(DATASTORE, MSG_STARTS("Fail to rebuild")),
	RULE(DATASTORE, MSG_IS("Health check failed"),
	    FIELD_IS(CHECK, "catalog.datastore")),
	RULE(DATASTORE, FIELD_STARTS(ERROR, "datastore-sql:")),
};

static const char *const event_names[SPIRE_NEVENTS] = {
	[SPIRE_EVENT_NONE] = "",
	[SPIRE_EVENT_ATTESTATION_FAILURE] = "attestation_failure",
	[SPIRE_EVENT_WORKLOAD_ATTESTATION_FAILURE] =
	    "workload_attestation_failure",
	[SPIRE_EVENT_UNAUTHORIZED] = "unauthorized",
	[SPIRE_EVENT_CERTIFICATE_VIOLATION] = "certificate_violation",
	[SPIRE_EVENT_FEDERATION_FAILURE] = "federation_failure",
	[SPIRE_EVENT_CA_ROTATION_PROBLEM] = "ca_rotation_problem",
	[SPIRE_EVENT_SVID_ROTATION_FAILURE] = "svid_rotation_failure",
	[SPIRE_EVENT_DATASTORE_ERROR] = "datastore_error",
	[SPIRE_EVENT_RATE_LIMITED] = "rate_limited",
	[SPIRE_EVENT_PROCESS_TRACKING_FAILURE] = "process_tracking_failure",
	[SPIRE_EVENT_AUDIT] = "audit",
};

static const char *const key_names[SPIRE_NKEYS] = {
	[SPIRE_KEY_MSG] = "msg",
	[SPIRE_KEY_LEVEL] = "level",
	[SPIRE_KEY_TYPE] = "type",
	[SPIRE_KEY_STATUS] = "status",
	[SPIRE_KEY_METHOD] = "method",
	[SPIRE_KEY_ERROR] = "error",
	[SPIRE_KEY_CHECK] = "check",
	[SPIRE_KEY_LOG] = "log",
};

const char *
spire_event_name(enum spire_event ev)
{
	return ev < SPIRE_NEVENTS ? event_names[ev] : "";
}

int
spire_key_of(const char *key, size_t klen)
{
	int	 k;

	for (k = 0; k < SPIRE_NKEYS; k++)
		if (strlen(key_names[k]) == klen &&
		    memcmp(key_names[k], key, klen) == 0)
			return k;
	return -1;
}

static bool
contains(const char *s, size_t len, const char *text)
{
	size_t	 tl = strlen(text), i;

	for (i = 0; i + tl <= len; i++)
		if (s[i] == text[0] && memcmp(s + i, text, tl) == 0)
			return true;
	return false;
}

static bool
cond_holds(const struct spire_fields *f, const struct spire_cond *c)
{
	const char	*v = f->val[c->key];
	size_t		 len = f->len[c->key], tl = strlen(c->text);

	if (len == 0)
		return false;
	switch (c->how) {
	case MATCH_EXACT:
		return len == tl && memcmp(v, c->text, tl) == 0;
	case MATCH_PREFIX:
		return len >= tl && memcmp(v, c->text, tl) == 0;
	case MATCH_CONTAINS:
		return contains(v, len, c->text);
	}
	return false;
}

/* warning, error (and logrus' fatal, panic), in any case, normalised or not. */
static bool
level_is_problem(const struct spire_fields *f)
{
	static const char *const problems[] = {
		"warning", "warn", "error", "fatal", "panic",
	};
	size_t	 i, len = f->len[SPIRE_KEY_LEVEL];

	for (i = 0; i < sizeof problems / sizeof problems[0]; i++)
		if (strlen(problems[i]) == len && strncasecmp(problems[i],
		    f->val[SPIRE_KEY_LEVEL], len) == 0)
			return true;
	return false;
}

enum spire_event
spire_event_classify(const struct spire_fields *f)
{
	bool	 problem = level_is_problem(f);
	size_t	 i, c;

	for (i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		const struct spire_rule *r = &rules[i];

		if (!problem && !r->any_level)
			continue;
		for (c = 0; c < 2 && r->when[c].text != NULL; c++)
			if (!cond_holds(f, &r->when[c]))
				break;
		if (c == 2 || r->when[c].text == NULL)
			return r->event;
	}
	return SPIRE_EVENT_NONE;
}

bool
spire_audit_is_agent_sync(const struct spire_fields *f)
{
	static const struct spire_cond sync[] = {
		FIELD_IS(METHOD, "SyncAuthorizedEntries"),
		FIELD_IS(METHOD, "GetAuthorizedEntries"),
	};
	static const struct spire_cond audit = FIELD_IS(TYPE, "audit");
	static const struct spire_cond success = FIELD_IS(STATUS, "success");
	size_t	 i;

	if (!cond_holds(f, &audit) || !cond_holds(f, &success))
		return false;
	for (i = 0; i < sizeof sync / sizeof sync[0]; i++)
		if (cond_holds(f, &sync[i]))
			return true;
	return false;
}

static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The name after mark in s, up to the closing `end`. */
static bool
name_after(const char *s, size_t len, const char *mark, char end,
    const char **at, size_t *alen)
{
	size_t	 ml = strlen(mark), i, j;

	for (i = 0; i + ml < len; i++) {
		if (memcmp(s + i, mark, ml) != 0)
			continue;
		for (j = i + ml; j < len && name_char(s[j]); j++)
			;
		if (j > i + ml && j < len && s[j] == end) {
			*at = s + i + ml;
			*alen = j - i - ml;
			return true;
		}
	}
	return false;
}

bool
spire_attestor_in(const char *s, size_t len, const char **at, size_t *alen)
{
	/* The first letter may be capitalised (MakeErr). */
	return name_after(s, len, "odeattestor(", ')', at, alen) ||
	    name_after(s, len, "orkload attestor \"", '"', at, alen) ||
	    name_after(s, len, "orkloadattestor(", ')', at, alen);
}

bool
spire_is_agent_id(const char *s, size_t len)
{
	const char	*slash;

	if (len <= 9 || memcmp(s, "spiffe://", 9) != 0)
		return false;
	slash = memchr(s + 9, '/', len - 9);
	return slash != NULL && (size_t)(s + len - slash) > 13 &&
	    memcmp(slash, "/spire/agent/", 13) == 0;
}

bool
spire_agent_id_attestor(const char *s, size_t len, const char **at,
    size_t *alen)
{
	const char	*p, *end = s + len;

	if (!spire_is_agent_id(s, len))
		return false;
	p = (const char *)memchr(s + 9, '/', len - 9) + 13;
	*at = p;
	while (p < end && name_char(*p))
		p++;
	*alen = (size_t)(p - *at);
	return *alen > 0 && (p == end || *p == '/');
}

bool
spire_agent_id_in(const char *s, size_t len, const char **id, size_t *idlen)
{
	static const char mark[] = "agent \"spiffe://";
	size_t		  ml = sizeof mark - 1, i, j;

	for (i = 0; i + ml < len; i++) {
		if (memcmp(s + i, mark, ml) != 0)
			continue;
		for (j = i + 7; j < len && s[j] != '"' && s[j] != ' '; j++)
			;
		if (j < len && s[j] == '"') {
			*id = s + i + 7;
			*idlen = j - i - 7;
			return true;
		}
	}
	return false;
}
