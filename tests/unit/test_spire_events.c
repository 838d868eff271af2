/*
 * test_spire_events.c — SPIRE's own log messages to security events.
 *
 * Each row is a record as SPIRE writes it (the message strings are
 * SPIRE's, from the catalogue in SPIRE-LOGS.md: the file each comes
 * from is noted there), with the fields the rules read, and the event
 * it must be. Every event kind has rows, and so do the near misses: the
 * same message at INFO, a plugin error that is not about attestation, a
 * health check of another subsystem.
 */
#include <check.h>
#include <string.h>

#include "spire_events.h"

struct row {
	const char	*level;
	const char	*msg;
	const char	*error;
	const char	*type;
	const char	*check;
	const char	*log;
	enum spire_event want;
};

#define E(lvl, m, ev)		{ lvl, m, NULL, NULL, NULL, NULL, ev }
#define EE(lvl, m, err, ev)	{ lvl, m, err, NULL, NULL, NULL, ev }

static const struct row rows[] = {
	/* attestation_failure: server (MakeErr-capitalised plugin errors) */
	E("error", "Nodeattestor(k8s_psat): token not authenticated according "
	    "to TokenReview API for cluster \"prod-eu1\"",
	    SPIRE_EVENT_ATTESTATION_FAILURE),
	E("error", "Nodeattestor(k8s_psat): \"spire-system:default\" is not an "
	    "allowed service account for cluster \"prod-eu1\"",
	    SPIRE_EVENT_ATTESTATION_FAILURE),
	E("error", "Nodeattestor(k8s_psat): pod UID mismatch for pod "
	    "\"payments-api-7f9c\" in cluster \"prod-eu1\": token bound to pod "
	    "UID \"0f1e\"", SPIRE_EVENT_ATTESTATION_FAILURE),
	E("error", "Invalid argument: nodeattestor(k8s_psat): not configured "
	    "for cluster \"dev\"", SPIRE_EVENT_ATTESTATION_FAILURE),
	E("error", "Invalid argument: failed to attest: join token does not "
	    "exist or has already been used", SPIRE_EVENT_ATTESTATION_FAILURE),
	E("error", "Invalid argument: join token expired",
	    SPIRE_EVENT_ATTESTATION_FAILURE),
	/* x509pop's certificate check is how its attestation fails. */
	E("error", "Nodeattestor(x509pop): certificate verification failed: "
	    "x509: certificate signed by unknown authority",
	    SPIRE_EVENT_ATTESTATION_FAILURE),
	E("error", "Nodeattestor(x509pop): challenge response verification "
	    "failed: crypto/rsa: verification error",
	    SPIRE_EVENT_ATTESTATION_FAILURE),
	E("error", "Attestation data has already been used to attest an agent",
	    SPIRE_EVENT_ATTESTATION_FAILURE),
	E("error", "Nodeattestor(aws_iid): attestation data has already been "
	    "used to attest an agent", SPIRE_EVENT_ATTESTATION_FAILURE),
	E("error", "Invalid argument: nodeattestor(aws_iid): failed "
	    "verification of instance identity cryptographic signature: x509: "
	    "ECDSA verification failure", SPIRE_EVENT_ATTESTATION_FAILURE),
	E("error", "Failed to attest: agent is banned",
	    SPIRE_EVENT_ATTESTATION_FAILURE),
	EE("warning", "The node attestor produced an invalid agent ID; future "
	    "releases will enforce that agent IDs are within the reserved agent "
	    "namesepace for the node attestor", "\"spiffe://td/node/ab\" is not "
	    "in the agent namespace for attestor \"x509pop\"",
	    SPIRE_EVENT_ATTESTATION_FAILURE),
	/* attestation_failure: agent */
	EE("warning", "Failed to retrieve attestation result", "failed to "
	    "receive attestation response: rpc error: code = Internal desc = "
	    "nodeattestor(k8s_psat): unable to validate token",
	    SPIRE_EVENT_ATTESTATION_FAILURE),
	EE("warning", "Agent needs to re-attest; will attempt to re-attest",
	    "rpc error: code = PermissionDenied desc = agent "
	    "\"spiffe://td/spire/agent/k8s_psat/c/1\" is not attested",
	    SPIRE_EVENT_ATTESTATION_FAILURE),
	EE("error", "Agent crashed", "failed to receive attestation response: "
	    "rpc error: code = PermissionDenied desc = nodeattestor(k8s_psat): "
	    "token not authenticated", SPIRE_EVENT_ATTESTATION_FAILURE),
	EE("error", "Agent crashed", "failed to load configuration",
	    SPIRE_EVENT_NONE),

	/* unauthorized */
	EE("error", "Failed to authenticate caller", "rpc error: code = "
	    "PermissionDenied desc = authorization denied for method "
	    "/spire.api.server.entry.v1.Entry/BatchCreateEntry",
	    SPIRE_EVENT_UNAUTHORIZED),
	EE("error", "Authorization failure from OPA auth", "rpc error: code = "
	    "Internal desc = unable to evaluate policy",
	    SPIRE_EVENT_UNAUTHORIZED),
	E("error", "Agent SVID is expired", SPIRE_EVENT_UNAUTHORIZED),
	E("error", "Agent is not attested", SPIRE_EVENT_UNAUTHORIZED),
	E("error", "Agent is banned", SPIRE_EVENT_UNAUTHORIZED),

	/* certificate_violation */
	EE("error", "Invalid argument: failed to verify CSR signature",
	    "x509: ECDSA verification failure",
	    SPIRE_EVENT_CERTIFICATE_VIOLATION),
	EE("warning", "Failed to validate JWT", "token has expired",
	    SPIRE_EVENT_CERTIFICATE_VIOLATION),
	{ NULL, NULL, NULL, NULL, NULL, "2024/05/01 08:00:02 http: TLS "
	    "handshake error from 198.51.100.7:51812: remote error: tls: bad "
	    "certificate", SPIRE_EVENT_CERTIFICATE_VIOLATION },
	{ NULL, NULL, NULL, NULL, NULL, "2024/05/01 08:00:02 http: TLS "
	    "handshake error from 198.51.100.7:51812: EOF", SPIRE_EVENT_NONE },

	/* federation_failure */
	EE("error", "Error updating bundle", "failed to fetch federated bundle "
	    "from endpoint: failed to fetch bundle: Get \"https://spire.partner"
	    ".example.com:8443\": x509: certificate signed by unknown authority",
	    SPIRE_EVENT_FEDERATION_FAILURE),
	EE("error", "Failed to publish bundle", "failed to publish bundle: "
	    "operation error S3: PutObject, api error AccessDenied",
	    SPIRE_EVENT_FEDERATION_FAILURE),

	/* ca_rotation_problem */
	EE("error", "Unable to rotate JWT key", "rpc error: code = Unavailable",
	    SPIRE_EVENT_CA_ROTATION_PROBLEM),
	EE("error", "Unable to append X509 CA to journal", "datastore-sql: "
	    "driver: bad connection", SPIRE_EVENT_CA_ROTATION_PROBLEM),
	EE("error", "Failed to update to activated status on X509CA journal "
	    "entry", "datastore-sql: context deadline exceeded",
	    SPIRE_EVENT_CA_ROTATION_PROBLEM),
	EE("error", "Could not prune CA certificates", "datastore-sql: pq: "
	    "sorry, too many clients already", SPIRE_EVENT_CA_ROTATION_PROBLEM),
	EE("warning", "Failed to notify on bundle update", "notifier(k8sbundle): "
	    "unable to update ConfigMap", SPIRE_EVENT_CA_ROTATION_PROBLEM),
	{ "warning", "Health check failed", "subsystem is not live or ready",
	    NULL, "server.ca.rotator", NULL, SPIRE_EVENT_CA_ROTATION_PROBLEM },

	/* svid_rotation_failure */
	EE("error", "Could not rotate server SVID", "datastore-sql: context "
	    "deadline exceeded", SPIRE_EVENT_SVID_ROTATION_FAILURE),
	EE("error", "Could not rotate agent SVID", "rpc error: code = "
	    "Unavailable desc = connection closed before server preface "
	    "received", SPIRE_EVENT_SVID_ROTATION_FAILURE),

	/* datastore_error */
	EE("error", "Failed to fetch agent", "datastore-sql: dial tcp "
	    "10.0.4.12:5432: connect: connection refused",
	    SPIRE_EVENT_DATASTORE_ERROR),
	EE("error", "Failed during periodic pruning of expired nodes",
	    "datastore-sql: context deadline exceeded",
	    SPIRE_EVENT_DATASTORE_ERROR),
	EE("error", "Failed to prune events", "datastore-sql: driver: bad "
	    "connection", SPIRE_EVENT_DATASTORE_ERROR),
	{ "warning", "Health check failed", "subsystem is not live or ready",
	    NULL, "catalog.datastore", NULL, SPIRE_EVENT_DATASTORE_ERROR },
	{ "warning", "Health check failed", "subsystem is not live or ready",
	    NULL, "agent", NULL, SPIRE_EVENT_NONE },

	/* rate_limited */
	EE("error", "Rejecting request due to attest agent rate limiting",
	    "rpc error: code = ResourceExhausted desc = rate: Wait(n=1) would "
	    "exceed context deadline", SPIRE_EVENT_RATE_LIMITED),

	/* workload_attestation_failure */
	E("error", "No identity issued",
	    SPIRE_EVENT_WORKLOAD_ATTESTATION_FAILURE),
	EE("error", "workload attestor \"k8s\" failed", "workloadattestor(k8s): "
	    "no selectors found after max poll attempts",
	    SPIRE_EVENT_WORKLOAD_ATTESTATION_FAILURE),
	EE("error", "Timed out collecting selectors", "context deadline "
	    "exceeded", SPIRE_EVENT_WORKLOAD_ATTESTATION_FAILURE),
	EE("error", "Failed to attest the workload", "rpc error: code = "
	    "Unavailable desc = workload attestation failed",
	    SPIRE_EVENT_WORKLOAD_ATTESTATION_FAILURE),
	E("warning", "Container id not found; giving up",
	    SPIRE_EVENT_WORKLOAD_ATTESTATION_FAILURE),
	EE("warning", "Unable to get pod list; will retry after backoff",
	    "Get \"https://10.0.0.1:10250/pods\": remote error: tls: bad "
	    "certificate", SPIRE_EVENT_WORKLOAD_ATTESTATION_FAILURE),

	/* process_tracking_failure */
	E("warning", "New process detected: process starttime does not match "
	    "original caller", SPIRE_EVENT_PROCESS_TRACKING_FAILURE),
	EE("warning", "Caller exit suspected due to failed readdirent",
	    "no such file or directory", SPIRE_EVENT_PROCESS_TRACKING_FAILURE),

	/* not events */
	EE("error", "Failed to fetch authorized entries", "rpc error: code = "
	    "DeadlineExceeded desc = context deadline exceeded",
	    SPIRE_EVENT_NONE),
	E("warning", "Current umask 0022 is too permissive; setting umask 0027",
	    SPIRE_EVENT_NONE),
	E("info", "Agent attestation request completed", SPIRE_EVENT_NONE),
	E("info", "Node attestation was successful", SPIRE_EVENT_NONE),
	/* Events are WARN/ERROR: the same words at INFO are not one. */
	E("info", "Failed to authenticate caller", SPIRE_EVENT_NONE),
	E("debug", "Nodeattestor(k8s_psat): x", SPIRE_EVENT_NONE),
	/* Normalised levels and logrus' other spellings count the same. */
	E("ERROR", "No identity issued",
	    SPIRE_EVENT_WORKLOAD_ATTESTATION_FAILURE),
	E("WARN", "Failed to validate JWT", SPIRE_EVENT_CERTIFICATE_VIOLATION),
	E("fatal", "Agent is banned", SPIRE_EVENT_UNAUTHORIZED),
	E("", "Agent is banned", SPIRE_EVENT_NONE),
	/* A prefix of a message is not the message. */
	E("error", "Agent SVID is expired soon", SPIRE_EVENT_NONE),

	/* audit: type=audit at any level, errors included */
	{ "info", "API accessed", NULL, "audit", NULL, NULL,
	    SPIRE_EVENT_AUDIT },
	{ "error", "Failed to authenticate caller", NULL, "audit", NULL, NULL,
	    SPIRE_EVENT_AUDIT },
	{ "info", "API accessed", NULL, "Audit", NULL, NULL, SPIRE_EVENT_NONE },
	/* peertracker's type=linux is not an audit record */
	{ "warning", "New process detected: process uid does not match original "
	    "caller", NULL, "linux", NULL, NULL,
	    SPIRE_EVENT_PROCESS_TRACKING_FAILURE },
};

#define NROWS	(sizeof rows / sizeof rows[0])
#define FIELD_AND_LEN(s)	(s), sizeof(s) - 1

static void
set(struct spire_fields *f, enum spire_key k, const char *v)
{
	f->val[k] = v;
	f->len[k] = v != NULL ? strlen(v) : 0;
}

static void
fields_of(const struct row *r, struct spire_fields *f)
{
	memset(f, 0, sizeof *f);
	set(f, SPIRE_KEY_LEVEL, r->level);
	set(f, SPIRE_KEY_MSG, r->msg);
	set(f, SPIRE_KEY_ERROR, r->error);
	set(f, SPIRE_KEY_TYPE, r->type);
	set(f, SPIRE_KEY_CHECK, r->check);
	set(f, SPIRE_KEY_LOG, r->log);
}

START_TEST(test_row)
{
	const struct row	*r = &rows[_i];
	struct spire_fields	 f;
	enum spire_event	 got;

	fields_of(r, &f);
	got = spire_event_classify(&f);
	ck_assert_msg(got == r->want, "%s \"%s\": got '%s', want '%s'",
	    r->level ? r->level : "-", r->msg ? r->msg : r->log,
	    spire_event_name(got), spire_event_name(r->want));
}
END_TEST

/* Every event of the vocabulary is exercised above. */
START_TEST(test_every_event_has_rows)
{
	int	 ev;
	size_t	 i;

	for (ev = SPIRE_EVENT_NONE; ev < SPIRE_NEVENTS; ev++) {
		for (i = 0; i < NROWS; i++)
			if (rows[i].want == (enum spire_event)ev)
				break;
		ck_assert_msg(i < NROWS, "no row for '%s'",
		    spire_event_name(ev));
	}
}
END_TEST

/* The vocabulary is stable: dashboards and alerts name these. */
START_TEST(test_names)
{
	static const char *const want[SPIRE_NEVENTS] = {
		"", "attestation_failure", "workload_attestation_failure",
		"unauthorized", "certificate_violation", "federation_failure",
		"ca_rotation_problem", "svid_rotation_failure",
		"datastore_error", "rate_limited", "process_tracking_failure",
		"audit",
	};
	int	 ev;

	for (ev = 0; ev < SPIRE_NEVENTS; ev++)
		ck_assert_str_eq(spire_event_name(ev), want[ev]);
	ck_assert_str_eq(spire_event_name(SPIRE_NEVENTS), "");
	ck_assert_int_eq(spire_key_of("msg", 3), SPIRE_KEY_MSG);
	ck_assert_int_eq(spire_key_of("check", 5), SPIRE_KEY_CHECK);
	ck_assert_int_eq(spire_key_of("ms", 2), -1);
	ck_assert_int_eq(spire_key_of("msgs", 4), -1);
}
END_TEST

static struct spire_fields
audit_fields(const char *method, const char *status)
{
	struct spire_fields	 f;

	memset(&f, 0, sizeof f);
	set(&f, SPIRE_KEY_LEVEL, "info");
	set(&f, SPIRE_KEY_MSG, "API accessed");
	set(&f, SPIRE_KEY_TYPE, "audit");
	set(&f, SPIRE_KEY_METHOD, method);
	set(&f, SPIRE_KEY_STATUS, status);
	return f;
}

START_TEST(test_agent_sync)
{
	struct spire_fields	 f;

	f = audit_fields("SyncAuthorizedEntries", "success");
	ck_assert(spire_audit_is_agent_sync(&f));
	f = audit_fields("GetAuthorizedEntries", "success");
	ck_assert(spire_audit_is_agent_sync(&f));
	/* A failed sync is a signal, not noise. */
	f = audit_fields("SyncAuthorizedEntries", "error");
	ck_assert(!spire_audit_is_agent_sync(&f));
	/* Other calls, even routine ones, are kept. */
	f = audit_fields("BatchNewX509SVID", "success");
	ck_assert(!spire_audit_is_agent_sync(&f));
	f = audit_fields("ListEntries", "success");
	ck_assert(!spire_audit_is_agent_sync(&f));
	/* Only audit records. */
	f = audit_fields("SyncAuthorizedEntries", "success");
	set(&f, SPIRE_KEY_TYPE, "linux");
	ck_assert(!spire_audit_is_agent_sync(&f));
}
END_TEST

/* What found() found in s is want, or (want NULL) nothing is found. */
static void
expect_found(bool (*found)(const char *, size_t, const char **, size_t *),
    const char *s, const char *want)
{
	const char	*at = NULL;
	size_t		 len = 0;
	bool		 ok = found(s, strlen(s), &at, &len);

	if (want == NULL) {
		ck_assert_msg(!ok, "found one in %s", s);
		return;
	}
	ck_assert_msg(ok, "none in %s", s);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert(memcmp(at, want, len) == 0);
}

#define ATTESTOR(s, want)	expect_found(spire_attestor_in, (s), (want))
#define AGENT(s, want)		expect_found(spire_agent_id_in, (s), (want))

START_TEST(test_attestor_in)
{
	ATTESTOR("Nodeattestor(k8s_psat): token not authenticated", "k8s_psat");
	ATTESTOR("Invalid argument: nodeattestor(aws_iid): failed", "aws_iid");
	ATTESTOR("workload attestor \"k8s\" failed", "k8s");
	ATTESTOR("workloadattestor(unix): open /proc/1/status", "unix");
	ATTESTOR("rpc error: code = Internal desc = nodeattestor(tpm-devid): x",
	    "tpm-devid");
	ATTESTOR("nodeattestor(): empty", NULL);
	ATTESTOR("nodeattestor(k8s psat)", NULL);
	ATTESTOR("nodeattestor(k8s_psat", NULL);
	ATTESTOR("no attestor here", NULL);
}
END_TEST

START_TEST(test_agent_id_in)
{
	AGENT("rpc error: code = PermissionDenied desc = agent \"spiffe://td/"
	    "spire/agent/k8s_psat/c/9\" is not attested",
	    "spiffe://td/spire/agent/k8s_psat/c/9");
	AGENT("agent \"spiffe://td/spire/agent/x\" SVID is expired",
	    "spiffe://td/spire/agent/x");
	AGENT("agent \"spiffe://td/unterminated", NULL);
	AGENT("agent \"not a spiffe id\"", NULL);
	ck_assert(spire_is_agent_id(FIELD_AND_LEN("spiffe://td/spire/agent/"
	    "k8s_psat/c/n")));
	ck_assert(!spire_is_agent_id(FIELD_AND_LEN("spiffe://td/ns/a/sa/b")));
	ck_assert(!spire_is_agent_id(FIELD_AND_LEN("spiffe://td/spire/agent/")));
	ck_assert(!spire_is_agent_id(FIELD_AND_LEN("spiffe://td")));
	ck_assert(!spire_is_agent_id(FIELD_AND_LEN("https://td/spire/agent/x")));
}
END_TEST

START_TEST(test_agent_id_attestor)
{
	expect_found(spire_agent_id_attestor, "spiffe://td/spire/agent/"
	    "k8s_psat/prod/0f1e", "k8s_psat");
	expect_found(spire_agent_id_attestor, "spiffe://td/spire/agent/"
	    "join_token/8a2c", "join_token");
	expect_found(spire_agent_id_attestor, "spiffe://td/spire/agent/x509pop",
	    "x509pop");
	expect_found(spire_agent_id_attestor, "spiffe://td/node/ab", NULL);
	expect_found(spire_agent_id_attestor, "spiffe://td/spire/agent/a b/c",
	    NULL);
}
END_TEST

/* Lengths are honoured: nothing is read past them. */
START_TEST(test_bounded)
{
	static const char msg[] = "Agent is bannedXXXX";
	struct spire_fields	 f;

	memset(&f, 0, sizeof f);
	set(&f, SPIRE_KEY_LEVEL, "error");
	f.val[SPIRE_KEY_MSG] = msg;
	f.len[SPIRE_KEY_MSG] = 15;
	ck_assert_int_eq(spire_event_classify(&f), SPIRE_EVENT_UNAUTHORIZED);
	f.len[SPIRE_KEY_MSG] = 14;
	ck_assert_int_eq(spire_event_classify(&f), SPIRE_EVENT_NONE);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("spire_events");
	TCase	*tc = tcase_create("classify");

	tcase_add_loop_test(tc, test_row, 0, NROWS);
	tcase_add_test(tc, test_every_event_has_rows);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_agent_sync);
	tcase_add_test(tc, test_attestor_in);
	tcase_add_test(tc, test_agent_id_in);
	tcase_add_test(tc, test_agent_id_attestor);
	tcase_add_test(tc, test_bounded);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
