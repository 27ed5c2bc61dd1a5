/*
 * pf_pickle_check: reporting. What a global, a call, a BUILD or a
 * mutation of a value means against the allow-list, the findings that
 * follow, and joblib's numpy arrays, whose sizes come from their dtype.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pf_int.h"
#include "pf_limits.h"
#include "pf_pickle.h"
#include "pf_pickle_priv.h"
#include "pf_pkl_allow.h"
#include "pf_pkl_embed.h"
#include "pf_pkl_text.h"
#include "pf_banned.h"

/* -------------------------------------------------------------- findings */

const char *const pkl_opnames[256] = {
	['('] = "MARK",
	['.'] = "STOP",
	['0'] = "POP",
	['1'] = "POP_MARK",
	['2'] = "DUP",
	['F'] = "FLOAT",
	['I'] = "INT",
	['J'] = "BININT",
	['K'] = "BININT1",
	['L'] = "LONG",
	['M'] = "BININT2",
	['N'] = "NONE",
	['P'] = "PERSID",
	['Q'] = "BINPERSID",
	['R'] = "REDUCE",
	['S'] = "STRING",
	['T'] = "BINSTRING",
	['U'] = "SHORT_BINSTRING",
	['V'] = "UNICODE",
	['X'] = "BINUNICODE",
	['a'] = "APPEND",
	['b'] = "BUILD",
	['c'] = "GLOBAL",
	['d'] = "DICT",
	['}'] = "EMPTY_DICT",
	['e'] = "APPENDS",
	['g'] = "GET",
	['h'] = "BINGET",
	['i'] = "INST",
	['j'] = "LONG_BINGET",
	['l'] = "LIST",
	[']'] = "EMPTY_LIST",
	['o'] = "OBJ",
	['p'] = "PUT",
	['q'] = "BINPUT",
	['r'] = "LONG_BINPUT",
	['s'] = "SETITEM",
	['t'] = "TUPLE",
	[')'] = "EMPTY_TUPLE",
	['u'] = "SETITEMS",
	['G'] = "BINFLOAT",
	[0x80] = "PROTO",
	[0x81] = "NEWOBJ",
	[0x82] = "EXT1",
	[0x83] = "EXT2",
	[0x84] = "EXT4",
	[0x85] = "TUPLE1",
	[0x86] = "TUPLE2",
	[0x87] = "TUPLE3",
	[0x88] = "NEWTRUE",
	[0x89] = "NEWFALSE",
	[0x8a] = "LONG1",
	[0x8b] = "LONG4",
	['B'] = "BINBYTES",
	['C'] = "SHORT_BINBYTES",
	[0x8c] = "SHORT_BINUNICODE",
	[0x8d] = "BINUNICODE8",
	[0x8e] = "BINBYTES8",
	[0x8f] = "EMPTY_SET",
	[0x90] = "ADDITEMS",
	[0x91] = "FROZENSET",
	[0x92] = "NEWOBJ_EX",
	[0x93] = "STACK_GLOBAL",
	[0x94] = "MEMOIZE",
	[0x95] = "FRAME",
	[0x96] = "BYTEARRAY8",
	[0x97] = "NEXT_BUFFER",
	[0x98] = "READONLY_BUFFER",
};

const char *
pf_pkl_opname(unsigned char op)
{
	return pkl_opnames[op];
}

static int
emit(struct pf_pkl *m, const char *rule, enum pf_sev sev, const char *global)
{
	struct pf_pkl_event ev;

	m->st->findings++;
	if (m->h.finding == NULL)
		return 0;
	ev.rule = rule;
	ev.sev = sev;
	ev.offset = m->op_off;
	ev.opcode = pkl_opnames[m->op];
	ev.global = global;
	ev.message = m->msg;
	return m->h.finding(m->h.ctx, &ev, m->e);
}

int
pkl_finding(struct pf_pkl *m, const char *rule, enum pf_sev sev,
    const char *global, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->msg, sizeof(m->msg), fmt, ap);
	va_end(ap);
	return emit(m, rule, sev, global);
}

void
pkl_note_(struct pf_pkl *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->dis_note, sizeof(m->dis_note), fmt, ap);
	va_end(ap);
}

/*
 * The stream is malformed: CPython raises here, after running every
 * opcode before this one. Returns R_BAD (or -1).
 */

int
pkl_bad(struct pf_pkl *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->st->error, sizeof(m->st->error), fmt, ap);
	va_end(ap);
	m->st->status = PF_PKL_MALFORMED;
	note(m, "error: %s", m->st->error);
	if (pkl_finding(m, "pickle.stream.malformed", PF_SEV_HIGH, NULL,
		"the pickle fails at offset %llu%s%s%s: %s; Python has run every "
		"opcode before it",
		(unsigned long long)m->op_off, pkl_opnames[m->op] ? " (" : "",
		pkl_opnames[m->op] ? pkl_opnames[m->op] : "",
		pkl_opnames[m->op] ? ")" : "", m->st->error) == -1)
		return -1;
	return R_BAD;
}

int
pkl_limit_hit(struct pf_pkl *m, const char *what, uint64_t cap)
{
	snprintf(m->st->error, sizeof(m->st->error), "over %s (%llu)", what,
	    (unsigned long long)cap);
	m->st->status = PF_PKL_LIMIT;
	note(m, "limit: %s", m->st->error);
	if (pkl_finding(m, "pickle.limit.exceeded", PF_SEV_HIGH, NULL,
		"the pickle goes over %s (%llu) at offset %llu; the rest is not "
		"scanned",
		what, (unsigned long long)cap, (unsigned long long)m->op_off) == -1)
		return -1;
	return R_LIMIT;
}

/* "'os.system'", "the result of 'x'", "a str": for messages. */
void
pkl_describe(const struct pf_pkl *m, pf_pkl_ref r, char *buf, size_t cap)
{
	static const char *const kinds[] = { "None", "a bool", "an int",
		"a float", "a str", "bytes", "a py2 str", "a bytearray",
		"a tuple", "a list", "a dict", "a set", "a frozenset",
		"a global", "an object", "a persistent object", "a value" };
	const struct val *x;

	if (is_small(r)) {
		snprintf(buf, cap, "an int");
		return;
	}
	x = V(m, r);
	if (x->kind == PF_PKL_GLOBAL)
		snprintf(buf, cap, "'%s'", pkl_name_str(m, &m->names[x->a]));
	else if (x->kind == PF_PKL_OBJ && !is_small(x->a) &&
	    kind_of(m, x->a) == PF_PKL_GLOBAL)
		snprintf(buf, cap, "the result of '%s'",
		    pkl_name_str(m, &m->names[V(m, x->a)->a]));
	else if (x->kind == PF_PKL_OBJ)
		snprintf(buf, cap, "the result of a call");
	else
		snprintf(buf, cap, "%s", kinds[x->kind]);
}

static int
global_entry_of(const struct pf_pkl *m, pf_pkl_ref r)
{
	if (is_small(r) || r == PF_PKL_NOREF || V(m, r)->kind != PF_PKL_GLOBAL)
		return -1;
	return m->names[V(m, r)->a].entry;
}

const struct pf_pkl_entry *
pkl_entry_of_global(const struct pf_pkl *m, pf_pkl_ref r)
{
	return pf_pkl_allow_entry(m->allow, global_entry_of(m, r));
}

/* The allow-list type of an object: what a call or NEWOBJ returned. */
const struct pf_pkl_entry *
pkl_type_of(const struct pf_pkl *m, pf_pkl_ref r)
{
	if (is_small(r) || r == PF_PKL_NOREF || V(m, r)->kind != PF_PKL_OBJ ||
	    V(m, r)->c == 0)
		return NULL;
	return pf_pkl_allow_entry(m->allow, (int)V(m, r)->c - 1);
}

static enum pf_sev
sev_for(const struct pf_pkl *m, const char *name, enum pf_sev dflt, const char **why)
{
	enum pf_sev s;

	*why = NULL;
	if (name != NULL && pf_pkl_allow_denied(m->allow, name, &s, why))
		return s;
	return dflt;
}

/* ----------------------------------------------------------- the checks */

/* Does value r satisfy argument token t (lit for PF_PKL_T_LIT)? */
static int
tok_ok(const struct pf_pkl *m, pf_pkl_ref r, unsigned t, const char *lit)
{
	const struct pf_pkl_entry *en;
	const char *s;
	size_t n, i;
	int k = kind_of(m, r);

	switch (t) {
	case PF_PKL_T_ANY: return 1;
	case PF_PKL_T_STR: return k == PF_PKL_STR || k == PF_PKL_STR8;
	case PF_PKL_T_NAME:
		if ((s = pkl_str_of(m, r, &n)) == NULL || n == 0 ||
		    (n >= 2 && s[0] == '_' && s[1] == '_'))
			return 0;
		for (i = 0; i < n; i++)
			if (!(isalpha((unsigned char)s[i]) || s[i] == '_' ||
				(i > 0 && isdigit((unsigned char)s[i]))))
				return 0;
		return 1;
	case PF_PKL_T_INT: return k == PF_PKL_INT;
	case PF_PKL_T_BOOL: return k == PF_PKL_BOOL;
	case PF_PKL_T_NONE: return k == PF_PKL_NONE;
	case PF_PKL_T_BYTES: return k == PF_PKL_BYTES || k == PF_PKL_STR8;
	case PF_PKL_T_TUPLE: return k == PF_PKL_TUPLE;
	case PF_PKL_T_LIST: return k == PF_PKL_LIST;
	case PF_PKL_T_DICT: return k == PF_PKL_DICT;
	case PF_PKL_T_LIT:
		return (s = pkl_str_of(m, r, &n)) != NULL && strlen(lit) == n &&
		    memcmp(s, lit, n) == 0;
	default: break;
	}
	if ((en = pkl_entry_of_global(m, r)) == NULL)
		return 0;
	switch (t) {
	case PF_PKL_T_CLASS:
		return (en->caps & (PF_PKL_CAP_NEW | PF_PKL_CAP_CALL)) != 0;
	case PF_PKL_T_TYPE: return (en->caps & PF_PKL_CAP_BUILD) != 0;
	case PF_PKL_T_CALLABLE:
		/*
		 * It is called with arguments no shape checks: only what
		 * may be called with any (not getattr, whose shape guards it).
		 */
		return (en->caps & PF_PKL_CAP_CALL) != 0 && en->nshapes == 0;
	case PF_PKL_T_FACTORY:
		/* called later with no argument (defaultdict's factory) */
		if (!(en->caps & PF_PKL_CAP_CALL))
			return 0;
		for (i = 0; i < en->nshapes; i++)
			if (en->shapes[i].n == 0)
				return 1;
		return en->nshapes == 0;
	case PF_PKL_T_ENUM: return (en->caps & PF_PKL_CAP_ENUM) != 0;
	case PF_PKL_T_STORAGE: return (en->caps & PF_PKL_CAP_STORAGE) != 0;
	}
	return 0;
}

/* Do the arguments (a tuple) fit one of the entry's shapes? */
static int
shape_ok(const struct pf_pkl *m, const struct pf_pkl_entry *en, pf_pkl_ref args)
{
	pf_pkl_ref items[PF_PKL_SHAPE_MAX];
	size_t s, i, n;

	if (en->nshapes == 0)
		return 1;
	if (kind_of(m, args) != PF_PKL_TUPLE)
		return 0;
	n = pkl_nchild(m, args);
	for (s = 0; s < en->nshapes; s++) {
		const struct pf_pkl_shape *sh = &en->shapes[s];

		if (n < sh->n || (n > sh->n && !sh->rest))
			continue;
		for (i = 0; i < sh->n; i++) {
			items[i] = pkl_child(m, args, i);
			if (!tok_ok(m, items[i], sh->tok[i], sh->lit[i]))
				break;
		}
		if (i == sh->n)
			return 1;
	}
	return 0;
}

/* A short "(a, 'b', ...)" for an argument tuple, into buf. */
void
pf_pkl_repr(const struct pf_pkl *m, pf_pkl_ref r, char *buf, size_t cap)
{
	size_t i, n, o = 0;
	const char *s;
	size_t sl;
	int64_t x;

	if (cap == 0)
		return;
	buf[0] = '\0';
	if (r == PF_PKL_NOREF)
		return;
	if (kind_of(m, r) != PF_PKL_TUPLE) {
		if ((s = pkl_str_of(m, r, &sl)) != NULL)
			snprintf(buf, cap, "'%.*s'", (int)(sl > 60 ? 60 : sl), s);
		else if (pf_pkl_int(m, r, &x) == 0)
			snprintf(buf, cap, "%lld", (long long)x);
		else
			pkl_describe(m, r, buf, cap);
		return;
	}
	n = pkl_nchild(m, r);
	o += (size_t)snprintf(buf + o, cap - o, "(");
	for (i = 0; i < n && i < 6 && o < cap; i++) {
		char one[96];
		pf_pkl_ref c = pkl_child(m, r, i);

		if ((s = pkl_str_of(m, c, &sl)) != NULL)
			snprintf(one, sizeof(one), "'%.*s'",
			    (int)(sl > 40 ? 40 : sl), s);
		else if (pf_pkl_int(m, c, &x) == 0)
			snprintf(one, sizeof(one), "%lld", (long long)x);
		else
			pkl_describe(m, c, one, sizeof(one));
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", one);
	}
	if (o < cap)
		snprintf(buf + o, cap - o, "%s)", i < n ? ", ..." : "");
	/* Untrusted bytes: keep the message printable. */
	for (o = 0; buf[o] != '\0'; o++)
		if ((unsigned char)buf[o] < 0x20 || buf[o] == 0x7f)
			buf[o] = '?';
}

/* Pushes the value a call or instantiation returns. */
static int
push_result(struct pf_pkl *m, pf_pkl_ref callable, pf_pkl_ref args, int taint)
{
	const struct pf_pkl_entry *en = pkl_entry_of_global(m, callable);
	pf_pkl_ref r;
	int rc, type = -1;

	if ((rc = pkl_new_val(m, PF_PKL_OBJ, &r)) != 0)
		return rc;
	if (en != NULL && !taint) {
		int idx = global_entry_of(m, callable);

		if (en->returns == PF_PKL_RET_SELF)
			type = idx;
		else if (en->returns == PF_PKL_RET_ARG0)
			type = global_entry_of(m, pkl_child(m, args, 0));
		else if (en->returns >= 0)
			type = en->returns;
	}
	V(m, r)->a = callable;
	V(m, r)->b = args;
	V(m, r)->c = type >= 0 ? (uint32_t)type + 1 : 0;
	if (taint)
		V(m, r)->flags |= VF_TAINT;
	return push(m, r);
}

/*
 * A call: REDUCE, INST, OBJ (need "call") or NEWOBJ (need "new"). Reports
 * what the allow-list does not permit and pushes the result.
 */
int
pkl_do_call(struct pf_pkl *m, pf_pkl_ref callable, pf_pkl_ref args, unsigned need)
{
	const struct pf_pkl_entry *en = pkl_entry_of_global(m, callable);
	const char *why, *gname = NULL;
	char what[160], argtext[200];
	enum pf_sev sev;
	int rc;

	if (kind_of(m, callable) == PF_PKL_GLOBAL)
		gname = pkl_name_str(m, &m->names[V(m, callable)->a]);
	if (tainted(m, callable))
		return push_result(m, callable, args, 1);
	/* INST and OBJ without arguments may do either: cls.__new__ or cls() */
	if (en != NULL &&
	    (((need & PF_PKL_CAP_NEW) && (en->caps & PF_PKL_CAP_NEW)) ||
		((need & PF_PKL_CAP_CALL) && (en->caps & PF_PKL_CAP_CALL) &&
		    shape_ok(m, en, args)))) {
		note(m, "%s %s", need == PF_PKL_CAP_NEW ? "new" : "call", en->full);
		return push_result(m, callable, args, 0);
	}
	pkl_describe(m, callable, what, sizeof(what));
	sev = sev_for(m, gname, PF_SEV_HIGH, &why);
	if (en != NULL && (en->caps & need) != 0) {
		struct name *nm = &m->names[V(m, callable)->a];

		pf_pkl_repr(m, args, argtext, sizeof(argtext));
		note(m, "NOT ALLOWED: call %s%s", en->full, argtext);
		rc = pkl_finding(m, "pickle.call.not-allowed", sev, en->full,
		    "calls %s with arguments %s the allow-list does not permit",
		    what, argtext);
		nm->reported |= REP_CALL;
	} else if (gname != NULL) {
		struct name *nm = &m->names[V(m, callable)->a];

		note(m, "NOT ALLOWED: %s %s",
		    need == PF_PKL_CAP_NEW ? "new" : "call", gname);
		if (nm->reported & REP_CALL)
			return push_result(m, callable, args, 1);
		nm->reported |= REP_CALL;
		rc = pkl_finding(m, "pickle.call.not-allowed", sev, gname,
		    "%s %s, which the allow-list permits only as a reference",
		    need == PF_PKL_CAP_NEW ? "instantiates" : "calls", what);
	} else {
		note(m, "NOT ALLOWED: call %s", what);
		rc = pkl_finding(m, "pickle.call.not-allowed", PF_SEV_HIGH, NULL,
		    "calls %s, which is not a global the allow-list permits",
		    what);
	}
	if (rc == -1)
		return -1;
	return push_result(m, callable, args, 1);
}

/* Is r a value Python knows is not callable/a class (so calling raises)? */
int
pkl_plain_value(const struct pf_pkl *m, pf_pkl_ref r)
{
	int k = kind_of(m, r);

	return k != PF_PKL_GLOBAL && k != PF_PKL_OBJ && k != PF_PKL_PERSID &&
	    k != PF_PKL_OPAQUE;
}

/*
 * APPEND(S), SETITEM(S), ADDITEMS on target: literal containers are
 * Python's own (no code runs); objects run their append, extend,
 * __setitem__ or add methods, so their type must allow it.
 */
int
pkl_mutate(struct pf_pkl *m, pf_pkl_ref target, unsigned need, const char *method)
{
	const struct pf_pkl_entry *en;
	char what[160];
	int k = kind_of(m, target);

	if (k != PF_PKL_OBJ && k != PF_PKL_GLOBAL && k != PF_PKL_PERSID &&
	    k != PF_PKL_OPAQUE)
		return 0;
	if (tainted(m, target))
		return 0;
	en = pkl_type_of(m, target);
	if (en != NULL && (en->caps & need))
		return 0;
	pkl_describe(m, target, what, sizeof(what));
	note(m, "NOT ALLOWED: %s on %s", method, what);
	if (k == PF_PKL_GLOBAL) {
		struct name *nm = &m->names[V(m, target)->a];

		if (nm->reported & REP_MUTATE)
			return 0;
		nm->reported |= REP_MUTATE;
	}
	V(m, target)->flags |= VF_TAINT;
	return pkl_finding(m, "pickle.mutate.not-allowed",
	    k == PF_PKL_GLOBAL ? PF_SEV_CRITICAL : PF_SEV_HIGH,
	    k == PF_PKL_GLOBAL ? pkl_name_str(m, &m->names[V(m, target)->a]) : NULL,
	    "calls %s of %s, which the allow-list does not permit", method, what);
}

/* find_class: the fix_imports tables of Lib/_compat_pickle.py (proto < 3). */
static const char *const import_map[][2] = {
	{ "__builtin__", "builtins" },
	{ "copy_reg", "copyreg" },
	{ "Queue", "queue" },
	{ "SocketServer", "socketserver" },
	{ "ConfigParser", "configparser" },
	{ "repr", "reprlib" },
	{ "tkFileDialog", "tkinter.filedialog" },
	{ "tkSimpleDialog", "tkinter.simpledialog" },
	{ "tkColorChooser", "tkinter.colorchooser" },
	{ "tkCommonDialog", "tkinter.commondialog" },
	{ "Dialog", "tkinter.dialog" },
	{ "Tkdnd", "tkinter.dnd" },
	{ "tkFont", "tkinter.font" },
	{ "tkMessageBox", "tkinter.messagebox" },
	{ "ScrolledText", "tkinter.scrolledtext" },
	{ "Tkconstants", "tkinter.constants" },
	{ "Tix", "tkinter.tix" },
	{ "ttk", "tkinter.ttk" },
	{ "Tkinter", "tkinter" },
	{ "markupbase", "_markupbase" },
	{ "_winreg", "winreg" },
	{ "thread", "_thread" },
	{ "dummy_thread", "_dummy_thread" },
	{ "dbhash", "dbm.bsd" },
	{ "dumbdbm", "dbm.dumb" },
	{ "dbm", "dbm.ndbm" },
	{ "gdbm", "dbm.gnu" },
	{ "xmlrpclib", "xmlrpc.client" },
	{ "SimpleXMLRPCServer", "xmlrpc.server" },
	{ "httplib", "http.client" },
	{ "htmlentitydefs", "html.entities" },
	{ "HTMLParser", "html.parser" },
	{ "Cookie", "http.cookies" },
	{ "cookielib", "http.cookiejar" },
	{ "BaseHTTPServer", "http.server" },
	{ "test.test_support", "test.support" },
	{ "commands", "subprocess" },
	{ "urlparse", "urllib.parse" },
	{ "robotparser", "urllib.robotparser" },
	{ "urllib2", "urllib.request" },
	{ "anydbm", "dbm" },
	{ "_abcoll", "collections.abc" },
	{ "cPickle", "pickle" },
	{ "_elementtree", "xml.etree.ElementTree" },
	{ "FileDialog", "tkinter.filedialog" },
	{ "SimpleDialog", "tkinter.simpledialog" },
	{ "DocXMLRPCServer", "xmlrpc.server" },
	{ "SimpleHTTPServer", "http.server" },
	{ "CGIHTTPServer", "http.server" },
	{ "UserDict", "collections" },
	{ "UserList", "collections" },
	{ "UserString", "collections" },
	{ "whichdb", "dbm" },
	{ "StringIO", "io" },
	{ "cStringIO", "io" },
};

static const char *const name_map[][4] = {
	{ "__builtin__", "xrange", "builtins", "range" },
	{ "__builtin__", "reduce", "functools", "reduce" },
	{ "__builtin__", "intern", "sys", "intern" },
	{ "__builtin__", "unichr", "builtins", "chr" },
	{ "__builtin__", "unicode", "builtins", "str" },
	{ "__builtin__", "long", "builtins", "int" },
	{ "__builtin__", "basestring", "builtins", "str" },
	{ "itertools", "izip", "builtins", "zip" },
	{ "itertools", "imap", "builtins", "map" },
	{ "itertools", "ifilter", "builtins", "filter" },
	{ "itertools", "ifilterfalse", "itertools", "filterfalse" },
	{ "itertools", "izip_longest", "itertools", "zip_longest" },
	{ "UserDict", "IterableUserDict", "collections", "UserDict" },
	{ "UserDict", "UserDict", "collections", "UserDict" },
	{ "UserList", "UserList", "collections", "UserList" },
	{ "UserString", "UserString", "collections", "UserString" },
	{ "whichdb", "whichdb", "dbm", "whichdb" },
	{ "_socket", "fromfd", "socket", "fromfd" },
	{ "socket", "_socketobject", "socket", "SocketType" },
	{ "_multiprocessing", "Connection", "multiprocessing.connection",
	    "Connection" },
	{ "multiprocessing.process", "Process", "multiprocessing.context",
	    "Process" },
	{ "multiprocessing.forking", "Popen", "multiprocessing.popen_fork", "Popen" },
	{ "urllib", "ContentTooShortError", "urllib.error", "ContentTooShortError" },
	{ "urllib", "getproxies", "urllib.request", "getproxies" },
	{ "urllib", "pathname2url", "urllib.request", "pathname2url" },
	{ "urllib", "quote_plus", "urllib.parse", "quote_plus" },
	{ "urllib", "quote", "urllib.parse", "quote" },
	{ "urllib", "unquote_plus", "urllib.parse", "unquote_plus" },
	{ "urllib", "unquote", "urllib.parse", "unquote" },
	{ "urllib", "url2pathname", "urllib.request", "url2pathname" },
	{ "urllib", "urlcleanup", "urllib.request", "urlcleanup" },
	{ "urllib", "urlencode", "urllib.parse", "urlencode" },
	{ "urllib", "urlopen", "urllib.request", "urlopen" },
	{ "urllib", "urlretrieve", "urllib.request", "urlretrieve" },
	{ "urllib2", "HTTPError", "urllib.error", "HTTPError" },
	{ "urllib2", "URLError", "urllib.error", "URLError" },
	{ "exceptions", "StandardError", "builtins", "Exception" },
	{ "multiprocessing", "AuthenticationError", "multiprocessing.context",
	    "AuthenticationError" },
	{ "multiprocessing", "BufferTooShort", "multiprocessing.context",
	    "BufferTooShort" },
	{ "multiprocessing", "ProcessError", "multiprocessing.context",
	    "ProcessError" },
	{ "multiprocessing", "TimeoutError", "multiprocessing.context",
	    "TimeoutError" },
};

static int
eq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

/* Does the module name look importable ("a.b_c"), for sniffing? */
static int
importable(const char *s, size_t n)
{
	size_t i;
	int start = 1;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (start)
				return 0;
			start = 1;
			continue;
		}
		if (!(isalpha(c) || c == '_' || (!start && isdigit(c)) || c >= 0x80))
			return 0;
		start = 0;
	}
	return !start;
}

/*
 * find_class(module, name): maps Python 2 names (proto < 3), interns the
 * dotted name, reports it when the allow-list does not list it, and
 * pushes the global.
 */
int
pkl_find_class(struct pf_pkl *m, const char *mod, size_t modlen, const char *nm,
    size_t nmlen, int cut)
{
	struct name *n;
	const char *why;
	enum pf_sev sev;
	pf_pkl_ref r;
	size_t i;
	int rc;

	if (m->proto < 3) {
		for (i = 0; i < sizeof(name_map) / sizeof(name_map[0]); i++)
			if (eq(mod, modlen, name_map[i][0]) &&
			    eq(nm, nmlen, name_map[i][1])) {
				mod = name_map[i][2];
				modlen = strlen(mod);
				nm = name_map[i][3];
				nmlen = strlen(nm);
				break;
			}
		if (i == sizeof(name_map) / sizeof(name_map[0]))
			for (i = 0;
			     i < sizeof(import_map) / sizeof(import_map[0]); i++)
				if (eq(mod, modlen, import_map[i][0])) {
					mod = import_map[i][1];
					modlen = strlen(mod);
					break;
				}
	}
	if (modlen > PF_MAX_NAME || nmlen > PF_MAX_NAME) {
		/* No allow-listed name is this long: report a prefix. */
		modlen = modlen > 128 ? 128 : modlen;
		nmlen = nmlen > 128 ? 128 : nmlen;
		cut = 1;
	}
	if ((n = pkl_intern_name(m, mod, modlen, nm, nmlen)) == NULL)
		return pf_err_nomem(m->e);
	if (cut)
		n->entry = -1;
	if (importable(mod, modlen))
		m->st->imports++;
	if ((rc = pkl_new_val(m, PF_PKL_GLOBAL, &r)) != 0)
		return rc;
	V(m, r)->a = (uint32_t)(n - m->names);
	if (m->h.global != NULL &&
	    m->h.global(m->h.ctx, pkl_name_str(m, n), n->entry >= 0, m->e) == -1)
		return -1;
	if (n->entry >= 0) {
		note(m, "-> %s", pkl_name_str(m, n));
		return push(m, r);
	}
	V(m, r)->flags |= VF_TAINT;
	note(m, "-> %s NOT ALLOWED", pkl_name_str(m, n));
	if (!(n->reported & REP_GLOBAL)) {
		n->reported |= REP_GLOBAL;
		sev = sev_for(m, pkl_name_str(m, n), PF_SEV_HIGH, &why);
		if (pkl_finding(m, "pickle.global.not-allowed", sev,
			pkl_name_str(m, n), "imports '%s', %s", pkl_name_str(m, n),
			why ? why : "which the allow-list does not permit") == -1)
			return -1;
	}
	return push(m, r);
}

/* ---------------------------------------------------------------- joblib */

/* dtype kind and size from numpy's dtype constructor string ('<f8', 'U10'). */
static int
dtype_size(const char *s, size_t n, uint64_t *size, int *object)
{
	uint64_t d = 0;
	size_t i = 0;
	char k;

	if (i < n && strchr("<>|=", s[i]))
		i++;
	if (i >= n)
		return -1;
	k = s[i++];
	if (i == n && k == '?') {
		*size = 1;
		return 0;
	}
	if (pf_parse_u64_mem(s + i, n - i, 0, UINT32_MAX, &d) == -1)
		return -1;
	*object = k == 'O';
	switch (k) {
	case 'b':
	case 'i':
	case 'u':
	case 'f':
	case 'c':
	case 'S':
	case 'V':
	case 'O':
	case 'M':
	case 'm':
	case 'a': *size = d; return 0;
	case 'U': *size = d * 4; return 0;
	}
	return -1;
}

/* Looks up a str key in a dict value; PF_PKL_NOREF when absent. */
static pf_pkl_ref
dict_get(const struct pf_pkl *m, pf_pkl_ref d, const char *key, int *found)
{
	size_t i, n = pkl_nchild(m, d), kl;
	pf_pkl_ref out = PF_PKL_NOREF;
	const char *s;

	*found = 0;
	if (kind_of(m, d) != PF_PKL_DICT)
		return PF_PKL_NOREF;
	for (i = 0; i + 1 < n; i += 2)
		if ((s = pkl_str_of(m, pkl_child(m, d, i), &kl)) != NULL &&
		    eq(s, kl, key)) {
			out = pkl_child(m, d, i + 1);
			*found = 1; /* last one wins, as in a dict */
		}
	return out;
}

/*
 * The array size of a numpy dtype object built in this stream: numpy.dtype
 * called with its type string, the state BUILD gave it (elsize at [5],
 * fields at [4]). *object when it holds Python objects.
 */
static int
dtype_info(const struct pf_pkl *m, pf_pkl_ref dt, uint64_t *size, int *object)
{
	pf_pkl_ref stack[16], state, fields, f;
	const char *s, *g;
	size_t n, top = 0, i;
	int64_t elsize;

	*object = 0;
	stack[top++] = dt;
	*size = 0;
	while (top > 0) {
		pf_pkl_ref x = stack[--top];
		int obj = 0;
		uint64_t sz = 0;

		if (kind_of(m, x) != PF_PKL_OBJ ||
		    (g = pf_pkl_global(m, V(m, x)->a)) == NULL ||
		    strcmp(g, "numpy.dtype") != 0 ||
		    (s = pkl_str_of(m, pkl_child(m, V(m, x)->b, 0), &n)) == NULL ||
		    dtype_size(s, n, &sz, &obj) == -1)
			return -1;
		if (obj)
			*object = 1;
		state = PF_PKL_NOREF;
		if (V(m, x)->flags & VF_BUILT)
			for (i = m->nbuilt; i-- > 0;)
				if (m->built[i].idx == x >> 1) {
					state = m->built[i].state;
					break;
				}
		if (x == dt) {
			*size = sz;
			if (state != PF_PKL_NOREF &&
			    pf_pkl_int(m, pkl_child(m, state, 5), &elsize) == 0 &&
			    elsize > 0)
				*size = (uint64_t)elsize;
		}
		/* Structured dtypes: fields {name: (dtype, offset[, title])}.
		 */
		fields = state != PF_PKL_NOREF ? pkl_child(m, state, 4) :
						 PF_PKL_NOREF;
		if (kind_of(m, fields) == PF_PKL_DICT)
			for (i = 1; i < pkl_nchild(m, fields); i += 2) {
				f = pkl_child(m, pkl_child(m, fields, i), 0);
				if (top == sizeof(stack) / sizeof(stack[0]))
					return -1;
				stack[top++] = f;
			}
		/* Subarrays: (base dtype, shape) at [2]. */
		f = state != PF_PKL_NOREF ?
		    pkl_child(m, pkl_child(m, state, 2), 0) :
		    PF_PKL_NOREF;
		if (kind_of(m, f) == PF_PKL_OBJ) {
			if (top == sizeof(stack) / sizeof(stack[0]))
				return -1;
			stack[top++] = f;
		}
	}
	return 0;
}

/*
 * joblib's NumpyUnpickler.load_build: after BUILD on a NumpyArrayWrapper
 * the array follows in the stream: object arrays as a nested pickle
 * (pickle.load), others as an optional alignment pad and
 * prod(shape) * itemsize raw bytes, which we skip unread.
 */
int
pkl_joblib_array(struct pf_pkl *m, pf_pkl_ref wrapper, pf_pkl_ref state)
{
	pf_pkl_ref shape, dt, align, item;
	uint64_t count = 1, itemsize, nbytes, d;
	const unsigned char *p;
	struct pf_pkl_stats nst;
	int object, found, r;
	size_t i;
	int64_t x;

	shape = dict_get(m, state, "shape", &found);
	dt = dict_get(m, state, "dtype", &found);
	if (kind_of(m, shape) != PF_PKL_TUPLE || !found ||
	    dtype_info(m, dt, &itemsize, &object) == -1)
		return pkl_bad(m,
		    "joblib array wrapper without a shape and dtype "
		    "we can size");
	note(m, "joblib array: %s",
	    object ? "object pickle follows" : "raw bytes follow");
	m->st->joblib_arrays++;
	m->nstack--; /* the wrapper: the array replaces it */
	if (object) {
		if (m->nested == NULL) {
			if ((m->nested = pf_pkl_new(m->allow, &m->lim, &m->h)) ==
			    NULL)
				return pf_err_nomem(m->e);
			m->nested->is_nested = 1;
		}
		memset(&nst, 0, sizeof(nst));
		if (pf_pkl_run(m->nested, m->in, &nst, m->e) == -1)
			return -1;
		m->st->findings += nst.findings;
		m->st->imports += nst.imports;
		if (nst.status != PF_PKL_DONE) {
			snprintf(m->st->error, sizeof(m->st->error),
			    "object array: %.140s", nst.error);
			m->st->status = nst.status;
			return nst.status == PF_PKL_LIMIT ? R_LIMIT : R_BAD;
		}
		return push_result(m, wrapper, PF_PKL_NOREF, 0);
	}
	for (i = 0; i < pkl_nchild(m, shape); i++) {
		item = pkl_child(m, shape, i);
		if (pf_pkl_int(m, item, &x) == -1 || x < 0 ||
		    !pf_mul_u64(count, (uint64_t)x, &count))
			return pkl_bad(m, "joblib array with a bad shape");
	}
	if (!pf_mul_u64(count, itemsize, &nbytes))
		return pkl_bad(m, "joblib array larger than 2^64 bytes");
	align = dict_get(m, state, "numpy_array_alignment_bytes", &found);
	if (found && kind_of(m, align) != PF_PKL_NONE) {
		if ((r = pkl_arg(m, 1, &p)) != 0)
			return r;
		d = p[0];
		if (d > 0 && (r = pf_pkl_in_skip(m->in, d, m->e)) != 1)
			return r == -1 ? -1 :
					 pkl_bad(m, "pickle data was truncated");
	}
	if (nbytes > 0 && (r = pf_pkl_in_skip(m->in, nbytes, m->e)) != 1)
		return r == -1 ? -1 :
				 pkl_bad(m, "joblib array data was truncated");
	return push_result(m, wrapper, PF_PKL_NOREF, 0);
}
