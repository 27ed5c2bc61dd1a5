/*
 * pf_launch_egress: network "hub" on the engine. pf-launch makes a per-run
 * --internal network and starts tinyproxy on it, attached also to an
 * egress-capable network; the workload gets the proxy's address as a
 * literal. tinyproxy tunnels CONNECT to port 443 of a host its filter
 * allows and refuses everything else (plain http included: the filter
 * matches "host:443", which only a CONNECT line has). The proxy container
 * is as locked down as the workload's, and carries a deadline label so a
 * killed pf-launch's leftovers are reaped by the next run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_json.h"
#include "pf_launch_av_priv.h"
#include "pf_launch_egress.h"
#include "pf_launch_watch.h"
#include "pf_policy.h"
#include "pf_redact.h"
#include "pf_banned.h"

#define ENGINE_TIMEOUT_S 60
#define MAX_PATTERNS	 64
#define MAX_PATTERN	 256
#define START_POLLS	 100 /* 100 x 100 ms for the proxy to listen */
/* After the workload's own deadline: the engine calls around the run. */
#define LIFETIME_SLACK_S 600

/*
 * Hosts no allowlist entry may match: a pattern matching these matches
 * nearly anything (".*"), or the cloud metadata address.
 */
static const char *const too_broad[] = { "pf-egress-probe.invalid",
	"169.254.169.254", "localhost", NULL };

static int
check_pattern(const char *p, size_t i, struct pf_err *e)
{
	size_t n = strlen(p), k;
	regex_t re;

	if (n < 3 || n > MAX_PATTERN || p[0] != '^' || p[n - 1] != '$')
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: launch.egress.allow[%zu] is not an anchored "
		    "pattern ^...$ of at most %d bytes",
		    i, MAX_PATTERN);
	/* tinyproxy's filter file: one pattern a line, '#' starts a comment. */
	for (k = 0; k < n; k++)
		if (p[k] <= ' ' || p[k] > '~' || p[k] == '#')
			return pf_err_set(e, PF_EXIT_USAGE,
			    "policy: launch.egress.allow[%zu] holds a space, "
			    "'#' or a byte that is not printable ASCII",
			    i);
	if (regcomp(&re, p, REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: launch.egress.allow[%zu] '%s' is not an "
		    "extended regular expression",
		    i, p);
	for (k = 0; too_broad[k] != NULL; k++)
		if (regexec(&re, too_broad[k], 0, NULL, 0) == 0) {
			regfree(&re);
			return pf_err_set(e, PF_EXIT_USAGE,
			    "policy: launch.egress.allow[%zu] '%s' matches "
			    "'%s': too broad for an allowlist",
			    i, p, too_broad[k]);
		}
	regfree(&re);
	return 0;
}

/* Kubernetes: the proxy Service's ClusterIP and the proxy pods' namespace. */
static int
k8s_conf(const struct pf_launch_egress *g, struct pf_err *e)
{
	unsigned char bin[4];
	size_t n = strlen(g->k8s_ns);

	if (inet_pton(AF_INET, g->k8s_ip, bin) != 1)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: launch.egress.kubernetes.proxy_ip '%s' is not "
		    "the IPv4 ClusterIP of the egress proxy's Service",
		    g->k8s_ip);
	if (n == 0 || n > 63 ||
	    strspn(g->k8s_ns, "abcdefghijklmnopqrstuvwxyz0123456789-") != n ||
	    g->k8s_ns[0] == '-' || g->k8s_ns[n - 1] == '-')
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: launch.egress.kubernetes.namespace '%s' is not "
		    "a namespace name",
		    g->k8s_ns);
	return 0;
}

int
pf_launch_egress_conf(struct pf_launch_egress *g, const struct pf_launch *l,
    const json_t *policy, const char *out_dir, int k8s, struct pf_err *e)
{
	const json_t *eg = pf_policy_get(policy, "launch.egress"), *v;
	const json_t *kube = json_object_get(eg, "kubernetes");
	size_t i;

	memset(g, 0, sizeof(*g));
	g->engine = pf_launch_engine_name(l->engine);
	g->run_id = l->run_id;
	g->allow = json_object_get(eg, "allow");
	g->image = pf_json_str(eg, "proxy_image", "");
	g->uplink = pf_json_str(eg, "network", "bridge");
	g->k8s_ip = pf_json_str(kube, "proxy_ip", "");
	g->k8s_ns = pf_json_str(kube, "namespace", "pathfinder-egress");
	if (!json_is_array(g->allow) || json_array_size(g->allow) == 0 ||
	    json_array_size(g->allow) > MAX_PATTERNS)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: launch.egress.allow must list 1 to %d host "
		    "patterns for network 'hub'",
		    MAX_PATTERNS);
	json_array_foreach(g->allow, i, v)
		if (!json_is_string(v) || pf_json_has_nul(v) ||
		    check_pattern(json_string_value(v), i, e) == -1)
			return json_is_string(v) && !pf_json_has_nul(v) ?
			    -1 :
			    pf_err_set(e, PF_EXIT_USAGE,
				"policy: launch.egress.allow[%zu] is not a "
				"string",
				i);
	if (k8s)
		return k8s_conf(g, e);
	if (!pf_launch_image_pinned(g->image))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: launch.egress.proxy_image '%s' is not pinned "
		    "by digest (name@sha256:<64 hex> or sha256:<64 hex>); "
		    "make egress-image builds one",
		    g->image);
	/* An engine network name: never a flag, never another mode. */
	if (strlen(g->uplink) > 64 ||
	    strspn(g->uplink,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789_.-") != strlen(g->uplink) ||
	    g->uplink[0] == '-' || strcmp(g->uplink, "host") == 0 ||
	    strcmp(g->uplink, "none") == 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: launch.egress.network '%s' is not a network "
		    "name the proxy may join",
		    g->uplink);
	(void)snprintf(g->network, sizeof(g->network), "pf-egress-%s", l->run_id);
	(void)snprintf(g->proxy, sizeof(g->proxy), "pf-proxy-%s", l->run_id);
	g->lifetime_s = l->timeout_s + l->grace_s + LIFETIME_SLACK_S;
	g->expires = (long long)time(NULL) + (long long)g->lifetime_s;
	if (asprintf(&g->conf_dir, "%s.egress", out_dir) == -1) {
		g->conf_dir = NULL;
		return pf_err_nomem(e);
	}
	return 0;
}

char *
pf_launch_egress_tinyproxy(const struct pf_launch_egress *g)
{
	char *s;

	(void)g;
	/*
	 * No LogFile: the log goes to stdout, which the engine keeps and
	 * pf-launch reads after the run. LogLevel Info is the level of
	 * "Refused CONNECT method on port". No Allow lines: whatever can
	 * reach the proxy is on a network that has egress already.
	 */
	if (asprintf(&s,
		"# pf-launch: the egress proxy of network 'hub'\n"
		"Port %d\n"
		"Timeout 600\n"
		"MaxClients 64\n"
		"LogLevel Info\n"
		"DisableViaHeader Yes\n"
		"FilterDefaultDeny Yes\n"
		"FilterURLs Yes\n"
		"FilterType ere\n"
		"Filter \"" PF_EGRESS_CONF_DST "/filter\"\n"
		"ConnectPort 443\n",
		PF_EGRESS_PORT) == -1)
		return NULL;
	return s;
}

char *
pf_launch_egress_filter(const struct pf_launch_egress *g)
{
	struct pf_buf b;
	const json_t *v;
	const char *p;
	size_t i;

	pf_buf_init(&b, 0);
	/*
	 * With FilterURLs a CONNECT is matched as "host:443", a plain
	 * request as "http://host/...": the port in the pattern keeps out
	 * everything but a tunnel to 443.
	 */
	if (pf_buf_append(&b, "# one host pattern a line, as host:443\n", 39))
		goto nomem;
	json_array_foreach(g->allow, i, v) {
		p = json_string_value(v);
		if (pf_buf_appendf(&b, "^(%.*s):443$\n", (int)strlen(p) - 2,
			p + 1) == -1)
			goto nomem;
	}
	if (pf_buf_append(&b, "", 1) == -1)
		goto nomem;
	return b.data; /* transferred */
nomem:
	pf_buf_free(&b);
	return NULL;
}

static void
labels(struct pf_launch_av *a, const struct pf_launch_egress *g, const char *role)
{
	pf_launch_av_add(a, "--label=org.pathfinder.run=%s", g->run_id);
	pf_launch_av_add(a, "--label=org.pathfinder.egress=%s", role);
	pf_launch_av_add(a, "--label=org.pathfinder.expires=%lld", g->expires);
}

char **
pf_launch_egress_net_argv(const struct pf_launch_egress *g)
{
	struct pf_launch_av a = pf_launch_av_new(16);

	if (a.v == NULL)
		return NULL;
	pf_launch_av_add(&a, "%s", g->engine);
	pf_launch_av_add(&a, "network");
	pf_launch_av_add(&a, "create");
	pf_launch_av_add(&a, "--internal");
	labels(&a, g, "network");
	pf_launch_av_add(&a, "%s", g->network);
	return pf_launch_av_done(&a);
}

char **
pf_launch_egress_proxy_argv(const struct pf_launch_egress *g, const char *seccomp)
{
	struct pf_launch_av a = pf_launch_av_new(48);
	int podman = strcmp(g->engine, "podman") == 0;

	if (a.v == NULL)
		return NULL;
	pf_launch_av_add(&a, "%s", g->engine);
	pf_launch_av_add(&a, "run");
	pf_launch_av_add(&a, "--detach");
	pf_launch_av_add(&a, "--name=%s", g->proxy);
	labels(&a, g, "proxy");
	pf_launch_av_add(&a, "--restart=no");
	pf_launch_av_add(&a, "--user=65534:65534");
	pf_launch_av_add(&a, "--cap-drop=ALL");
	pf_launch_av_add(&a, "--security-opt=no-new-privileges");
	pf_launch_av_add(&a, "--security-opt=seccomp=%s", seccomp);
	pf_launch_av_add(&a, "--read-only");
	if (podman)
		pf_launch_av_add(&a, "--read-only-tmpfs=false");
	pf_launch_av_add(&a, "--network=%s", g->network);
	pf_launch_av_add(&a, "--memory=128m");
	pf_launch_av_add(&a, "--memory-swap=128m");
	pf_launch_av_add(&a, "--cpus=1");
	pf_launch_av_add(&a, "--pids-limit=128");
	pf_launch_av_add(&a, "--ulimit=core=0");
	pf_launch_av_add(&a, "--log-driver=json-file");
	pf_launch_av_add(&a, "--log-opt=max-size=8m");
	if (!podman)
		pf_launch_av_add(&a, "--log-opt=max-file=1");
	pf_launch_av_add(&a,
	    "--mount=type=bind,src=%s,dst=" PF_EGRESS_CONF_DST ",readonly",
	    g->conf_dir);
	/* The proxy ends by itself at the run's deadline (the reaper's too). */
	pf_launch_av_add(&a, "--entrypoint=/usr/bin/timeout");
	pf_launch_av_add(&a, "%s", g->image);
	pf_launch_av_add(&a, "%" PRIu64, g->lifetime_s);
	pf_launch_av_add(&a, "/usr/bin/tinyproxy");
	pf_launch_av_add(&a, "-d");
	pf_launch_av_add(&a, "-c");
	pf_launch_av_add(&a, PF_EGRESS_CONF_DST "/tinyproxy.conf");
	return pf_launch_av_done(&a);
}

static char **
connect_argv(const struct pf_launch_egress *g)
{
	struct pf_launch_av a = pf_launch_av_new(8);

	if (a.v == NULL)
		return NULL;
	pf_launch_av_add(&a, "%s", g->engine);
	pf_launch_av_add(&a, "network");
	pf_launch_av_add(&a, "connect");
	pf_launch_av_add(&a, "%s", g->uplink);
	pf_launch_av_add(&a, "%s", g->proxy);
	return pf_launch_av_done(&a);
}

json_t *
pf_launch_egress_json(const struct pf_launch_egress *g, const char *seccomp)
{
	char **net = pf_launch_egress_net_argv(g);
	char **px = pf_launch_egress_proxy_argv(g, seccomp);
	char **cn = g->uplink[0] ? connect_argv(g) : NULL;
	char *conf = pf_launch_egress_tinyproxy(g);
	char *filt = pf_launch_egress_filter(g);
	json_t *j = NULL;

	if (net != NULL && px != NULL && conf != NULL && filt != NULL &&
	    (g->uplink[0] == '\0' || cn != NULL))
		j = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:{s:s, s:s}}",
		    "network", g->network, "proxy", g->proxy, "config_dir",
		    g->conf_dir, "network_argv", pf_launch_argv_json(net),
		    "proxy_argv", pf_launch_argv_json(px), "connect_argv",
		    cn ? pf_launch_argv_json(cn) : json_null(), "files",
		    "tinyproxy.conf", conf, "filter", filt);
	pf_launch_argv_free(net);
	pf_launch_argv_free(px);
	pf_launch_argv_free(cn);
	free(conf);
	free(filt);
	return j;
}

/* Runs argv (an engine command); its status, stdout in out if given. */
static int
run(char **argv, struct pf_buf *out, struct pf_err *e)
{
	int rc;

	if (argv == NULL)
		return pf_err_nomem(e);
	rc = pf_launch_engine((const char *const *)argv, out, ENGINE_TIMEOUT_S, e);
	pf_launch_argv_free(argv);
	return rc;
}

static char **
argv_of(const char *a0, const char *a1, const char *a2, const char *a3,
    const char *a4, const char *a5)
{
	const char *in[] = { a0, a1, a2, a3, a4, a5, NULL };
	char **v = calloc(7, sizeof(char *));
	size_t i;

	for (i = 0; v != NULL && in[i] != NULL; i++)
		if ((v[i] = strdup(in[i])) == NULL) {
			pf_launch_argv_free(v);
			return NULL;
		}
	return v;
}

static int
write_files(const struct pf_launch_egress *g, struct pf_err *e)
{
	char *conf = pf_launch_egress_tinyproxy(g);
	char *filt = pf_launch_egress_filter(g);
	char path[4096];
	int rc = -1;

	if (conf == NULL || filt == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	/* Readable by the proxy's uid; nothing in them is secret. */
	if (mkdir(g->conf_dir, 0755) == -1 || chmod(g->conf_dir, 0755) == -1) {
		pf_err_set(e, PF_EXIT_FAILURE, "mkdir '%s': %s", g->conf_dir,
		    strerror(errno));
		goto out;
	}
	if (snprintf(path, sizeof(path), "%s/tinyproxy.conf", g->conf_dir) >=
		(int)sizeof(path) ||
	    pf_file_write_atomic(path, conf, strlen(conf), 0644, e) == -1 ||
	    snprintf(path, sizeof(path), "%s/filter", g->conf_dir) >=
		(int)sizeof(path) ||
	    pf_file_write_atomic(path, filt, strlen(filt), 0644, e) == -1)
		goto out;
	rc = 0;
out:
	free(conf);
	free(filt);
	return rc;
}

/* The proxy's address on the run's network, as "ip:port". */
static int
proxy_addr(struct pf_launch_egress *g, struct pf_err *e)
{
	struct pf_buf b;
	json_t *nets;
	const char *ip;
	unsigned char bin[16];
	int rc = -1;

	pf_buf_init(&b, 1 << 20);
	if (run(argv_of(g->engine, "inspect", "--format",
		    "{{json .NetworkSettings.Networks}}", g->proxy, NULL),
		&b, e) != 0 ||
	    (nets = json_loadb(b.data ? b.data : "", b.len, 0, NULL)) == NULL) {
		pf_buf_free(&b);
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: could not inspect the egress proxy's networks", g->proxy);
	}
	ip = json_string_value(
	    json_object_get(json_object_get(nets, g->network), "IPAddress"));
	if (ip != NULL && inet_pton(AF_INET, ip, bin) == 1 &&
	    snprintf(g->addr, sizeof(g->addr), "%s:%d", ip, PF_EGRESS_PORT) <
		(int)sizeof(g->addr))
		rc = 0;
	else
		pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: the egress proxy has no IPv4 address on '%s'",
		    g->proxy, g->network);
	json_decref(nets);
	pf_buf_free(&b);
	return rc;
}

/* Until tinyproxy says it accepts connections, or the proxy is gone. */
static int
wait_listening(const struct pf_launch_egress *g, struct pf_err *e)
{
	struct pf_buf b;
	int i, rc;

	for (i = 0; i < START_POLLS; i++) {
		pf_buf_init(&b, PF_MAX_EGRESS_LOG);
		rc = run(argv_of(g->engine, "logs", g->proxy, NULL, NULL, NULL),
		    &b, e);
		if (rc == 0 && b.data != NULL &&
		    memmem(b.data, b.len, "Accepting connections", 21) != NULL) {
			pf_buf_free(&b);
			return 0;
		}
		pf_buf_free(&b);
		if (rc != 0)
			break;
		(void)nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	return pf_err_set(e, PF_EXIT_FAILURE,
	    "%s: the egress proxy did not start listening ('%s logs %s')",
	    g->proxy, g->engine, g->proxy);
}

int
pf_launch_egress_up(struct pf_launch_egress *g, const char *seccomp,
    struct pf_err *e)
{
	int rc;

	if (write_files(g, e) == -1)
		return -1;
	g->net_made = 1;
	if ((rc = run(pf_launch_egress_net_argv(g), NULL, e)) != 0)
		return rc == -1 ? -1 :
				  pf_err_set(e, PF_EXIT_FAILURE,
				      "'%s network create %s' exited %d",
				      g->engine, g->network, rc);
	/* Set first: a failed run may still have created the container. */
	g->proxy_made = 1;
	if ((rc = run(pf_launch_egress_proxy_argv(g, seccomp), NULL, e)) != 0)
		return rc == -1 ? -1 :
				  pf_err_set(e, PF_EXIT_FAILURE,
				      "%s: the egress proxy did not start "
				      "(image %s; '%s run' exited %d)",
				      g->proxy, g->image, g->engine, rc);
	if (g->uplink[0] != '\0' && (rc = run(connect_argv(g), NULL, e)) != 0)
		return rc == -1 ? -1 :
				  pf_err_set(e, PF_EXIT_FAILURE,
				      "%s: could not join the network '%s' "
				      "(launch.egress.network)",
				      g->proxy, g->uplink);
	if (proxy_addr(g, e) == -1 || wait_listening(g, e) == -1)
		return -1;
	return 0;
}

int
pf_launch_egress_collect(const struct pf_launch_egress *g,
    struct pf_egress_denied *d)
{
	struct pf_err e;
	struct pf_buf b;
	int rc;

	memset(d, 0, sizeof(*d));
	if (!g->proxy_made)
		return -1;
	pf_buf_init(&b, PF_MAX_EGRESS_LOG);
	rc = run(argv_of(g->engine, "logs", g->proxy, NULL, NULL, NULL), &b, &e);
	if (rc == 0)
		pf_launch_egress_log_parse(b.data ? b.data : "", b.len, d);
	pf_buf_free(&b);
	return rc == 0 ? 0 : -1;
}

int
pf_launch_egress_down(struct pf_launch_egress *g)
{
	struct pf_err e;
	int rc = 0;

	if (g->proxy_made &&
	    run(argv_of(g->engine, "rm", "-f", g->proxy, NULL, NULL), NULL, &e) != 0)
		rc = -1;
	g->proxy_made = 0;
	if (g->net_made &&
	    run(argv_of(g->engine, "network", "rm", g->network, NULL, NULL),
		NULL, &e) != 0)
		rc = -1;
	g->net_made = 0;
	return rc;
}

/* Removes each listed object ("ID DEADLINE" a line) past its deadline. */
static void
reap_list(const char *engine, char *list, int network)
{
	long long now = (long long)time(NULL), dl;
	char *line, *next, *sp, *end;
	struct pf_err e;

	for (line = list; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		errno = 0;
		dl = strtoll(sp, &end, 10);
		if (errno != 0 || end == sp || *end != '\0' || dl >= now ||
		    strspn(line, "0123456789abcdef") != strlen(line))
			continue;
		/* A network still in use is refused by the engine: kept. */
		(void)run(network ?
			argv_of(engine, "network", "rm", line, NULL, NULL) :
			argv_of(engine, "rm", "-f", line, NULL, NULL),
		    NULL, &e);
	}
}

void
pf_launch_egress_reap(const char *engine)
{
	static const char fmt[] = "{{.ID}} {{.Label \"org.pathfinder.expires\"}}";
	const char *ps[] = { engine, "ps", "-a", "--filter",
		"label=org.pathfinder.egress", "--format", fmt, NULL };
	const char *ls[] = { engine, "network", "ls", "--filter",
		"label=org.pathfinder.egress", "--format", fmt, NULL };
	struct pf_err e;
	struct pf_buf b;

	/* Containers first: a network is removed once nothing is on it. */
	pf_buf_init(&b, 1 << 20);
	if (pf_launch_engine(ps, &b, ENGINE_TIMEOUT_S, &e) == 0 && b.data != NULL)
		reap_list(engine, b.data, 0);
	pf_buf_reset(&b);
	if (pf_launch_engine(ls, &b, ENGINE_TIMEOUT_S, &e) == 0 && b.data != NULL)
		reap_list(engine, b.data, 1);
	pf_buf_free(&b);
}

/* A refused destination as recorded: through the rules and the token. */
static json_t *
redacted(const char *h, const struct pf_secrets *rules, const char *secret,
    size_t nsecret)
{
	struct pf_err e;
	size_t n;
	char *s;
	json_t *j;

	if (nsecret > 0 && memmem(h, strlen(h), secret, nsecret) != NULL)
		return json_string("[REDACTED:token-file]");
	if (rules == NULL)
		return json_string(h);
	if ((s = pf_redact_string(rules, h, strlen(h), &n, &e)) == NULL)
		return NULL;
	j = json_stringn(s, n);
	free(s);
	return j;
}

int
pf_launch_egress_result(json_t *doc, const struct pf_launch_egress *g,
    const struct pf_egress_denied *d, int unverified,
    const struct pf_secrets *rules, const char *secret, size_t nsecret)
{
	json_t *sec = json_object_get(doc, "security");
	json_t *warn = json_object_get(doc, "warnings"), *hosts, *h;
	char msg[160];
	size_t i;

	if ((hosts = json_array()) == NULL ||
	    json_object_set_new(doc, "network",
		json_pack("{s:s, s:O, s:s, s:s}", "mode", "hub", "allowlist", g->allow,
		    "proxy_image", g->image, "proxy_address", g->addr)) == -1)
		goto nomem;
	for (i = 0; d != NULL && i < d->nhosts; i++)
		if ((h = redacted(d->hosts[i], rules, secret, nsecret)) == NULL ||
		    json_array_append_new(hosts, h) == -1)
			goto nomem;
	if (json_object_set_new(sec, "network_violations",
		d ? json_integer((json_int_t)d->count) : json_null()) == -1 ||
	    json_object_set_new(sec, "network_denied", hosts) == -1 ||
	    json_object_set_new(sec, "network_denied_truncated",
		json_boolean(d != NULL && d->truncated)) == -1)
		return -1;
	if (d == NULL)
		json_array_append_new(warn,
		    json_string("the egress proxy's log could not be read; "
				"refused connections are not counted"));
	else if (d->count > 0) {
		(void)snprintf(msg, sizeof(msg),
		    "the egress proxy refused %llu connection%s the "
		    "workload attempted",
		    (unsigned long long)d->count, d->count == 1 ? "" : "s");
		json_array_append_new(warn, json_string(msg));
	}
	if (unverified)
		json_array_append_new(warn,
		    json_string("the engine's firewall was not verified "
				"(launch.egress.allow_unverified_firewall): --internal may "
				"not have isolated the workload"));
	return 0;
nomem:
	json_decref(hosts);
	return -1;
}

/* The workload's environment on Kubernetes: the proxy, not offline. */
static int
k8s_env(json_t *c, const struct pf_launch_egress *g)
{
	json_t *env = json_object_get(c, "env"), *out = json_array(), *v;
	json_t *add = NULL;
	char url[80];
	const char *n;
	size_t i;

	(void)snprintf(url, sizeof(url), "http://%s:%d", g->k8s_ip, PF_EGRESS_PORT);
	json_array_foreach(env, i, v) {
		n = json_string_value(json_object_get(v, "name"));
		if (n != NULL && strcmp(n, "HF_HUB_OFFLINE") != 0 &&
		    strcmp(n, "TRANSFORMERS_OFFLINE") != 0)
			json_array_append(out, v);
	}
	if (out == NULL ||
	    json_array_extend(out,
		(add = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s},"
				 " {s:s, s:s}]",
		     "name", "HTTPS_PROXY", "value", url, "name", "https_proxy",
		     "value", url, "name", "NO_PROXY", "value", "", "name",
		     "no_proxy", "value", ""))) == -1) {
		json_decref(add);
		json_decref(out);
		return -1;
	}
	json_decref(add);
	return json_object_set_new(c, "env", out);
}

int
pf_launch_egress_k8s(json_t *list, const struct pf_launch_egress *g)
{
	json_t *items = json_object_get(list, "items");
	json_t *job = json_object_get(json_array_get(items, 0), "spec");
	json_t *pod = json_object_get(json_object_get(job, "template"), "spec");
	json_t *np = json_object_get(json_array_get(items, 1), "spec");
	json_t *c = json_array_get(json_object_get(pod, "containers"), 0);

	if (c == NULL || np == NULL || k8s_env(c, g) == -1)
		return -1;
	/* No resolver: the proxy is an address, and DNS could carry data out. */
	if (json_object_set_new(pod, "dnsPolicy", json_string("None")) == -1 ||
	    json_object_set_new(pod, "dnsConfig",
		json_pack("{s:[s]}", "nameservers", "127.0.0.1")) == -1)
		return -1;
	return json_object_set_new(np, "egress",
	    json_pack("[{s:[{s:{s:{s:s}}, s:{s:{s:s}}}], s:[{s:s, s:i}]}]",
		"to", "podSelector", "matchLabels", "app.kubernetes.io/name",
		PF_EGRESS_K8S_APP, "namespaceSelector", "matchLabels",
		"kubernetes.io/metadata.name", g->k8s_ns, "ports", "protocol",
		"TCP", "port", PF_EGRESS_PORT));
}
