/*
 * histapi.h: the history routes (proxy/histapi.c), rows of api_routes[].
 */
#ifndef OUTPOST_HISTAPI_H
#define OUTPOST_HISTAPI_H

struct http_exchange;

/* GET /v1/devices/{ep}/history: the device's series. */
void	history_list_http(struct http_exchange *hx);
/* GET /v1/devices/{ep}/history/{path...}: a window of one series. */
void	history_http(struct http_exchange *hx);

#endif /* OUTPOST_HISTAPI_H */
