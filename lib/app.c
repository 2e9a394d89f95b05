/* app.c — FastCGI loop and request dispatch. */
#include "app.h"

#include "config.h"
#include "json.h"
#include "log.h"

#include <fcgiapp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct app_family *current;
static volatile sig_atomic_t stopping;

const struct app_family *app_current(void)
{
	return current;
}

void app_reply_db_error(struct http_req *r, enum db_err e)
{
	db_rollback();
	switch (e) {
	case DB_DOWN:
	case DB_RETRY: /* a deadlock or another passing failure: try again */
		http_reply_error(r, "UNAVAILABLE", NULL);
		break;
	case DB_INVALID: http_reply_error(r, "VALIDATION", NULL); break;
	case DB_UNIQUE: http_reply_error(r, "CONFLICT", NULL); break;
	case DB_CHECK: http_reply_error(r, "CONFLICT", NULL); break;
	default: http_reply_error(r, "INTERNAL", NULL);
	}
}

PGresult *app_row_or_reply(struct http_req *r, struct db_stmt *st, const char *const *params,
                           const char *not_found)
{
	PGresult *res;
	enum db_err e = db_exec(r->arena, st, params, &res);

	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return NULL;
	}
	if (db_rows(res) != 1) {
		if (db_in_transaction())
			db_rollback();
		http_reply_error(r, not_found, NULL);
		return NULL;
	}
	return res;
}

bool app_param_id_or_reply(struct http_req *r, const char *name, int64_t *out,
                           const char *not_found)
{
	if (http_param_id(r, name, out))
		return true;
	if (db_in_transaction())
		db_rollback();
	http_reply_error(r, not_found, NULL);
	return false;
}

cJSON *app_time_query(struct http_req *r, cJSON *errors, const char *name, const char **date,
                      const char **ts)
{
	const char *v = http_query(r, name);
	char *s;
	size_t n;

	*date = *ts = NULL;
	if (v == NULL || *v == '\0')
		return errors;
	if (tk_valid_date(v)) {
		*date = v;
		return errors;
	}
	s = arena_strdup(r->arena, v);
	n = strlen(s);
	if (n > 19 && s[n - 6] == ' ')
		s[n - 6] = '+';
	if (!tk_valid_datetime(s))
		return json_errors_add(r, errors, name, "invalid");
	*ts = s;
	return errors;
}

PGresult *app_begin_row_or_reply(struct http_req *r, struct db_stmt *st, const char *const *params,
                                 const char *not_found)
{
	enum db_err e = db_begin();

	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return NULL;
	}
	return app_row_or_reply(r, st, params, not_found);
}

bool app_paging_or_reply(struct http_req *r, int64_t *page, int64_t *limit)
{
	const char *p = http_query(r, "page"), *l = http_query(r, "limit");
	cJSON *errors = NULL;

	*page = 1;
	*limit = TK_DEFAULT_LIMIT;
	if (p && *p && !tk_parse_i64(p, 1, TK_MAX_PAGE, page)) {
		errors = errors ? errors : cJSON_CreateObject();
		json_field_error(r, errors, "page", "invalid");
	}
	if (l && *l && !tk_parse_i64(l, 1, TK_MAX_LIMIT, limit)) {
		errors = errors ? errors : cJSON_CreateObject();
		json_field_error(r, errors, "limit", "invalid");
	}
	if (errors) {
		json_reply_validation(r, errors);
		return false;
	}
	return true;
}

cJSON *app_list(struct http_req *r, cJSON *items, int64_t page, int64_t limit, int64_t total)
{
	cJSON *o = http_own(r, cJSON_CreateObject());
	cJSON_AddItemToObject(o, "items", items ? items : cJSON_CreateArray());
	cJSON_AddNumberToObject(o, "page", (double)page);
	cJSON_AddNumberToObject(o, "limit", (double)limit);
	cJSON_AddNumberToObject(o, "total", (double)total);
	return o;
}

void app_reply_list(struct http_req *r, PGresult *res, int64_t page, int64_t limit)
{
	cJSON *items = cJSON_Parse(db_str(res, 0, "items"));

	if (!cJSON_IsArray(items)) {
		cJSON_Delete(items);
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	http_reply_json(r, 200, app_list(r, items, page, limit, db_i64(res, 0, "total")));
}

void app_reply_object(struct http_req *r, int status, const char *name, cJSON *obj)
{
	cJSON *o = http_own(r, cJSON_CreateObject());
	cJSON_AddItemToObject(o, name, obj ? obj : cJSON_CreateNull());
	http_reply_json(r, status, o);
}

void app_health(struct http_req *r)
{
	bool db_ok = db_ping();
	bool kv_ok = kv_ping();
	cJSON *o = http_own(r, cJSON_CreateObject());

	cJSON_AddStringToObject(o, "status", db_ok && kv_ok ? "ok" : "degraded");
	cJSON_AddStringToObject(o, "db", db_ok ? "ok" : "down");
	cJSON_AddStringToObject(o, "redis", kv_ok ? "ok" : "down");
	cJSON_AddStringToObject(o, "version", TK_VERSION);
	cJSON_AddStringToObject(o, "family", current ? current->name : "");
	if (!db_ok || !kv_ok) {
		cJSON *err = cJSON_AddObjectToObject(o, "error");
		cJSON_AddStringToObject(err, "code", "UNAVAILABLE");
		cJSON_AddStringToObject(err, "message", msg_error("UNAVAILABLE", r->lang));
		cJSON_AddStringToObject(o, "request_id", r->request_id);
		r->error_code = "UNAVAILABLE";
	}
	http_reply_json(r, db_ok && kv_ok ? 200 : 503, o);
}

/* The event an event-scoped route is about, or false after replying. */
static bool scope_event_or_reply(struct http_req *r)
{
	const struct route *rt = r->route;

	if (rt->scope == SCOPE_PATH_ID) {
		/* A non-numeric id cannot name an event: 404, like a missing one. */
		if (!app_param_id_or_reply(r, "id", &r->event_id, "EVENT_NOT_FOUND"))
			return false;
	} else if (rt->scope == SCOPE_BODY_EVENT) {
		const cJSON *body = json_body_or_reply(r), *ev;
		if (body == NULL)
			return false;
		ev = cJSON_GetObjectItemCaseSensitive(body, "event_id");
		if (!cJSON_IsNumber(ev) || ev->valuedouble < 1 ||
		    ev->valuedouble > (double)JSON_MAX_SAFE_INT ||
		    ev->valuedouble != (double)(int64_t)ev->valuedouble) {
			cJSON *errors = cJSON_CreateObject();
			json_field_error(r, errors, "event_id", ev ? "invalid" : "required");
			json_reply_validation(r, errors);
			return false;
		}
		r->event_id = (int64_t)ev->valuedouble;
	}
	return true;
}

void app_dispatch(const struct app_family *fam, struct http_req *r)
{
	char allow[64];
	enum router_result m;
	enum perm_result pr;

	if (r->parse_error) {
		http_reply_error_full(r, msg_status(r->parse_error), r->parse_error, NULL, NULL);
		return;
	}
	m = router_match(fam->routes, fam->n_routes, r, allow, sizeof(allow));
	if (m == ROUTER_NOT_FOUND) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	if (m == ROUTER_BAD_METHOD) {
		http_add_header(r, "Allow", allow);
		http_reply_error(r, "METHOD_NOT_ALLOWED", NULL);
		return;
	}
	if (r->body_len > 0 && !http_is_json(r)) {
		http_reply_error(r, "UNSUPPORTED_MEDIA_TYPE", NULL);
		return;
	}
	if (r->route->level != PERM_PUBLIC) {
		if (fam->principal_or_reply == NULL) {
			/* A routing table bug: a guarded route in a family that
			 * cannot say who is calling. Never served. */
			log_event(LOG_ERROR, "no_principal_loader", "route", r->route->pattern,
			          NULL);
			http_reply_error(r, "INTERNAL", NULL);
			return;
		}
		if (!fam->principal_or_reply(r))
			return;
		if (!scope_event_or_reply(r))
			return;
		pr = perm_check(r->principal, r->event_id, r->route->level);
		if (pr == PERM_EVENT_DENIED) {
			http_reply_error(r, "EVENT_FORBIDDEN", NULL);
			return;
		}
		if (pr == PERM_DENIED) {
			http_reply_error(r, "FORBIDDEN", NULL);
			return;
		}
	}
	r->route->handler(r);
	if (db_in_transaction()) {
		/* A handler left a transaction open: a bug. Nothing half-done may
		 * survive it. */
		log_event(LOG_ERROR, "transaction_left_open", "route", r->route->pattern, NULL);
		db_rollback();
		if (!r->replied)
			http_reply_error(r, "INTERNAL", NULL);
	}
}

static long fcgi_read(void *ctx, char *buf, size_t len)
{
	return FCGX_GetStr(buf, (int)(len > 65536 ? 65536 : len), ctx);
}

static void fcgi_write(void *ctx, const char *data, size_t len)
{
	FCGX_PutStr(data, (int)len, ctx);
}

/* Ends the request and closes the connection at once. libfcgi's own close
 * is lingering: shutdown(), then wait up to 2 s for the web server to close
 * its end first (against a TCP reset that would destroy an unread reply).
 * The worker sits idle all that time — under load nginx gets round to the
 * connection only after the rest of its event loop — which measured as the
 * largest cost of a sold-out answer. Once everything nginx sent for the
 * request has been read (stdin up to its end record), a plain close loses
 * nothing: the reply is already queued in nginx's socket. If stdin cannot be
 * read to its end cheaply, libfcgi's lingering close is kept. (libfcgi 2.4
 * closes a detached request without the wait; one that ignored the flag
 * would just linger as before.) */
#define DRAIN_MAX (64 * 1024)

static void finish(FCGX_Request *req)
{
	char sink[4096];
	size_t drained = 0;
	int n;

	while (drained <= DRAIN_MAX && (n = FCGX_GetStr(sink, sizeof(sink), req->in)) > 0)
		drained += (size_t)n;
	if (FCGX_HasSeenEOF(req->in) == EOF && FCGX_GetError(req->in) == 0)
		FCGX_Detach(req); /* detached: FCGX_Free closes without the wait */
	FCGX_Finish_r(req);
}

bool app_listener_idle(void)
{
	struct pollfd p = {.fd = 0, .events = POLLIN};
	return poll(&p, 1, 0) == 0;
}

static void (*idle_fn)(struct arena *a, int64_t arg);
static int64_t idle_arg;
static int idle_delay_ms;

void app_idle_task(void (*fn)(struct arena *a, int64_t arg), int64_t arg, int delay_ms)
{
	idle_fn = fn;
	idle_arg = arg;
	idle_delay_ms = delay_ms;
}

/* Runs the idle task for as long as no request comes (it may set itself
 * again). A request, a signal or an error ends the wait: accept. */
static void run_idle_task(struct arena *a)
{
	while (idle_fn && !stopping) {
		struct pollfd p = {.fd = 0, .events = POLLIN};
		void (*fn)(struct arena *, int64_t) = idle_fn;
		if (poll(&p, 1, idle_delay_ms) != 0)
			return;
		idle_fn = NULL;
		fn(a, idle_arg);
		arena_reset(a);
	}
}

static void on_term(int sig)
{
	TK_UNUSED(sig);
	stopping = 1;
	FCGX_ShutdownPending(); /* the accept loop ends after the current request */
}

static void print_routes(const struct app_family *fam)
{
	for (size_t i = 0; i < fam->n_routes; i++)
		printf("%s %s%s %d\n", http_method_name(fam->routes[i].method), fam->prefix,
		       fam->routes[i].pattern, fam->routes[i].level);
}

int app_main(int argc, char **argv, const struct app_family *fam)
{
	FCGX_Request req;
	struct arena *a;
	struct sigaction sa;
	char status[8], ms[24];

	current = fam;
	log_init(fam->name);
	if (!router_check_table(fam->routes, fam->n_routes))
		return 2;
	if (argc > 1 && strcmp(argv[1], "--routes") == 0) {
		print_routes(fam);
		return 0;
	}
	if (config_load() != CONFIG_OK)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: accept() returns */
	sigaction(SIGINT, &sa, NULL);

	/* Dependencies may come up after us; health reports them until then. */
	if (fam->db_session_sql)
		db_set_session_sql(fam->db_session_sql);
	db_init(cfg.pg);
	kv_init(cfg.redis);

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_event(LOG_ERROR, "fcgi_init", NULL);
		return 1;
	}
	a = arena_new();
	if (a == NULL)
		return 1;
	log_event(LOG_INFO, "worker_start", "version", TK_VERSION, NULL);
	while (!stopping && (run_idle_task(a), !stopping) && FCGX_Accept_r(&req) >= 0) {
		struct http_req r;

		http_parse(&r, a, req.envp, fam->prefix, fcgi_read, req.in);
		log_set_request_id(r.request_id);
		app_dispatch(fam, &r);
		http_write(&r, fcgi_write, req.out);
		finish(&req);
		snprintf(status, sizeof(status), "%d", r.status);
		snprintf(ms, sizeof(ms), "%lld", (long long)(tk_now_ms() - r.started_ms));
		log_event(r.status >= 500 ? LOG_ERROR : LOG_INFO, "request", "method",
		          r.method_name, "path", r.path, "status", status, "ms", ms, "error",
		          r.error_code, NULL);
		if (r.after)
			r.after(&r);
		log_set_request_id(NULL);
		arena_reset(a);
	}
	log_event(LOG_INFO, "worker_stop", NULL);
	arena_free(a);
	db_close();
	kv_close();
	return 0;
}
