/* product.c — products, their quotas and package contents (see product.h). */
#include "product.h"

#include "activity.h"
#include "app.h"
#include "audit.h"
#include "catalog.h"
#include "db.h"
#include "event.h"
#include "json.h"
#include "log.h"
#include "reconcile.h"
#include "tk.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The product JSON, built by PostgreSQL from a row aliased p. */
#define PRODUCT_FIELDS \
	"'id', p.id, 'event_id', p.event_id, 'type', p.type, 'name', p.name," \
	" 'description', p.description, 'price', p.price, 'dated', p.dated," \
	" 'max_per_order', p.max_per_order, 'sale_starts_at', iso(p.sale_starts_at)," \
	" 'sale_ends_at', iso(p.sale_ends_at), 'admits', p.admits, 'sort_order', p.sort_order," \
	" 'is_active', p.is_active," \
	" 'quota_ids', COALESCE((SELECT json_agg(pq.quota_id ORDER BY pq.quota_id)" \
	"   FROM product_quotas pq JOIN quotas q ON q.id = pq.quota_id AND q.deleted_at IS NULL" \
	"   WHERE pq.product_id = p.id), '[]')," \
	" 'items', COALESCE((SELECT json_agg(json_build_object('product_id', pi.product_id," \
	"   'name', ip.name, 'qty', pi.qty) ORDER BY pi.product_id)" \
	"   FROM package_items pi JOIN products ip ON ip.id = pi.product_id" \
	"   WHERE pi.package_id = p.id), '[]')," \
	" 'created_at', iso(p.created_at), 'updated_at', iso(p.updated_at)"
#define PRODUCT_JSON "json_build_object(" PRODUCT_FIELDS ")"

/* A page in one round trip: no row = no such event. */
static struct db_stmt q_list = DB_STMT(
    "SELECT (SELECT count(*) FROM products p WHERE p.event_id = e.id"
    "   AND p.deleted_at IS NULL) AS total,"
    " COALESCE((SELECT json_agg(s.o ORDER BY s.sort_order, s.id)"
    "   FROM (SELECT " PRODUCT_JSON " AS o, p.sort_order, p.id FROM products p"
    "     WHERE p.event_id = e.id AND p.deleted_at IS NULL"
    "     ORDER BY p.sort_order, p.id LIMIT $2 OFFSET $3) s), '[]') AS items"
    " FROM events e WHERE e.id = $1 AND e.deleted_at IS NULL",
    3);

/* No row = no such event; found = false when it has no such live product. */
static struct db_stmt q_get = DB_STMT(
    "SELECT p.id IS NOT NULL AS found, " PRODUCT_JSON " AS obj"
    " FROM events e LEFT JOIN products p ON p.event_id = e.id AND p.id = $2"
    "   AND p.deleted_at IS NULL"
    " WHERE e.id = $1 AND e.deleted_at IS NULL",
    2);

/* Inside a change's transaction: the event stays live until it commits. */
static struct db_stmt q_lock = DB_STMT(
    "SELECT p.type, p.name, " PRODUCT_JSON " AS obj FROM products p"
    " WHERE p.event_id = $1 AND p.id = $2 AND p.deleted_at IS NULL FOR UPDATE OF p",
    2);

static struct db_stmt q_obj = DB_STMT(
    "SELECT p.name, " PRODUCT_JSON " AS obj FROM products p WHERE p.id = $1", 1);

/* $2: a JSON object of validated values keyed by column; absent keys take
 * the defaults. */
static struct db_stmt q_insert = DB_STMT(
    "INSERT INTO products (event_id, type, name, description, price, dated, max_per_order,"
    " sale_starts_at, sale_ends_at, admits, sort_order, is_active)"
    " SELECT $1, j->>'type', j->>'name', COALESCE(j->>'description', ''), (j->>'price')::int,"
    " COALESCE((j->>'dated')::boolean, false), (j->>'max_per_order')::int,"
    " (j->>'sale_starts_at')::timestamptz, (j->>'sale_ends_at')::timestamptz,"
    " COALESCE((j->>'admits')::int, CASE WHEN j->>'type' = 'MERCH' THEN 0 ELSE 1 END),"
    " COALESCE((j->>'sort_order')::int, 0), COALESCE((j->>'is_active')::boolean, true)"
    " FROM (SELECT $2::jsonb AS j) s"
    " RETURNING id",
    2);

/* $2: the same object; only the keys present change. */
static struct db_stmt q_update = DB_STMT(
    "UPDATE products p SET"
    " type = CASE WHEN j ? 'type' THEN j->>'type' ELSE p.type END,"
    " name = CASE WHEN j ? 'name' THEN j->>'name' ELSE p.name END,"
    " description = CASE WHEN j ? 'description' THEN j->>'description' ELSE p.description END,"
    " price = CASE WHEN j ? 'price' THEN (j->>'price')::int ELSE p.price END,"
    " dated = CASE WHEN j ? 'dated' THEN (j->>'dated')::boolean ELSE p.dated END,"
    " max_per_order = CASE WHEN j ? 'max_per_order' THEN (j->>'max_per_order')::int"
    "   ELSE p.max_per_order END,"
    " sale_starts_at = CASE WHEN j ? 'sale_starts_at' THEN (j->>'sale_starts_at')::timestamptz"
    "   ELSE p.sale_starts_at END,"
    " sale_ends_at = CASE WHEN j ? 'sale_ends_at' THEN (j->>'sale_ends_at')::timestamptz"
    "   ELSE p.sale_ends_at END,"
    " admits = CASE WHEN j ? 'admits' THEN (j->>'admits')::int ELSE p.admits END,"
    " sort_order = CASE WHEN j ? 'sort_order' THEN (j->>'sort_order')::int ELSE p.sort_order END,"
    " is_active = CASE WHEN j ? 'is_active' THEN (j->>'is_active')::boolean ELSE p.is_active END"
    " FROM (SELECT $2::jsonb AS j) s"
    " WHERE p.id = $1",
    2);

static struct db_stmt q_delete = DB_STMT(
    "UPDATE products AS p SET deleted_at = now(), is_active = false"
    " WHERE p.id = $2 AND p.event_id = $1 AND p.deleted_at IS NULL"
    " RETURNING json_build_object(" PRODUCT_FIELDS ", 'deleted_at', iso(p.deleted_at)) AS obj",
    2);

static struct db_stmt q_quotas_clear = DB_STMT("DELETE FROM product_quotas WHERE product_id = $1",
                                               1);
static struct db_stmt q_quotas_add = DB_STMT(
    "INSERT INTO product_quotas (product_id, quota_id) SELECT $1, unnest($2::bigint[])", 2);
static struct db_stmt q_items_clear = DB_STMT("DELETE FROM package_items WHERE package_id = $1", 1);
static struct db_stmt q_items_add = DB_STMT(
    "INSERT INTO package_items (package_id, product_id, qty)"
    " SELECT $1, x.p, x.q FROM unnest($2::bigint[], $3::int[]) AS x(p, q)",
    3);

/* Which of the given ids are live quotas / products of the event (locked
 * against changes until COMMIT). */
static struct db_stmt q_quota_refs = DB_STMT(
    "SELECT id FROM quotas WHERE event_id = $1 AND deleted_at IS NULL"
    " AND id = ANY($2::bigint[]) FOR SHARE",
    2);
static struct db_stmt q_item_refs = DB_STMT(
    "SELECT id, type FROM products WHERE event_id = $1 AND deleted_at IS NULL"
    " AND id = ANY($2::bigint[]) FOR SHARE",
    2);

/* The live packages that contain a product. */
static struct db_stmt q_in_packages = DB_STMT(
    "SELECT count(*) AS n, COALESCE(json_agg(pi.package_id ORDER BY pi.package_id), '[]') AS ids"
    " FROM package_items pi JOIN products pk ON pk.id = pi.package_id"
    "   AND pk.deleted_at IS NULL AND pk.type = 'PACKAGE'"
    " WHERE pi.product_id = $1",
    1);

/* The product, or a live package containing it, drawing on more counters
 * than the booking path's catalog keeps per product ($2). */
static struct db_stmt q_units = DB_STMT(
    "SELECT u.product_id FROM product_quota_units u"
    " WHERE u.product_id = $1 OR u.product_id IN (SELECT pi.package_id FROM package_items pi"
    "   JOIN products pk ON pk.id = pi.package_id AND pk.deleted_at IS NULL"
    "   WHERE pi.product_id = $1)"
    " GROUP BY u.product_id HAVING count(*) > $2",
    2);

struct product_in {
	struct json_str type, name, description, sale_starts_at, sale_ends_at;
	struct json_int price, max_per_order, admits, sort_order;
	struct json_bool dated, is_active;
	struct json_node quota_ids, items;
};

/* quota_ids and items, checked element by element. */
struct product_refs {
	size_t n_quotas, n_items;
	int64_t quota_ids[PRODUCT_MAX_QUOTAS];
	int64_t item_ids[PRODUCT_MAX_ITEMS];
	int64_t item_qty[PRODUCT_MAX_ITEMS];
};

static bool type_ok(const char *s)
{
	return strcmp(s, "TICKET") == 0 || strcmp(s, "MERCH") == 0 || strcmp(s, "PACKAGE") == 0;
}

/* One table for POST (REQ = JF_REQUIRED) and PUT (REQ = 0). */
#define PRODUCT_IN_FIELDS(REQ) \
	JSON_STR("type", struct product_in, type, (REQ), 1, 7, type_ok), \
	    JSON_STR("name", struct product_in, name, (REQ), 1, PRODUCT_NAME_MAX, tk_valid_line), \
	    JSON_STR("description", struct product_in, description, JF_NULLABLE, 0, \
	             PRODUCT_DESCRIPTION_MAX, NULL), \
	    JSON_INT("price", struct product_in, price, (REQ), 0, PRODUCT_PRICE_MAX), \
	    JSON_BOOL("dated", struct product_in, dated, 0), \
	    JSON_INT("max_per_order", struct product_in, max_per_order, JF_NULLABLE, 1, 100), \
	    JSON_DATETIME("sale_starts_at", struct product_in, sale_starts_at, JF_NULLABLE), \
	    JSON_DATETIME("sale_ends_at", struct product_in, sale_ends_at, JF_NULLABLE), \
	    JSON_INT("admits", struct product_in, admits, 0, 0, 100), \
	    JSON_INT("sort_order", struct product_in, sort_order, 0, -PRODUCT_SORT_MAX, \
	             PRODUCT_SORT_MAX), \
	    JSON_BOOL("is_active", struct product_in, is_active, 0), \
	    JSON_ARR("quota_ids", struct product_in, quota_ids, 0, 0, PRODUCT_MAX_QUOTAS), \
	    JSON_ARR("items", struct product_in, items, 0, 0, PRODUCT_MAX_ITEMS)

static const struct json_field create_fields[] = {PRODUCT_IN_FIELDS(JF_REQUIRED)};
static const struct json_field update_fields[] = {PRODUCT_IN_FIELDS(0)};

struct item_in {
	struct json_int product_id, qty;
};

static const struct json_field item_fields[] = {
    JSON_INT("product_id", struct item_in, product_id, JF_REQUIRED, 1, JSON_MAX_SAFE_INT),
    JSON_INT("qty", struct item_in, qty, JF_REQUIRED, 1, PRODUCT_ITEM_QTY_MAX),
};

/* The elements of quota_ids and items, into rf; problems into errors. */
static void refs_validate(struct http_req *r, const struct product_in *in, struct product_refs *rf,
                          cJSON *errors)
{
	const cJSON *it;
	size_t i = 0;

	if (in->quota_ids.set && !in->quota_ids.null) {
		cJSON_ArrayForEach(it, in->quota_ids.v)
		{
			const char *f = arena_printf(r->arena, "quota_ids[%zu]", i++);
			double d = it->valuedouble;
			if (!cJSON_IsNumber(it) || d != floor(d) ||
			    fabs(d) > (double)JSON_MAX_SAFE_INT) {
				json_field_error(r, errors, f, "type_integer");
				continue;
			}
			if (d < 1) {
				json_field_error(r, errors, f, "not_found");
				continue;
			}
			for (size_t k = 0; k < rf->n_quotas; k++)
				if (rf->quota_ids[k] == (int64_t)d)
					json_field_error(r, errors, f, "duplicate");
			if (rf->n_quotas < PRODUCT_MAX_QUOTAS)
				rf->quota_ids[rf->n_quotas++] = (int64_t)d;
		}
	}
	i = 0;
	if (in->items.set && !in->items.null) {
		cJSON_ArrayForEach(it, in->items.v)
		{
			const char *prefix = arena_printf(r->arena, "items[%zu].", i);
			struct item_in ii = {0};
			if (!cJSON_IsObject(it)) {
				json_field_error(r, errors, arena_printf(r->arena, "items[%zu]", i),
				                 "type_object");
				i++;
				continue;
			}
			i++;
			if (!json_validate(r, it, item_fields, TK_ARRAY_LEN(item_fields), &ii,
			                   prefix, errors))
				continue;
			for (size_t k = 0; k < rf->n_items; k++)
				if (rf->item_ids[k] == ii.product_id.v)
					json_field_error(
					    r, errors,
					    arena_printf(r->arena, "%sproduct_id", prefix),
					    "duplicate");
			if (rf->n_items < PRODUCT_MAX_ITEMS) {
				rf->item_ids[rf->n_items] = ii.product_id.v;
				rf->item_qty[rf->n_items++] = ii.qty.v;
			}
		}
	}
}

/* The body, validated: fields, elements, and (type known) items only on a
 * PACKAGE; false after answering 400/415/422. */
static bool product_in_or_reply(struct http_req *r, const struct json_field *fields, size_t n,
                                struct product_in *in, struct product_refs *rf)
{
	const cJSON *body = json_object_body_or_reply(r);
	cJSON *errors;

	if (body == NULL)
		return false;
	errors = cJSON_CreateObject();
	json_validate(r, body, fields, n, in, NULL, errors);
	refs_validate(r, in, rf, errors);
	if (in->type.set && strcmp(in->type.v, "PACKAGE") != 0 && rf->n_items > 0)
		json_field_error(r, errors, "items", "invalid");
	if (cJSON_GetArraySize(errors) > 0) {
		json_reply_validation(r, errors);
		return false;
	}
	cJSON_Delete(errors);
	return true;
}

/* The validated columns as the JSON object q_insert / q_update read. */
static const char *product_patch(struct http_req *r, const struct product_in *in)
{
	cJSON *p = cJSON_CreateObject();
	char *text;

	json_put_str(p, "type", &in->type, false);
	json_put_str(p, "name", &in->name, false);
	json_put_str(p, "description", &in->description, true);
	json_put_int(p, "price", &in->price);
	json_put_bool(p, "dated", &in->dated);
	json_put_int(p, "max_per_order", &in->max_per_order);
	json_put_str(p, "sale_starts_at", &in->sale_starts_at, false);
	json_put_str(p, "sale_ends_at", &in->sale_ends_at, false);
	json_put_int(p, "admits", &in->admits);
	json_put_int(p, "sort_order", &in->sort_order);
	json_put_bool(p, "is_active", &in->is_active);
	text = arena_defer(r->arena, cJSON_free, cJSON_PrintUnformatted(p));
	cJSON_Delete(p);
	return text;
}

/* A PostgreSQL array literal of n integers: "{1,2,3}". */
static const char *int_array(struct arena *a, const int64_t *v, size_t n)
{
	char *s = arena_strdup(a, "{");

	for (size_t i = 0; i < n; i++)
		s = arena_printf(a, "%s%s%lld", s, i ? "," : "", (long long)v[i]);
	return arena_printf(a, "%s}", s);
}

/* ---- inside the transaction ----------------------------------------------------- */

/* Database errors with a field to blame (the transaction is rolled back). */
static void reply_db_error(struct http_req *r, enum db_err e)
{
	const char *c = db_last_constraint();

	if (e == DB_CHECK && strcmp(c, "products_sale_window") == 0) {
		db_rollback();
		json_reply_field(r, "sale_ends_at", "date_order");
	} else if (e == DB_CHECK && strncmp(c, "package_items_", 14) == 0) {
		db_rollback();
		json_reply_field(r, "items", "invalid");
	} else if (e == DB_CHECK && strcmp(c, "product_quotas_same_event") == 0) {
		db_rollback();
		json_reply_field(r, "quota_ids", "invalid");
	} else {
		app_reply_db_error(r, e);
	}
}

/* Every quota a live quota of this event, every item a live product of
 * this event that is not a package (nor self_id); false after replying
 * (422, or a database error) with the transaction rolled back. */
static bool refs_or_reply(struct http_req *r, const struct product_refs *rf, int64_t self_id)
{
	const char *eid = db_param_i64(r->arena, r->event_id);
	cJSON *errors = cJSON_CreateObject();
	PGresult *res;
	enum db_err e;

	if (rf->n_quotas > 0) {
		const char *params[] = {eid, int_array(r->arena, rf->quota_ids, rf->n_quotas)};
		if ((e = db_exec(r->arena, &q_quota_refs, params, &res)) != DB_OK)
			goto fail;
		for (size_t i = 0; i < rf->n_quotas; i++) {
			bool found = false;
			for (int k = 0; k < db_rows(res) && !found; k++)
				found = db_i64(res, k, "id") == rf->quota_ids[i];
			if (!found)
				json_field_error(r, errors,
				                 arena_printf(r->arena, "quota_ids[%zu]", i),
				                 "not_found");
		}
	}
	if (rf->n_items > 0) {
		const char *params[] = {eid, int_array(r->arena, rf->item_ids, rf->n_items)};
		if ((e = db_exec(r->arena, &q_item_refs, params, &res)) != DB_OK)
			goto fail;
		for (size_t i = 0; i < rf->n_items; i++) {
			const char *f = arena_printf(r->arena, "items[%zu].product_id", i);
			int k;
			for (k = 0; k < db_rows(res); k++)
				if (db_i64(res, k, "id") == rf->item_ids[i])
					break;
			if (k == db_rows(res))
				json_field_error(r, errors, f, "not_found");
			else if (strcmp(db_str(res, k, "type"), "PACKAGE") == 0 ||
			         rf->item_ids[i] == self_id)
				json_field_error(r, errors, f, "invalid");
		}
	}
	if (cJSON_GetArraySize(errors) > 0) {
		db_rollback();
		json_reply_validation(r, errors);
		return false;
	}
	cJSON_Delete(errors);
	return true;
fail:
	cJSON_Delete(errors);
	app_reply_db_error(r, e);
	return false;
}

/* Replaces the sets the body names (set_quotas, set_items) and drops the
 * items when clear_items. */
static enum db_err write_sets(struct http_req *r, const char *pid, const struct product_refs *rf,
                              bool set_quotas, bool set_items, bool clear_items)
{
	const char *p1[] = {pid};
	enum db_err e;

	if (set_quotas) {
		const char *params[] = {pid, int_array(r->arena, rf->quota_ids, rf->n_quotas)};
		if ((e = db_exec(r->arena, &q_quotas_clear, p1, NULL)) != DB_OK)
			return e;
		if (rf->n_quotas > 0 &&
		    (e = db_exec(r->arena, &q_quotas_add, params, NULL)) != DB_OK)
			return e;
	}
	if (set_items || clear_items) {
		const char *params[] = {pid, int_array(r->arena, rf->item_ids, rf->n_items),
		                        int_array(r->arena, rf->item_qty, rf->n_items)};
		if ((e = db_exec(r->arena, &q_items_clear, p1, NULL)) != DB_OK)
			return e;
		if (set_items && rf->n_items > 0 &&
		    (e = db_exec(r->arena, &q_items_add, params, NULL)) != DB_OK)
			return e;
	}
	return DB_OK;
}

/* The counters one unit draws on, for the product and every live package
 * containing it, within what the catalog keeps; false after replying 422
 * naming field. */
static bool units_or_reply(struct http_req *r, const char *pid, const char *field)
{
	const char *params[] = {pid, db_param_i64(r->arena, CATALOG_MAX_QUOTAS)};
	PGresult *res;
	enum db_err e = db_exec(r->arena, &q_units, params, &res);

	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return false;
	}
	if (db_rows(res) > 0) {
		db_rollback();
		json_reply_field(r, field, "too_long");
		return false;
	}
	return true;
}

/* Locks the path's product; false after replying 404 (rolled back). */
static bool lock_product_or_reply(struct http_req *r, int64_t *pid, PGresult **old)
{
	enum db_err e;

	if (!app_param_id_or_reply(r, "pid", pid, "NOT_FOUND"))
		return false;
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id),
		                        db_param_i64(r->arena, *pid)};
		if ((e = db_exec(r->arena, &q_lock, params, old)) != DB_OK) {
			app_reply_db_error(r, e);
			return false;
		}
	}
	if (db_rows(*old) != 1) {
		db_rollback();
		http_reply_error(r, "NOT_FOUND", NULL);
		return false;
	}
	return true;
}

/* 409 CONFLICT {"reason":"in_package","package_ids":[…]} when a live
 * package contains the product; false after replying. */
static bool not_in_package_or_reply(struct http_req *r, const char *pid)
{
	const char *params[] = {pid};
	PGresult *res;
	enum db_err e = db_exec(r->arena, &q_in_packages, params, &res);
	cJSON *d;

	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return false;
	}
	if (db_i64(res, 0, "n") == 0)
		return true;
	db_rollback();
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "reason", "in_package");
	cJSON_AddItemToObject(d, "package_ids", cJSON_Parse(db_str(res, 0, "ids")));
	http_reply_error(r, "CONFLICT", d);
	return false;
}

static void reply_product(struct http_req *r, int status, const char *text)
{
	cJSON *obj = cJSON_Parse(text ? text : "");

	if (obj == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	app_reply_object(r, status, "product", obj);
}

/* After a change of what products draw from: the counters as they should
 * be now (failures are repaired by the booking path on first use). */
static void reconcile_after(struct http_req *r, const char *pid)
{
	if (reconcile_event(r->arena, r->event_id, NULL) != RECONCILE_OK)
		log_event(LOG_WARN, "product_reconcile_deferred", "product", pid, NULL);
}

/* ---- handlers ------------------------------------------------------------------ */

void product_list(struct http_req *r)
{
	int64_t page, limit;
	PGresult *res;
	enum db_err e;

	if (!app_paging_or_reply(r, &page, &limit))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id),
		                        db_param_i64(r->arena, limit),
		                        db_param_i64(r->arena, (page - 1) * limit)};
		if ((e = db_exec(r->arena, &q_list, params, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	if (db_rows(res) != 1) {
		http_reply_error(r, "EVENT_NOT_FOUND", NULL);
		return;
	}
	app_reply_list(r, res, page, limit);
}

void product_get(struct http_req *r)
{
	int64_t pid;
	PGresult *res;
	/* A malformed id names no product; the event is still checked first. */
	const char *params[] = {db_param_i64(r->arena, r->event_id),
	                        http_param_id(r, "pid", &pid) ? db_param_i64(r->arena, pid) : NULL};

	if ((res = app_row_or_reply(r, &q_get, params, "EVENT_NOT_FOUND")) == NULL)
		return;
	if (!db_bool(res, 0, "found")) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	reply_product(r, 200, db_str(res, 0, "obj"));
}

void product_create(struct http_req *r)
{
	struct product_in in = {0};
	struct product_refs rf = {0};
	PGresult *res;
	enum db_err e;
	const char *pid;
	cJSON *obj, *sum;
	bool sets;

	if (!product_in_or_reply(r, create_fields, TK_ARRAY_LEN(create_fields), &in, &rf) ||
	    !event_lock_or_reply(r) || !refs_or_reply(r, &rf, 0))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id), product_patch(r, &in)};
		if ((e = db_exec(r->arena, &q_insert, params, &res)) != DB_OK)
			goto fail;
	}
	pid = db_str(res, 0, "id");
	sets = rf.n_quotas > 0 || rf.n_items > 0;
	if ((e = write_sets(r, pid, &rf, rf.n_quotas > 0, rf.n_items > 0, false)) != DB_OK)
		goto fail;
	if (sets && !units_or_reply(r, pid, rf.n_quotas > 0 ? "quota_ids" : "items"))
		return;
	{
		const char *params[] = {pid};
		if ((e = db_exec(r->arena, &q_obj, params, &res)) != DB_OK)
			goto fail;
	}
	obj = json_parse_owned(r, db_str(res, 0, "obj"));
	sum = http_own(r, cJSON_CreateObject());
	{
		static const char *const keys[] = {"type", "name", "price", "quota_ids", "items"};
		for (size_t i = 0; i < TK_ARRAY_LEN(keys); i++)
			cJSON_AddItemToObject(
			    sum, keys[i],
			    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(obj, keys[i]), true));
	}
	if ((e = audit_log(r, r->event_id, "product.create", "product", pid, sum)) != DB_OK ||
	    (e = db_commit()) != DB_OK)
		goto fail;
	catalog_changed(r->arena);
	if (sets)
		reconcile_after(r, pid);
	reply_product(r, 201, db_str(res, 0, "obj"));
	return;
fail:
	reply_db_error(r, e);
}

void product_update(struct http_req *r)
{
	static const char *const skip[] = {"updated_at", "description", NULL};
	struct product_in in = {0};
	struct product_refs rf = {0};
	PGresult *old, *res;
	int64_t pid;
	enum db_err e;
	const char *pids, *old_type, *new_type, *od, *nd;
	cJSON *before, *after, *changes, *sum;
	bool to_package, from_package;

	if (!product_in_or_reply(r, update_fields, TK_ARRAY_LEN(update_fields), &in, &rf) ||
	    !event_lock_or_reply(r) || !lock_product_or_reply(r, &pid, &old))
		return;
	pids = db_param_i64(r->arena, pid);
	old_type = db_str(old, 0, "type");
	new_type = in.type.set ? in.type.v : old_type;
	to_package = strcmp(new_type, "PACKAGE") == 0 && strcmp(old_type, "PACKAGE") != 0;
	from_package = strcmp(new_type, "PACKAGE") != 0 && strcmp(old_type, "PACKAGE") == 0;
	if (strcmp(new_type, "PACKAGE") != 0 && rf.n_items > 0) {
		db_rollback();
		json_reply_field(r, "items", "invalid");
		return;
	}
	/* A package cannot contain a package. */
	if (to_package && !not_in_package_or_reply(r, pids))
		return;
	if (!refs_or_reply(r, &rf, pid))
		return;
	{
		const char *params[] = {pids, product_patch(r, &in)};
		if ((e = db_exec(r->arena, &q_update, params, NULL)) != DB_OK)
			goto fail;
	}
	if ((e = write_sets(r, pids, &rf, in.quota_ids.set, in.items.set && !from_package,
	                    from_package)) != DB_OK)
		goto fail;
	if ((in.quota_ids.set || in.items.set || to_package) &&
	    !units_or_reply(r, pids, in.quota_ids.set || !in.items.set ? "quota_ids" : "items"))
		return;
	{
		const char *params[] = {pids};
		if ((e = db_exec(r->arena, &q_obj, params, &res)) != DB_OK)
			goto fail;
	}
	before = json_parse_owned(r, db_str(old, 0, "obj"));
	after = json_parse_owned(r, db_str(res, 0, "obj"));
	changes = activity_changes(before, after, skip);
	od = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(before, "description"));
	nd = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(after, "description"));
	if (od && nd && strcmp(od, nd) != 0) {
		cJSON *c = cJSON_AddObjectToObject(changes, "description");
		cJSON_AddNumberToObject(c, "before_length", (double)tk_utf8_len(od));
		cJSON_AddNumberToObject(c, "after_length", (double)tk_utf8_len(nd));
	}
	if (cJSON_GetArraySize(changes) == 0) {
		/* Nothing changed: no updated_at bump, nothing to log. */
		cJSON_Delete(changes);
		db_rollback();
		reply_product(r, 200, db_str(old, 0, "obj"));
		return;
	}
	sum = http_own(r, cJSON_CreateObject());
	cJSON_AddStringToObject(sum, "name", db_str(res, 0, "name"));
	cJSON_AddItemToObject(sum, "changes", changes);
	if ((e = audit_log(r, r->event_id, "product.update", "product", pids, sum)) != DB_OK ||
	    (e = db_commit()) != DB_OK)
		goto fail;
	catalog_changed(r->arena);
	if (cJSON_GetObjectItemCaseSensitive(changes, "quota_ids") ||
	    cJSON_GetObjectItemCaseSensitive(changes, "items") ||
	    cJSON_GetObjectItemCaseSensitive(changes, "type"))
		reconcile_after(r, pids);
	reply_product(r, 200, db_str(res, 0, "obj"));
	return;
fail:
	reply_db_error(r, e);
}

void product_delete(struct http_req *r)
{
	PGresult *old, *res;
	int64_t pid;
	enum db_err e;
	const char *pids;
	cJSON *sum;

	if (!event_lock_or_reply(r) || !lock_product_or_reply(r, &pid, &old))
		return;
	pids = db_param_i64(r->arena, pid);
	/* A live package would go on selling what it no longer shows. */
	if (!not_in_package_or_reply(r, pids))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id), pids};
		if ((e = db_exec(r->arena, &q_delete, params, &res)) != DB_OK)
			goto fail;
	}
	if (db_rows(res) != 1) {
		db_rollback();
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	sum = http_own(r, cJSON_CreateObject());
	cJSON_AddStringToObject(sum, "name", db_str(old, 0, "name"));
	cJSON_AddStringToObject(sum, "type", db_str(old, 0, "type"));
	if ((e = audit_log(r, r->event_id, "product.delete", "product", pids, sum)) != DB_OK ||
	    (e = db_commit()) != DB_OK)
		goto fail;
	catalog_changed(r->arena);
	reply_product(r, 200, db_str(res, 0, "obj"));
	return;
fail:
	app_reply_db_error(r, e);
}
