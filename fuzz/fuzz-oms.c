/*
 * fuzz-oms: OpenSSF model signing bundles, as pf-verify reads them. The
 * bytes go through pf_oms_parse_bundle and pf_oms_parse_statement; the
 * signature is checked against the upstream test vector's key over the
 * DSSE PAE; a statement that parses is rebuilt with pf_oms_statement and
 * pf_oms_bundle and must read back to the same names and digests.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_eckey.h"
#include "pf_oms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char vector_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEsu6rZGBTjxtvRWPMixT+3HyndV0J0Ybt\n"
    "aHZUcO4DEK+OJHO/4e32bb/fbJKSpRgcBsIpKLcVijUomyFOERbd7u+BTPSUjGZD\n"
    "Qq6J7lTvp/EAXQGOKxW9RP0MGX3qAkvi\n"
    "-----END PUBLIC KEY-----\n";

static struct pf_eckey *key;

static void
init(void)
{
	char path[] = "/tmp/fuzz-oms-key.XXXXXX";
	struct pf_err e;
	FILE *f;
	int fd;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL ||
	    fputs(vector_pub, f) == EOF)
		abort();
	fclose(f);
	key = pf_eckey_load_public(path, &e);
	unlink(path);
	if (key == NULL)
		abort();
}

/* Rebuilds the statement and bundle; they must read back the same. */
static void
round_trip(const struct pf_oms *b)
{
	static const unsigned char sig[] = { 0x30, 0x06, 0x02, 0x01, 0x01, 0x02,
		0x01, 0x01 };
	struct pf_oms again;
	struct pf_err e;
	size_t len, blen, i;
	char *st, *bundle;

	st = pf_oms_statement(b->subject, b->res, b->nres, b->ignore,
	    b->nignore, &len, &e);
	if (st == NULL)
		return;
	bundle = pf_oms_bundle(pf_eckey_hint(key), st, len, sig, sizeof(sig),
	    &blen, &e);
	free(st);
	if (bundle == NULL)
		return;
	if (pf_oms_parse_bundle(bundle, blen, &again, &e) == -1 ||
	    pf_oms_parse_statement(&again, &e) == -1 || again.nres != b->nres ||
	    again.nignore != b->nignore || strcmp(again.subject, b->subject) != 0)
		abort();
	for (i = 0; i < b->nres; i++)
		if (strcmp(again.res[i].name, b->res[i].name) != 0 ||
		    memcmp(again.res[i].digest, b->res[i].digest, 32) != 0)
			abort();
	pf_oms_free(&again);
	free(bundle);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char root[32], *pae;
	struct pf_oms b;
	struct pf_err e;
	size_t n;

	if (key == NULL)
		init();
	if (pf_oms_parse_bundle(data, size, &b, &e) == 0) {
		if (pf_dsse_pae(b.dsse.type, b.dsse.payload, b.dsse.payload_len,
			&pae, &n, &e) == 0) {
			(void)pf_eckey_verify(key, pae, n, b.dsse.sig,
			    b.dsse.sig_len);
			free(pae);
		}
		if (pf_oms_parse_statement(&b, &e) == 0) {
			pf_oms_root(b.res, b.nres, root);
			(void)pf_oms_ignored("a/b", b.ignore, b.nignore);
			round_trip(&b);
		}
	}
	pf_oms_free(&b);
	return 0;
}
