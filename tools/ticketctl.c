/*
 * ticketctl — the operator's tool.
 *
 *   ticketctl migrate [--dir DIR]      apply pending sql/NNNN_*.sql in order
 *   ticketctl seed-demo                demo super admin, exhibition aaa (products, quotas,
 *                                      a notice) and its admins
 *   ticketctl create-admin USER NAME [--super]   password read from TICKET_ADMIN_PASSWORD
 *   ticketctl reconcile [--event CODE]  Redis stock counters := capacity − sold − live holds
 *   ticketctl flush [--event CODE]     write pending orders still queued behind their holds
 *   ticketctl worker                   the daemon: writes queued pending orders, sweeps
 *                                      expired holds, reconciles, sends the Alimtalk
 *                                      outbox, until SIGTERM
 *   ticketctl send-outbox [--once]     send the due outbox rows (--once: one pass)
 *
 * Settings come from the environment (TICKET_PG …); when TICKET_VAR names a
 * stack directory with an env file, that file is read first.
 */
#include "arena.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "kv.h"
#include "log.h"
#include "outbox.h"
#include "payment.h"
#include "pending.h"
#include "perm.h"
#include "reconcile.h"
#include "sales.h"
#include "tk.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MIGRATION_MAX_BYTES (4 * 1024 * 1024)
#define MIGRATION_MAX_FILES 1000

static int usage(void)
{
	fputs("usage: ticketctl migrate [--dir DIR]\n"
	      "       ticketctl seed-demo\n"
	      "       ticketctl create-admin USERNAME NAME [--super]  (password: "
	      "TICKET_ADMIN_PASSWORD)\n"
	      "       ticketctl reconcile [--event CODE]\n"
	      "       ticketctl flush [--event CODE]\n"
	      "       ticketctl worker\n"
	      "       ticketctl explain-figures --event CODE\n"
	      "       ticketctl send-outbox [--once]\n",
	      stderr);
	return 2;
}

/* Loads $TICKET_VAR/env into the environment (without overriding) so the
 * tool finds the stack it belongs to. */
static void load_var_env(void)
{
	const char *var = getenv("TICKET_VAR");
	char path[4096], line[4096];
	FILE *f;

	if (var == NULL || *var == '\0')
		var = "var";
	snprintf(path, sizeof(path), "%s/env", var);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '='), *v;
		size_t n;
		if (line[0] == '#' || eq == NULL)
			continue;
		*eq = '\0';
		v = eq + 1;
		n = strlen(v);
		while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r'))
			v[--n] = '\0';
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		if (strncmp(line, "export ", 7) == 0)
			memmove(line, line + 7, strlen(line + 7) + 1);
		setenv(line, v, 0);
	}
	fclose(f);
}

static PGconn *connect_or_die(void)
{
	if (db_init(cfg.pg) != DB_OK) {
		fprintf(stderr, "ticketctl: cannot connect to PostgreSQL (%s)\n", cfg.pg);
		exit(1);
	}
	return db_conn();
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > MIGRATION_MAX_BYTES) {
		fclose(f);
		return NULL;
	}
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_migration(const char *name)
{
	size_t n = strlen(name);
	return n > 9 && name[0] >= '0' && name[0] <= '9' && name[1] >= '0' && name[1] <= '9' &&
	       name[2] >= '0' && name[2] <= '9' && name[3] >= '0' && name[3] <= '9' &&
	       name[4] == '_' && strcmp(name + n - 4, ".sql") == 0;
}

static bool exec_ok(PGconn *c, const char *sql, const char *what)
{
	PGresult *res = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(res);
	bool ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "ticketctl: %s: %s", what, PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

/* Applies each pending migration in its own transaction. Concurrent runs
 * serialise on an advisory lock, so two starts cannot apply a file twice. */
static int cmd_migrate(int argc, char **argv)
{
	char dirbuf[4096];
	const char *dir;
	DIR *d;
	struct dirent *de;
	char *files[MIGRATION_MAX_FILES];
	size_t n = 0;
	int applied = 0, rc = 1;
	PGconn *c;

	snprintf(dirbuf, sizeof(dirbuf), "%s/sql", cfg.root);
	dir = dirbuf;
	if (argc >= 2 && strcmp(argv[0], "--dir") == 0)
		dir = argv[1];
	c = connect_or_die();
	if (!exec_ok(c,
	             "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY,"
	             " applied_at timestamptz NOT NULL DEFAULT now())",
	             "schema_migrations"))
		return 1;
	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "ticketctl: cannot open %s\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL && n < MIGRATION_MAX_FILES)
		if (is_migration(de->d_name))
			files[n++] = strdup(de->d_name);
	closedir(d);
	qsort(files, n, sizeof(files[0]), cmp_str);

	for (size_t i = 0; i < n; i++) {
		char path[8192], *sql;
		const char *params[1] = {files[i]};
		PGresult *res;
		bool done;

		if (!exec_ok(c, "BEGIN", "begin") ||
		    !exec_ok(c, "SELECT pg_advisory_xact_lock(774411)", "lock"))
			goto out;
		res = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL,
		                   params, NULL, NULL, 0);
		done = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
		PQclear(res);
		if (done) {
			exec_ok(c, "COMMIT", "commit");
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		sql = read_file(path);
		if (sql == NULL) {
			fprintf(stderr, "ticketctl: cannot read %s\n", path);
			exec_ok(c, "ROLLBACK", "rollback");
			goto out;
		}
		if (!exec_ok(c, sql, files[i])) {
			free(sql);
			exec_ok(c, "ROLLBACK", "rollback");
			goto out;
		}
		free(sql);
		res = PQexecParams(c, "INSERT INTO schema_migrations (version) VALUES ($1)", 1,
		                   NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "ticketctl: record %s: %s", files[i],
			        PQresultErrorMessage(res));
			PQclear(res);
			exec_ok(c, "ROLLBACK", "rollback");
			goto out;
		}
		PQclear(res);
		if (!exec_ok(c, "COMMIT", "commit"))
			goto out;
		printf("applied %s\n", files[i]);
		applied++;
	}
	printf("migrations: %d applied, %zu known\n", applied, n);
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	return rc;
}

/* Creates or updates an admin; sets the password when the admin is new or
 * reset_password is true. Returns the id, or 0 on failure. */
static long long upsert_admin(PGconn *c, const char *username, const char *name,
                              const char *password, bool is_super, bool reset_password)
{
	char hash[AUTH_HASH_MAX];
	const char *params[4];
	PGresult *res;
	long long id = 0;

	if (auth_hash_password(password, hash) != AUTH_OK) {
		fprintf(stderr, "ticketctl: cannot hash password\n");
		return 0;
	}
	params[0] = username;
	params[1] = name;
	params[2] = hash;
	params[3] = is_super ? "true" : "false";
	res = PQexecParams(
	    c,
	    reset_password
	        ? "INSERT INTO admins (username, name, password_hash, is_super) VALUES "
	          "($1,$2,$3,$4)"
	          " ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,"
	          " is_super = EXCLUDED.is_super, is_active = true, deleted_at = NULL,"
	          " failed_logins = 0, locked_until = NULL,"
	          " session_version = admins.session_version + 1 RETURNING id"
	        : "INSERT INTO admins (username, name, password_hash, is_super) VALUES "
	          "($1,$2,$3,$4)"
	          " ON CONFLICT (username) DO UPDATE SET username = EXCLUDED.username RETURNING id",
	    4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		id = atoll(PQgetvalue(res, 0, 0));
	else
		fprintf(stderr, "ticketctl: admin %s: %s", username, PQresultErrorMessage(res));
	PQclear(res);
	return id;
}

static int cmd_create_admin(int argc, char **argv)
{
	const char *pw = getenv("TICKET_ADMIN_PASSWORD");
	bool is_super = argc >= 3 && strcmp(argv[2], "--super") == 0;
	PGconn *c;

	if (argc < 2)
		return usage();
	if (!tk_valid_username(argv[0])) {
		fprintf(stderr, "ticketctl: username must be 3-32 of a-z 0-9 _ .\n");
		return 2;
	}
	if (pw == NULL || strlen(pw) < AUTH_PASSWORD_MIN) {
		fprintf(stderr, "ticketctl: set TICKET_ADMIN_PASSWORD (at least %d characters)\n",
		        AUTH_PASSWORD_MIN);
		return 2;
	}
	c = connect_or_die();
	if (upsert_admin(c, argv[0], argv[1], pw, is_super, true) == 0)
		return 1;
	printf("admin %s ready\n", argv[0]);
	return 0;
}

struct demo_admin {
	const char *username, *name, *password;
	int level; /* on the demo exhibition; 9 = super admin */
};

/*
 * What the demo exhibition sells, so that `make run` shows a sellable page:
 * adult, youth and child tickets sharing one daily capacity, a catalogue
 * (merch with its own stock) and a package of an adult ticket and the
 * catalogue, plus a pinned notice. Seeded once: only while the event has
 * never had a product or a quota (deleted ones count), so every start may
 * run it and a manager's changes are never undone. $1 is the event id.
 */
static const char *const demo_catalog_sql[] = {
    "INSERT INTO quotas (event_id, name, capacity, per_day) VALUES"
    " ($1, '일일 관람 정원', 300, true), ($1, '전시 도록 재고', 200, false)",
    "INSERT INTO products (event_id, type, name, description, price, dated, max_per_order,"
    " admits, sort_order) VALUES"
    " ($1, 'TICKET', '성인', '만 19세 이상', 15000, true, 10, 1, 1),"
    " ($1, 'TICKET', '청소년', '만 13–18세 (신분증 확인)', 12000, true, 10, 1, 2),"
    " ($1, 'TICKET', '어린이', '만 4–12세', 8000, true, 10, 1, 3),"
    " ($1, 'MERCH', '전시 도록', '전시 작품 120점 수록, 현장 수령', 25000, false, 5, 0, 4),"
    " ($1, 'PACKAGE', '성인 + 도록 패키지', '성인 입장권 1매와 전시 도록 1권', 36000, true, 4,"
    " 1, 5)",
    /* tickets draw from the daily capacity, the catalogue from its stock */
    "INSERT INTO product_quotas (product_id, quota_id)"
    " SELECT p.id, q.id FROM products p JOIN quotas q ON q.event_id = p.event_id"
    " WHERE p.event_id = $1 AND ((p.type = 'TICKET' AND q.per_day)"
    "   OR (p.type = 'MERCH' AND NOT q.per_day))",
    /* the package takes what its contents take */
    "INSERT INTO package_items (package_id, product_id, qty)"
    " SELECT pk.id, p.id, 1 FROM products pk JOIN products p ON p.event_id = pk.event_id"
    " WHERE pk.event_id = $1 AND pk.type = 'PACKAGE' AND p.name IN ('성인', '전시 도록')",
    "INSERT INTO notices (event_id, title, body, pinned) VALUES"
    " ($1, '관람 안내', '입장 마감은 폐장 30분 전입니다. 모바일 티켓의 QR 코드를 입구에서 보여 "
    "주세요."
    " 월요일은 휴관합니다.', true)",
};

/* The demo catalogue inside the seed's transaction (see above). */
static bool seed_demo_catalog(PGconn *c, const char *eid)
{
	const char *params[1] = {eid};
	PGresult *res = PQexecParams(
	    c,
	    "SELECT NOT EXISTS (SELECT 1 FROM products WHERE event_id = $1)"
	    " AND NOT EXISTS (SELECT 1 FROM quotas WHERE event_id = $1)",
	    1, NULL, params, NULL, NULL, 0);
	bool fresh, ok = true;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ticketctl: demo catalogue: %s", PQresultErrorMessage(res));
		PQclear(res);
		return false;
	}
	fresh = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	for (size_t i = 0; fresh && ok && i < TK_ARRAY_LEN(demo_catalog_sql); i++) {
		res = PQexecParams(c, demo_catalog_sql[i], 1, NULL, params, NULL, NULL, 0);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "ticketctl: demo catalogue: %s", PQresultErrorMessage(res));
		PQclear(res);
	}
	return ok;
}

static int cmd_seed_demo(void)
{
	const char *super_pw = getenv("TICKET_SUPERADMIN_PASSWORD");
	struct demo_admin admins[] = {
	    {"superadmin", "최고관리자", super_pw && *super_pw ? super_pw : "superadmin-demo", 9},
	    {"aaa.manager", "AAA 매니저", "manager-demo-1", 3},
	    {"aaa.staff", "AAA 스태프", "staff-demo-12", 2},
	    {"aaa.viewer", "AAA 뷰어", "viewer-demo-1", 1},
	};
	PGconn *c = connect_or_die();
	PGresult *res;
	char path[4096], eid[32];
	FILE *f;

	if (!exec_ok(c, "BEGIN", "begin"))
		return 1;
	/* The demo exhibition: opens today, runs two months, on sale. */
	res = PQexec(
	    c, "INSERT INTO events (code, title, venue, address, starts_on, ends_on, open_hours,"
	       " is_active, description)"
	       " VALUES ('aaa', 'AAA 특별전: 빛과 색의 여정', '서울 아트센터 1전시실',"
	       " '서울특별시 종로구 세종대로 175', (now() AT TIME ZONE 'Asia/Seoul')::date,"
	       " (now() AT TIME ZONE 'Asia/Seoul')::date + 60, '10:00-19:00 (월요일 휴관)', true,"
	       " '데모 전시입니다.')"
	       " ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code RETURNING id");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ticketctl: demo event: %s", PQresultErrorMessage(res));
		PQclear(res);
		exec_ok(c, "ROLLBACK", "rollback");
		return 1;
	}
	snprintf(eid, sizeof(eid), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	for (size_t i = 0; i < TK_ARRAY_LEN(admins); i++) {
		/* The super admin's password follows TICKET_SUPERADMIN_PASSWORD
		 * whenever it is set; other demo accounts keep theirs. */
		bool reset = admins[i].level == 9 && super_pw && *super_pw;
		long long id = upsert_admin(c, admins[i].username, admins[i].name,
		                            admins[i].password, admins[i].level == 9, reset);
		char ids[32], lv[8];
		const char *params[3] = {ids, eid, lv};
		if (id == 0) {
			exec_ok(c, "ROLLBACK", "rollback");
			return 1;
		}
		if (admins[i].level == 9)
			continue;
		snprintf(ids, sizeof(ids), "%lld", id);
		snprintf(lv, sizeof(lv), "%d", admins[i].level);
		res = PQexecParams(
		    c,
		    "INSERT INTO admin_events (admin_id, event_id, level) VALUES ($1,$2,$3)"
		    " ON CONFLICT DO NOTHING",
		    3, NULL, params, NULL, NULL, 0);
		PQclear(res);
	}
	if (!seed_demo_catalog(c, eid)) {
		exec_ok(c, "ROLLBACK", "rollback");
		return 1;
	}
	if (!exec_ok(c, "COMMIT", "commit"))
		return 1;

	snprintf(path, sizeof(path), "%s/demo-logins.txt", cfg.var);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "  super admin   %s/super-admin/   superadmin / %s\n", cfg.base_url,
		        super_pw && *super_pw ? "(TICKET_SUPERADMIN_PASSWORD)"
		                              : admins[0].password);
		for (size_t i = 1; i < TK_ARRAY_LEN(admins); i++)
			fprintf(f, "  %-13s %s/admin/         %s / %s\n",
			        perm_level_name(admins[i].level), cfg.base_url, admins[i].username,
			        admins[i].password);
		fprintf(f, "  exhibition    %s/aaa/\n", cfg.base_url);
		fclose(f);
	}
	printf("demo data ready (exhibition aaa with its catalogue, %zu admins)\n",
	       TK_ARRAY_LEN(admins));
	return 0;
}

static struct db_stmt q_event_id = DB_STMT(
    "SELECT id FROM events WHERE code = $1 AND deleted_at IS NULL", 1);

/* Connects to PostgreSQL and Redis and reads [--event CODE]: *id is that
 * event's id, or 0 for every event. Returns 0 to go on, else the exit
 * status (the reason printed). */
static int event_args(struct arena *a, int argc, char **argv, int64_t *id)
{
	*id = 0;
	connect_or_die();
	if (kv_init(cfg.redis) != KV_OK) {
		fprintf(stderr, "ticketctl: cannot connect to Redis (%s)\n", cfg.redis);
		return 1;
	}
	if (argc == 0)
		return 0;
	if (argc == 2 && strcmp(argv[0], "--event") == 0) {
		const char *params[] = {argv[1]};
		PGresult *res;
		if (db_exec(a, &q_event_id, params, &res) != DB_OK || db_rows(res) != 1) {
			fprintf(stderr, "ticketctl: no event %s\n", argv[1]);
			return 1;
		}
		*id = db_i64(res, 0, "id");
		return 0;
	}
	return usage();
}

static int cmd_reconcile(int argc, char **argv)
{
	struct arena *a = arena_new();
	int64_t id;
	size_t n = 0;
	int rc = event_args(a, argc, argv, &id);

	if (rc == 0) {
		enum reconcile_err e = id ? reconcile_event(a, id, &n) : reconcile_all(a, &n);
		if (e != RECONCILE_OK) {
			fprintf(stderr, "ticketctl: reconcile failed (%s)\n",
			        e == RECONCILE_DB ? "PostgreSQL" : "Redis");
			rc = 1;
		} else if (id) {
			printf("event %s: %zu counters set\n", argv[1], n);
		} else {
			printf("%zu events reconciled\n", n);
		}
	}
	arena_free(a);
	return rc;
}

/* Writes the pending orders still queued behind their holds (pending.h),
 * for one event or all. */
static int cmd_flush(int argc, char **argv)
{
	struct arena *a = arena_new();
	int64_t id;
	size_t n = 1;
	int rc = event_args(a, argc, argv, &id);

	if (rc == 0) {
		enum db_err e = id ? pending_flush(a, id) : pending_flush_all(a, &n);
		if (e == DB_DOWN) {
			fprintf(stderr,
			        "ticketctl: flush failed (PostgreSQL or Redis unreachable)\n");
			rc = 1;
		} else {
			printf("%zu events flushed\n", n);
		}
	}
	arena_free(a);
	return rc;
}

/* The plans of the figures' queries for one event (tools/bench/stats.sh). */
static int cmd_explain_figures(int argc, char **argv)
{
	struct arena *a = arena_new();
	int64_t id;
	int rc = event_args(a, argc, argv, &id);

	if (rc == 0 && id == 0)
		rc = usage();
	if (rc == 0 && !sales_explain(stdout, id))
		rc = 1;
	arena_free(a);
	return rc;
}

static volatile sig_atomic_t worker_stop;

static void on_worker_signal(int sig)
{
	(void)sig;
	worker_stop = 1;
}

/* One sender pass; logs what it did. False when PostgreSQL failed. */
static bool outbox_pass(struct arena *a)
{
	struct outbox_stats st;
	enum db_err e = outbox_send_due(a, outbox_budget_ms(), &st);

	if (e != DB_OK) {
		log_event(LOG_WARN, "outbox_failed", NULL);
		return false;
	}
	if (st.claimed > 0)
		log_event(LOG_INFO, "outbox_sent", "claimed", arena_printf(a, "%zu", st.claimed),
		          "sent", arena_printf(a, "%zu", st.sent), "resent_sms",
		          arena_printf(a, "%zu", st.resent), "failed",
		          arena_printf(a, "%zu", st.failed), "retry",
		          arena_printf(a, "%zu", st.retry), NULL);
	return true;
}

/* send-outbox: passes until nothing is due (--once: a single pass); tests
 * run it instead of the daemon. Prints the totals. */
static int cmd_send_outbox(int argc, char **argv)
{
	struct arena *a = arena_new();
	struct outbox_stats st, sum = {0};
	bool once = argc >= 1 && strcmp(argv[0], "--once") == 0;
	int rc = 0;

	if (argc > 1 || (argc == 1 && !once))
		return usage();
	db_init(cfg.pg);
	for (;;) {
		if (outbox_send_due(a, 0, &st) != DB_OK) {
			fprintf(stderr, "ticketctl: send-outbox failed (PostgreSQL unreachable)\n");
			rc = 1;
			break;
		}
		sum.claimed += st.claimed;
		sum.sent += st.sent;
		sum.resent += st.resent;
		sum.failed += st.failed;
		sum.retry += st.retry;
		arena_reset(a);
		if (once || st.claimed == 0)
			break;
	}
	printf("claimed %zu sent %zu resent_sms %zu failed %zu retry %zu\n", sum.claimed, sum.sent,
	       sum.resent, sum.failed, sum.retry);
	arena_free(a);
	return rc;
}

/* The daemon. Correctness never depends on it (holds expire lazily in the
 * hold script); it keeps PostgreSQL's pending orders and Redis tidy and
 * repairs any drift. */
static int cmd_worker(void)
{
	struct arena *a = arena_new();
	struct sigaction sa;
	int64_t last_reconcile = 0, last_sweep = 0, interval_ms = 5000;
	const char *iv = config_get("TICKET_RECONCILE_MS");

	if (iv && !tk_parse_i64(iv, 200, 3600000, &interval_ms))
		interval_ms = 5000;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_worker_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	db_init(cfg.pg);
	kv_init(cfg.redis);
	log_event(LOG_INFO, "daemon_start", NULL);
	while (!worker_stop) {
		size_t expired = 0, events = 0;
		int64_t pause = outbox_interval_ms();
		struct timespec ts = {(time_t)(pause / 1000), (long)(pause % 1000) * 1000000L};
		outbox_pass(a);
		if (tk_now_ms() - last_sweep < 1000) {
			arena_reset(a);
			nanosleep(&ts, NULL);
			continue;
		}
		last_sweep = tk_now_ms();
		{
			size_t written = 0;
			if (pending_write_late(a, &written) == DB_DOWN)
				log_event(LOG_WARN, "pending_write_failed", NULL);
			if (written > 0) {
				char n[24];
				snprintf(n, sizeof(n), "%zu", written);
				log_event(LOG_WARN, "pending_written_late", "count", n, NULL);
			}
		}
		if (reconcile_sweep(a, &expired) == RECONCILE_OK && expired > 0) {
			char n[24];
			snprintf(n, sizeof(n), "%zu", expired);
			log_event(LOG_INFO, "holds_expired", "count", n, NULL);
		}
		{
			/* Payments whose outcome nobody saw (worker died mid-confirm,
			 * Toss unreachable), cancels Toss still owes, webhooks that
			 * could not be checked with Toss when they came. */
			size_t settled = 0;
			enum payment_err pe = payment_settle_stuck(a, &settled);
			if (pe == PAYMENT_DB)
				log_event(LOG_WARN, "payment_settle_failed", NULL);
			if (settled > 0) {
				char n[24];
				snprintf(n, sizeof(n), "%zu", settled);
				log_event(LOG_INFO, "payments_settled", "count", n, NULL);
			}
		}
		if (tk_now_ms() - last_reconcile >= interval_ms) {
			if (reconcile_all(a, &events) != RECONCILE_OK)
				log_event(LOG_WARN, "reconcile_failed", NULL);
			last_reconcile = tk_now_ms();
		}
		arena_reset(a);
		nanosleep(&ts, NULL);
	}
	log_event(LOG_INFO, "daemon_stop", NULL);
	arena_free(a);
	return 0;
}

int main(int argc, char **argv)
{
	log_init("ticketctl");
	if (argc < 2)
		return usage();
	load_var_env();
	if (getenv("TICKET_JWT_SECRET") == NULL)
		setenv("TICKET_JWT_SECRET", "ticketctl-does-not-sign-tokens", 0);
	if (config_load() != CONFIG_OK)
		return 1;
	if (strcmp(argv[1], "migrate") == 0)
		return cmd_migrate(argc - 2, argv + 2);
	if (strcmp(argv[1], "seed-demo") == 0)
		return cmd_seed_demo();
	if (strcmp(argv[1], "create-admin") == 0)
		return cmd_create_admin(argc - 2, argv + 2);
	if (strcmp(argv[1], "reconcile") == 0)
		return cmd_reconcile(argc - 2, argv + 2);
	if (strcmp(argv[1], "flush") == 0)
		return cmd_flush(argc - 2, argv + 2);
	if (strcmp(argv[1], "worker") == 0)
		return cmd_worker();
	if (strcmp(argv[1], "explain-figures") == 0)
		return cmd_explain_figures(argc - 2, argv + 2);
	if (strcmp(argv[1], "send-outbox") == 0)
		return cmd_send_outbox(argc - 2, argv + 2);
	return usage();
}
