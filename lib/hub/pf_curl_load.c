/*
 * pf_curl_load: libcurl opened on first use. Debian's libcurl4 brings some
 * thirty libraries of its own (nghttp2, libidn2, librtmp and GnuTLS,
 * libssh2, Kerberos, LDAP, ...): linked, they cost pf-fetch and
 * pf-preflight 5400 relocations and 3 ms at every start, even a
 * --version or a refused plan (bench/README-startup.md). The functions
 * below stand in for the libcurl calls lib/hub makes: pf_hub_new loads
 * libcurl (pf_curl_load) before it starts anything, each stand-in then
 * calls through, and the Makefile leaves -lcurl off every link line, so a
 * libcurl call not listed here fails to link instead of loading libcurl
 * at start again. Before the first call, the library opened is checked:
 * new enough for every option lib/hub sets (curl_easy_setopt's result is
 * not checked, and an old libcurl would ignore CURLOPT_PROTOCOLS_STR, the
 * https-only rule), and doing TLS with the OpenSSL this process uses.
 */
#define CURL_DISABLE_TYPECHECK /* the stand-ins below take any option */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pf_diag.h"
#include "pf_dl.h"
#include "pf_hub_priv.h"
#include "pf_banned.h"

/* The soname of libcurl 7 and 8 alike. */
#if LIBCURL_VERSION_MAJOR < 7 || LIBCURL_VERSION_MAJOR > 8
#error "pf_curl_load.c opens libcurl.so.4: check the soname"
#endif
#define LIBCURL "libcurl.so.4"

/*
 * The oldest libcurl with every option lib/hub sets: 7.85.0 added
 * CURLOPT_PROTOCOLS_STR. Older ones answer it CURLE_UNKNOWN_OPTION and
 * would then follow any protocol.
 */
#define PF_CURL_MIN	 0x075500
#define PF_CURL_MIN_TEXT "7.85.0"
#if LIBCURL_VERSION_NUM < PF_CURL_MIN
#error "libcurl's headers are older than " PF_CURL_MIN_TEXT
#endif

/* Every function called through: return type, name, parameters, arguments, result on failure. */
#define PF_CURL_FUNCS(X) \
	X(curl_version_info_data *, curl_version_info, (CURLversion v), (v), NULL) \
	X(CURLsslset, curl_global_sslset, \
	    (curl_sslbackend id, const char *name, const curl_ssl_backend ***avail), \
	    (id, name, avail), CURLSSLSET_NO_BACKENDS) \
	X(CURLcode, curl_global_init, (long flags), (flags), CURLE_FAILED_INIT) \
	X(CURL *, curl_easy_init, (void), (), NULL) \
	X(CURLcode, curl_easy_perform, (CURL * c), (c), CURLE_FAILED_INIT) \
	X(const char *, curl_easy_strerror, (CURLcode cc), (cc), \
	    "libcurl could not be loaded") \
	X(struct curl_slist *, curl_slist_append, \
	    (struct curl_slist * l, const char *s), (l, s), NULL) \
	X(CURLU *, curl_url, (void), (), NULL) \
	X(CURLUcode, curl_url_get, \
	    (CURLU * u, CURLUPart what, char **part, unsigned int flags), \
	    (u, what, part, flags), CURLUE_OUT_OF_MEMORY) \
	X(CURLUcode, curl_url_set, \
	    (CURLU * u, CURLUPart what, const char *part, unsigned int flags), \
	    (u, what, part, flags), CURLUE_OUT_OF_MEMORY)

/* Those that return nothing: given only what the library made. */
#define PF_CURL_PROCS(X) \
	X(void, curl_global_cleanup, (void), (), 0) \
	X(void, curl_easy_cleanup, (CURL * c), (c), 0) \
	X(void, curl_easy_reset, (CURL * c), (c), 0) \
	X(void, curl_slist_free_all, (struct curl_slist * l), (l), 0) \
	X(void, curl_free, (void *p), (p), 0) \
	X(void, curl_url_cleanup, (CURLU * u), (u), 0)

/* And the two variadic ones, which pass on their one argument. */
#define PF_CURL_VARIADIC(X) \
	X(CURLcode, curl_easy_setopt, (CURL * c, CURLoption opt, ...), (), 0) \
	X(CURLcode, curl_easy_getinfo, (CURL * c, CURLINFO info, ...), (), 0)

static struct {
	PF_CURL_FUNCS(PF_DL_POINTER)
	PF_CURL_PROCS(PF_DL_POINTER)
	PF_CURL_VARIADIC(PF_DL_POINTER)
} fn;

/* clang-format off */
static const struct pf_dl_sym syms[] = {
	PF_CURL_FUNCS(PF_DL_SYM)
	PF_CURL_PROCS(PF_DL_SYM)
	PF_CURL_VARIADIC(PF_DL_SYM)
};
/* clang-format on */

/*
 * The library must do TLS through OpenSSL, the one this process links:
 * CURLOPT_CAPATH and CURLOPT_SSLVERSION's floor are set for it, and
 * pf_tool_init's start of OpenSSL without its configuration file holds
 * for libcurl's TLS only when both share one libssl. In a libcurl built
 * with several TLS libraries, curl_global_sslset picks OpenSSL.
 */
static int
check(struct pf_err *e)
{
	const curl_version_info_data *v;
	unsigned major = (unsigned)OPENSSL_version_major();
	char want[32];
	int sslset;

	sslset = fn.curl_global_sslset(CURLSSLBACKEND_OPENSSL, NULL, NULL);
	v = fn.curl_version_info(CURLVERSION_NOW);
	if (v == NULL || v->version == NULL)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: curl_version_info gave no version", LIBCURL);
	if (v->version_num < PF_CURL_MIN)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: version %s is older than " PF_CURL_MIN_TEXT
		    ", the oldest with every setting used here",
		    LIBCURL, pf_quote(v->version));
	(void)snprintf(want, sizeof(want), "OpenSSL/%u.", major);
	if (sslset != CURLSSLSET_OK || v->ssl_version == NULL ||
	    strncmp(v->ssl_version, want, strlen(want)) != 0)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: version %s does TLS with %s, not OpenSSL %u, "
		    "which the TLS settings here rely on",
		    LIBCURL, pf_quote(v->version),
		    v->ssl_version != NULL ? pf_quote(v->ssl_version) : "nothing",
		    major);
	return 0;
}

static struct pf_dl lib = PF_DL_INITIALIZER(LIBCURL, syms, check);

int
pf_curl_load(struct pf_err *e)
{
	return pf_dl_load(&lib, e);
}

static int
ready(void)
{
	return pf_dl_load(&lib, NULL) == 0;
}

PF_CURL_FUNCS(PF_DL_DEFINE)
PF_CURL_PROCS(PF_DL_DEFINE_VOID)

/*
 * The option's number says the type of its argument (curl.h, CURLOPTTYPE_*),
 * which is read here as that type and passed on.
 */
CURLcode
curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	CURLcode cc;
	va_list ap;

	if (!ready())
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		cc = fn.curl_easy_setopt(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		cc = fn.curl_easy_setopt(c, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		cc = fn.curl_easy_setopt(c, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		cc = fn.curl_easy_setopt(c, opt, va_arg(ap, curl_off_t));
	else
		cc = fn.curl_easy_setopt(c, opt, va_arg(ap, void *));
	va_end(ap);
	return cc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode
curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	va_list ap;
	void *answer;

	va_start(ap, info);
	answer = va_arg(ap, void *);
	va_end(ap);
	return ready() ? fn.curl_easy_getinfo(c, info, answer) : CURLE_FAILED_INIT;
}
