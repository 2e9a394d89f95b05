/*
 * router.h — routing tables. A family's routes are a static array; each
 * entry names the method, the pattern relative to the family prefix
 * ("events/{id}/notices/{nid}"), the handler, and the permission it needs,
 * so no handler can forget the check.
 */
#ifndef ROUTER_H
#define ROUTER_H

#include "http.h"
#include "perm.h"

typedef void (*route_handler)(struct http_req *r);

/* Where an event-scoped route finds the event it is about. */
enum route_scope {
	SCOPE_NONE,       /* not about one event */
	SCOPE_PATH_ID,    /* path parameter {id} is the event id */
	SCOPE_BODY_EVENT, /* JSON body field "event_id" is the event id */
};

struct route {
	enum http_method method;
	const char *pattern;
	route_handler handler;
	int level; /* enum perm_level */
	enum route_scope scope;
};

enum router_result {
	ROUTER_FOUND,
	ROUTER_NOT_FOUND,  /* no pattern matches the path */
	ROUTER_BAD_METHOD, /* a pattern matches, but not with this method */
};

/* Matches r->route_path and r->method against the table. On ROUTER_FOUND
 * sets r->route and the path parameters. On ROUTER_BAD_METHOD writes the
 * allowed methods ("GET, POST") into allow (size allow_len). HEAD matches
 * GET routes. A segment longer than TK_MAX_SEGMENT never matches. */
enum router_result router_match(const struct route *routes, size_t n, struct http_req *r,
                                char *allow, size_t allow_len);

/* Checks a table for mistakes a programmer can make (an event-level route
 * without a scope, a malformed pattern, a duplicate); false with a message
 * on stderr when one is found. Called once at worker start. */
bool router_check_table(const struct route *routes, size_t n);

#endif
