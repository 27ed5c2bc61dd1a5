/*
 * fuzz-approval: approval records and requests. The bytes go through
 * pf_approval_parse; a record that parses is judged as pf-approve check
 * would, against a policy of one approver whose key is made at start, and
 * is then signed with that key and verified again through the canonical
 * encoding. Bytes that are a JSON object are also judged as a request
 * (its signature, its requester) and their "review" member digested, as
 * pf-approve list does with a request.json it finds in the store.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_approve.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_review.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pf_sig_key *pub;	/* verifies */
static struct pf_sig_key *priv; /* its private half, signs */
static struct pf_approver one;
static struct pf_approvers ap;

/* A P-256 key pair made once, read back the way pf-approve reads keys. */
static void
init(void)
{
	static char path[] = "/tmp/fuzz-approval-key.XXXXXX";
	EVP_PKEY *k = EVP_EC_gen("P-256");
	BIO *b = BIO_new(BIO_s_mem());
	struct pf_err e;
	char *pem;
	long n;
	FILE *f;
	int fd;

	if (k == NULL || b == NULL || !PEM_write_bio_PUBKEY(b, k))
		abort();
	n = BIO_get_mem_data(b, &pem);
	if ((pub = pf_sig_key_from_pem(pem, (size_t)n, "fuzz", &e)) == NULL)
		abort();
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL ||
	    !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL))
		abort();
	fclose(f);
	priv = pf_sig_key_load_private(path, PF_MAX_KEY_PEM, &e);
	unlink(path);
	if (priv == NULL)
		abort();
	BIO_free(b);
	EVP_PKEY_free(k);
	one.id = "alice";
	one.key = pub;
	one.can_approve = 1;
	ap.v = &one;
	ap.n = 1;
	ap.rule = "two-person";
	ap.required = 2;
}

/* The bytes as a request.json: judged, and its review digested. */
static void
as_request(const uint8_t *data, size_t size)
{
	struct pf_approval_ctx ctx;
	char msg[256], sha[PF_SHA256_HEX];
	struct pf_err e;
	json_t *req, *covers;

	if ((req = pf_json_parse((const char *)data, size, "fuzz", &e)) == NULL)
		return;
	memset(&ctx, 0, sizeof(ctx));
	ctx.request = req;
	ctx.requester = pf_json_str(req, "requester", "alice");
	ctx.review_sha256 = pf_json_str(req, "review_sha256", "");
	(void)pf_approval_request_judge(&ap, &ctx, msg, sizeof(msg));
	if (pf_review_digest(json_object_get(req, "review"), sha, &e) == 0 &&
	    (covers = pf_review_covers_new(json_object_get(req, "review"), sha,
		 1, 1)) != NULL)
		json_decref(covers);
	json_decref(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_approval_file file;
	struct pf_approval_ctx ctx;
	struct pf_err e;
	enum pf_sev sev;
	json_t *doc, *signed_rec;
	char msg[256];

	if (pub == NULL)
		init();
	as_request(data, size);
	memset(&file, 0, sizeof(file));
	file.name = (char *)"record.fuzz.json";
	if (pf_approval_parse((const char *)data, size, PF_MAX_APPROVAL_REASON,
		&file.rec, &e) == -1)
		return 0;
	file.ok = 1;
	memset(&ctx, 0, sizeof(ctx));
	ctx.model_id = file.rec.model_id;
	ctx.commit = file.rec.commit;
	ctx.review_sha256 = file.rec.review_sha256;
	ctx.required = 2;
	ctx.requester = "erin";
	ctx.now = "2026-01-01T00:00:00Z";
	ctx.files = &file;
	ctx.nfiles = 1;
	file.seq = size % 3; /* logged or not */
	(void)pf_approval_judge(&ap, &ctx, &file, msg, sizeof(msg), &sev);
	if ((doc = json_object()) != NULL &&
	    json_object_set_new(doc, "findings", json_array()) == 0)
		(void)pf_approval_check(&ap, &ctx, doc, &e);
	json_decref(doc);
	/* Signed by us, the same members must verify through the encoding. */
	if ((signed_rec = pf_approval_sign_new(&file.rec, priv, &e)) != NULL) {
		struct pf_approval again;
		char *s = json_dumps(signed_rec, 0);

		if (s == NULL ||
		    pf_approval_parse(s, strlen(s), PF_MAX_APPROVAL_REASON,
			&again, &e) == -1)
			abort();
		file.rec.key_id = again.key_id;
		pf_approval_free(&again);
		free(s);
		json_decref(signed_rec);
	}
	pf_approval_free(&file.rec);
	return 0;
}
