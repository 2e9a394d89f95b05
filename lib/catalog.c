/* catalog.c — per-worker cache of bookable events (see catalog.h). */
#include "catalog.h"

#include "config.h"
#include "db.h"
#include "kv.h"
#include "log.h"
#include "tk.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CATALOG_SLOTS 32
/* Raised (INCR) after every committed change to what the catalog holds. */
#define CATALOG_VERSION_KEY "ticketd:catalog:version"

/* One round trip: the event and its active products with their quota uses,
 * as JSON. Instants as epoch milliseconds. */
static struct db_stmt q_load = DB_STMT(
    "SELECT json_build_object("
    " 'id', e.id, 'code', e.code, 'title', e.title,"
    " 'starts_on', e.starts_on::text, 'ends_on', e.ends_on::text,"
    " 'hold_seconds', e.hold_seconds, 'max_per_order', e.max_per_order,"
    " 'sale_starts_ms', (EXTRACT(EPOCH FROM e.sale_starts_at) * 1000)::bigint,"
    " 'sale_ends_ms', (EXTRACT(EPOCH FROM e.sale_ends_at) * 1000)::bigint,"
    " 'queue_enabled', e.queue_enabled,"
    " 'closed_weekdays', to_json(e.closed_weekdays), 'closed_dates', to_json(e.closed_dates),"
    " 'queue_rate', e.queue_admit_per_second, 'queue_max_active', e.queue_max_active,"
    " 'queue_opens_ms', (EXTRACT(EPOCH FROM e.queue_opens_at) * 1000)::bigint,"
    " 'products', COALESCE((SELECT json_agg(json_build_object("
    "   'id', p.id, 'type', p.type, 'name', p.name, 'price', p.price, 'dated', p.dated,"
    "   'max_per_order', p.max_per_order, 'admits', p.admits,"
    "   'sale_starts_ms', (EXTRACT(EPOCH FROM p.sale_starts_at) * 1000)::bigint,"
    "   'sale_ends_ms', (EXTRACT(EPOCH FROM p.sale_ends_at) * 1000)::bigint,"
    "   'quotas', COALESCE((SELECT json_agg(json_build_array(u.quota_id, u.units, q.per_day)"
    "      ORDER BY u.quota_id)"
    "      FROM product_quota_units u JOIN quotas q ON q.id = u.quota_id"
    "      WHERE u.product_id = p.id), '[]'))"
    "   ORDER BY p.sort_order, p.id)"
    "   FROM products p WHERE p.event_id = e.id AND p.is_active AND p.deleted_at IS NULL),"
    "   '[]')) AS ev"
    " FROM events e WHERE e.code = $1 AND e.is_active AND e.deleted_at IS NULL",
    1);

struct slot {
	struct catalog_event *ev; /* NULL = free */
	int64_t used_ms;
	int64_t version; /* CATALOG_VERSION_KEY when ev was loaded; -1 unknown */
};

static struct slot slots[CATALOG_SLOTS];

static int64_t ttl_ms(void)
{
	static int64_t ttl = -1;
	if (ttl < 0) {
		const char *v = config_get("TICKET_CATALOG_TTL_MS");
		if (v == NULL || !tk_parse_i64(v, 0, 600000, &ttl))
			ttl = 2000;
	}
	return ttl;
}

static void event_free(struct catalog_event *ev)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < ev->n_products; i++)
		free(ev->products[i].name);
	free(ev->products);
	free(ev->closed_dates);
	free(ev->title);
	free(ev);
}

void catalog_flush(void)
{
	for (size_t i = 0; i < CATALOG_SLOTS; i++) {
		event_free(slots[i].ev);
		slots[i].ev = NULL;
	}
}

static int64_t num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

static bool boolean(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static bool closed_days_from_json(struct catalog_event *ev, const cJSON *j)
{
	const cJSON *x, *dates = cJSON_GetObjectItemCaseSensitive(j, "closed_dates");
	int n = cJSON_GetArraySize(dates);

	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(j, "closed_weekdays"))
	{
		int d = (int)cJSON_GetNumberValue(x);
		if (d >= 1 && d <= 7)
			ev->closed_weekdays |= (uint8_t)(1u << d);
	}
	if (n <= 0)
		return true;
	ev->closed_dates = calloc((size_t)n, sizeof(*ev->closed_dates));
	if (ev->closed_dates == NULL)
		return false;
	cJSON_ArrayForEach(x, dates)
	{
		const char *d = cJSON_GetStringValue(x);
		if (d && tk_valid_date(d) && ev->n_closed_dates < (size_t)n)
			snprintf(ev->closed_dates[ev->n_closed_dates++], 11, "%s", d);
	}
	return true;
}

static struct catalog_event *event_from_json(const cJSON *j)
{
	struct catalog_event *ev = calloc(1, sizeof(*ev));
	const cJSON *prods = cJSON_GetObjectItemCaseSensitive(j, "products"), *p;
	int n = cJSON_GetArraySize(prods);

	if (ev == NULL)
		return NULL;
	if (n > CATALOG_MAX_PRODUCTS)
		n = CATALOG_MAX_PRODUCTS;
	ev->id = num(j, "id");
	snprintf(ev->code, sizeof(ev->code), "%s", str(j, "code"));
	ev->title = strdup(str(j, "title"));
	snprintf(ev->starts_on, sizeof(ev->starts_on), "%s", str(j, "starts_on"));
	snprintf(ev->ends_on, sizeof(ev->ends_on), "%s", str(j, "ends_on"));
	ev->hold_seconds = (int)num(j, "hold_seconds");
	ev->max_per_order = (int)num(j, "max_per_order");
	ev->sale_starts_ms = num(j, "sale_starts_ms");
	ev->sale_ends_ms = num(j, "sale_ends_ms");
	ev->queue_enabled = boolean(j, "queue_enabled");
	if (!closed_days_from_json(ev, j)) {
		event_free(ev);
		return NULL;
	}
	ev->queue_rate = (int)num(j, "queue_rate");
	ev->queue_max_active = (int)num(j, "queue_max_active");
	ev->queue_opens_ms = num(j, "queue_opens_ms");
	ev->products = calloc((size_t)(n > 0 ? n : 1), sizeof(*ev->products));
	if (ev->title == NULL || ev->products == NULL) {
		event_free(ev);
		return NULL;
	}
	cJSON_ArrayForEach(p, prods)
	{
		struct catalog_product *cp;
		const cJSON *uses = cJSON_GetObjectItemCaseSensitive(p, "quotas"), *u;
		if (ev->n_products == (size_t)n)
			break;
		cp = &ev->products[ev->n_products++];
		cp->id = num(p, "id");
		snprintf(cp->type, sizeof(cp->type), "%s", str(p, "type"));
		cp->name = strdup(str(p, "name"));
		cp->price = num(p, "price");
		cp->dated = boolean(p, "dated");
		cp->max_per_order = (int)num(p, "max_per_order");
		if (cp->max_per_order <= 0)
			cp->max_per_order = ev->max_per_order;
		cp->admits = (int)num(p, "admits");
		cp->sale_starts_ms = num(p, "sale_starts_ms");
		cp->sale_ends_ms = num(p, "sale_ends_ms");
		cJSON_ArrayForEach(u, uses)
		{
			struct catalog_quota_use *q;
			if (cp->n_quotas == CATALOG_MAX_QUOTAS)
				break;
			q = &cp->quotas[cp->n_quotas++];
			q->quota_id = (int64_t)cJSON_GetNumberValue(cJSON_GetArrayItem(u, 0));
			q->units = (int64_t)cJSON_GetNumberValue(cJSON_GetArrayItem(u, 1));
			q->per_day = cJSON_IsTrue(cJSON_GetArrayItem(u, 2));
			if (q->per_day)
				cp->dated = true;
		}
		if (cp->name == NULL) {
			event_free(ev);
			return NULL;
		}
	}
	ev->loaded_ms = tk_now_ms();
	return ev;
}

/* The catalog version now: 0 before the first change, -1 when Redis cannot
 * say (then only the TTL bounds how old an entry may be). */
static int64_t version_now(struct arena *a)
{
	const char *argv[] = {"GET", CATALOG_VERSION_KEY};
	redisReply *rep;
	int64_t v;

	if (kv_cmd(a, 2, argv, &rep) != KV_OK)
		return -1;
	if (rep->type == REDIS_REPLY_NIL)
		return 0;
	if (rep->type != REDIS_REPLY_STRING || !tk_parse_i64(rep->str, 0, INT64_MAX, &v))
		return -1;
	return v;
}

void catalog_changed(struct arena *a)
{
	const char *argv[] = {"INCR", CATALOG_VERSION_KEY};
	redisReply *rep;

	catalog_flush();
	if (kv_cmd(a, 2, argv, &rep) != KV_OK)
		log_event(LOG_WARN, "catalog_version_bump_failed", NULL); /* the TTL bounds it */
}

enum catalog_err catalog_get(struct arena *a, const char *code, const struct catalog_event **out)
{
	int64_t now = tk_now_ms();
	struct slot *hit = NULL, *victim = &slots[0];
	PGresult *res;
	enum db_err e;
	cJSON *j;
	struct catalog_event *ev;
	int64_t version;

	if (!tk_valid_event_code(code))
		return CATALOG_NOT_FOUND;
	/* Read before PostgreSQL: a change committed after this read raises
	 * the version past what the entry is labelled with, so the next
	 * request reloads; an entry can never carry a version newer than its
	 * data. */
	version = version_now(a);
	for (size_t i = 0; i < CATALOG_SLOTS; i++) {
		if (slots[i].ev && strcmp(slots[i].ev->code, code) == 0)
			hit = &slots[i];
		if (slots[i].ev == NULL || slots[i].used_ms < victim->used_ms)
			victim = &slots[i];
	}
	if (hit && now - hit->ev->loaded_ms < ttl_ms() && version >= 0 && hit->version == version) {
		hit->used_ms = now;
		*out = hit->ev;
		return CATALOG_OK;
	}
	{
		const char *params[] = {code};
		e = db_exec(a, &q_load, params, &res);
	}
	if (e != DB_OK) {
		/* PostgreSQL is away: a stale entry beats no answer on the rush
		 * path; Redis still guards the stock. */
		if (hit) {
			*out = hit->ev;
			return CATALOG_OK;
		}
		return CATALOG_DOWN;
	}
	if (db_rows(res) != 1) {
		if (hit) {
			event_free(hit->ev);
			hit->ev = NULL;
		}
		return CATALOG_NOT_FOUND;
	}
	j = cJSON_Parse(db_str(res, 0, "ev"));
	ev = j ? event_from_json(j) : NULL;
	cJSON_Delete(j);
	if (ev == NULL)
		return CATALOG_DOWN;
	if (hit)
		victim = hit;
	event_free(victim->ev);
	victim->ev = ev;
	victim->used_ms = now;
	victim->version = version;
	*out = ev;
	return CATALOG_OK;
}

const char *catalog_date_problem(const struct catalog_event *ev, const char *date)
{
	char today[11];

	if (!tk_valid_date(date))
		return "date_format";
	if (strcmp(date, ev->starts_on) < 0 || strcmp(date, ev->ends_on) > 0)
		return "date_outside_event";
	tk_today_seoul(today);
	if (strcmp(date, today) < 0)
		return "date_past";
	if (ev->closed_weekdays & (1u << tk_iso_weekday(date)))
		return "date_closed";
	for (size_t i = 0; i < ev->n_closed_dates; i++)
		if (strcmp(ev->closed_dates[i], date) == 0)
			return "date_closed";
	return NULL;
}

const struct catalog_product *catalog_product(const struct catalog_event *ev, int64_t id)
{
	for (size_t i = 0; i < ev->n_products; i++)
		if (ev->products[i].id == id)
			return &ev->products[i];
	return NULL;
}
