/*
 * spire_events.h — what a SPIRE log record means for security, as a
 * stable word: attestation_failure, unauthorized, certificate_violation,
 * federation_failure, ... (see spire_event_name).
 *
 * The one idea: SPIRE's messages are fixed strings in its source (see
 * the catalogue in ../shared/corpus/SPIRE-LOGS.md), so a table of message
 * patterns, and a few fields where the message alone is ambiguous
 * (`check` of "Health check failed", a `datastore-sql:` error), names
 * the event. First matching rule wins. Pure: no I/O, no allocation.
 */
#ifndef PARSERS_SPIRE_EVENTS_H
#define PARSERS_SPIRE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

enum spire_event {
	SPIRE_EVENT_NONE,
	SPIRE_EVENT_ATTESTATION_FAILURE,	/* node attestation */
	SPIRE_EVENT_WORKLOAD_ATTESTATION_FAILURE,
	SPIRE_EVENT_UNAUTHORIZED,
	SPIRE_EVENT_CERTIFICATE_VIOLATION,	/* X.509/JWT SVID, CSR, TLS */
	SPIRE_EVENT_FEDERATION_FAILURE,
	SPIRE_EVENT_CA_ROTATION_PROBLEM,
	SPIRE_EVENT_SVID_ROTATION_FAILURE,
	SPIRE_EVENT_DATASTORE_ERROR,
	SPIRE_EVENT_RATE_LIMITED,
	SPIRE_EVENT_PROCESS_TRACKING_FAILURE,	/* PID reuse, caller gone */
	SPIRE_EVENT_AUDIT,			/* type=audit, any level */
	SPIRE_NEVENTS
};

/* The record fields the rules read. */
enum spire_key {
	SPIRE_KEY_MSG,
	SPIRE_KEY_LEVEL,
	SPIRE_KEY_TYPE,
	SPIRE_KEY_STATUS,
	SPIRE_KEY_METHOD,
	SPIRE_KEY_ERROR,
	SPIRE_KEY_CHECK,
	SPIRE_KEY_LOG,		/* a line that did not parse (net/http text) */
	SPIRE_NKEYS
};

/* String values of the keys in one record; len 0: absent or empty. */
struct spire_fields {
	const char	*val[SPIRE_NKEYS];
	size_t		 len[SPIRE_NKEYS];
};

/* "attestation_failure", ...; "" for SPIRE_EVENT_NONE. */
const char *spire_event_name(enum spire_event ev);

/* The spire_key named by a record key, or -1. */
int	spire_key_of(const char *key, size_t klen);

enum spire_event spire_event_classify(const struct spire_fields *f);

/*
 * An audit record of an agent's routine sync (a successful
 * SyncAuthorizedEntries or GetAuthorizedEntries every few seconds per
 * agent): the noise `audit_exclude_agent_sync` drops.
 */
bool	spire_audit_is_agent_sync(const struct spire_fields *f);

/*
 * The attestor named inside a message or error: "nodeattestor(k8s_psat)",
 * `workload attestor "k8s"`, "workloadattestor(unix)".
 */
bool	spire_attestor_in(const char *s, size_t len, const char **at,
	    size_t *alen);

/* The SPIFFE ID in `agent "spiffe://..."` (SPIRE's authorization errors). */
bool	spire_agent_id_in(const char *s, size_t len, const char **id,
	    size_t *idlen);

/* A SPIFFE ID of an agent: spiffe://<trust domain>/spire/agent/... */
bool	spire_is_agent_id(const char *s, size_t len);

/*
 * The attestor in an agent's SPIFFE ID: SPIRE reserves
 * spiffe://<td>/spire/agent/<attestor>/... for the agents it attests.
 */
bool	spire_agent_id_attestor(const char *s, size_t len, const char **at,
	    size_t *alen);

#endif
