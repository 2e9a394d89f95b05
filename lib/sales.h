/*
 * sales.h — the figures managers and the super admin run the exhibitions
 * by: the event dashboard, sales statistics per period, and the super
 * admin's analytics (overview, per event, revenue, realtime).
 *
 * Sales figures come from the summary tables of sql/0012_sales.sql
 * (sales_daily, sales_product_daily), which deferred triggers keep in the
 * transaction of every sale, refund and admission; each figure is counted
 * on the sale day of its order (paid_at in the event's zone) and is net of
 * refunds. The "last minutes" figures read the newest rows of orders and
 * scans through their (event_id, time) indexes, and live holds from Redis.
 */
#ifndef SALES_H
#define SALES_H

#include "http.h"

/* Periods a statistics query groups by; the longest daily range asked. */
#define SALES_MAX_DAYS 3660 /* ten years of days in one answer at most */
/* Events analytics/realtime asks Redis about, at most (the active ones). */
#define SALES_REALTIME_EVENTS 1000

/* GET events/{id}/dashboard (VIEWER+, SCOPE_PATH_ID). */
void sales_dashboard(struct http_req *r);
/* GET events/{id}/stats/sales?period=daily|weekly|monthly&from=&to=; 422
 * for a bad period or date, from after to. */
void sales_stats(struct http_req *r);
/* GET analytics/overview, analytics/events (paged), analytics/revenue
 * ?period=daily|weekly|monthly|yearly&from=&to=, analytics/realtime
 * (PERM_SUPER). */
void sales_overview(struct http_req *r);
void sales_events(struct http_req *r);
void sales_revenue(struct http_req *r);
void sales_realtime(struct http_req *r);

#endif
