/*
 * fwapi.h: the firmware routes of the HTTP API (proxy/fwapi.c).
 */
#ifndef OUTPOST_FWAPI_H
#define OUTPOST_FWAPI_H

struct http_exchange;

/* /v1/firmware: GET lists, POST takes a manifest. */
void	api_firmware(struct http_exchange *hx);
/* /v1/firmware/{id}: GET, DELETE. */
void	api_firmware_one(struct http_exchange *hx);
/* /v1/firmware/{id}/image: PUT, in parts with Content-Range. */
void	api_firmware_image(struct http_exchange *hx);
/* /v1/firmware/{id}/announce: POST multicasts the manifest. */
void	api_firmware_announce(struct http_exchange *hx);

/* proxy/campapi.c: /v1/campaigns (GET, POST), /v1/campaigns/{id} (GET),
 * /v1/campaigns/{id}/{action} (POST pause, resume, cancel). */
void	api_campaigns(struct http_exchange *hx);
void	api_campaign(struct http_exchange *hx);
void	api_campaign_action(struct http_exchange *hx);

/* proxy/jobapi.c: /v1/jobs (GET, POST), /v1/jobs/{id} (GET),
 * /v1/jobs/{id}/devices (GET, paged), /v1/jobs/{id}/{action} (POST pause,
 * resume, continue, cancel). */
void	api_jobs(struct http_exchange *hx);
void	api_job(struct http_exchange *hx);
void	api_job_devices(struct http_exchange *hx);
void	api_job_action(struct http_exchange *hx);

#endif /* OUTPOST_FWAPI_H */
