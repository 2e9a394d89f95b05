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

#include <stdint.h>
#include <stdio.h>

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

/* For the benchmark (ticketctl explain-figures): EXPLAIN (ANALYZE,
 * BUFFERS) of the dashboard, the daily and monthly sales statistics of
 * event_id and analytics/overview, exactly as the handlers send them,
 * written to out. false when a statement failed (message written). */
bool sales_explain(FILE *out, int64_t event_id);

#endif
