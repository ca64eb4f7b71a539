// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP side of the metrics endpoint, on libmicrohttpd: one internal
 * thread polls, so requests are served one at a time and a scrape never
 * races another.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "mx.h"

struct fg_mx_http {
	struct MHD_Daemon *d;
	struct fg_mx_build build;
};

int fg_mx_http_parse_addr(const char *addr, void *sa, __u32 *salen)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
					     AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM},
			*res;
	char host[64];
	const char *colon = strrchr(addr, ':');
	bool bracket = addr[0] == '[';
	size_t hl;
	char *end;
	long port;

	if (!colon || colon == addr)
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 1 || port > 65535)
		return -EINVAL;
	hl = colon - addr;
	if (bracket) {
		if (hl < 3 || addr[hl - 1] != ']')
			return -EINVAL;
		addr++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (strchr(host, ':') && !bracket)
		return -EINVAL; /* an IPv6 address needs its brackets */
	if (getaddrinfo(host, colon + 1, &hints, &res))
		return -EINVAL;
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*salen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     const char *type, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned int code,
			    const char *msg)
{
	char *b = NULL;
	int n = asprintf(&b, "%s\n", msg);

	return n < 0 ? MHD_NO
		     : reply(c, code, "text/plain; charset=utf-8", b, n);
}

static enum MHD_Result metrics(struct fg_mx_http *h, struct MHD_Connection *c)
{
	struct fg_mx m;
	size_t len = 0;
	char *buf = NULL;
	FILE *f;
	int err;

	err = fg_mx_read(&m);
	if (err) {
		fg_log(FG_LOG_ERR, "scrape_failed", "error=%s", fg_strerr(err));
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "cannot read the counters");
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		fg_mx_free(&m);
		return MHD_NO;
	}
	fg_mx_prom(f, &m, &h->build);
	fclose(f);
	if (m.state_err)
		fg_log(FG_LOG_WARN, "no_state", "dir=%s\terror=%s",
		       fg_pin_dir(), fg_strerr(m.state_err));
	fg_mx_free(&m);
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     buf, len);
}

static enum MHD_Result healthz(struct MHD_Connection *c)
{
	char why[256];
	struct fg_mx m;
	int err;

	err = fg_mx_read(&m);
	if (err) {
		snprintf(why, sizeof(why), "cannot read the counters: %s",
			 fg_strerr(err));
	} else {
		err = fg_mx_health(&m, why, sizeof(why));
		fg_mx_free(&m);
	}
	if (err)
		fg_log(FG_LOG_WARN, "unhealthy", "reason=%s", why);
	return text(c, err ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, why);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **req)
{
	struct fg_mx_http *h = cls;

	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "only GET and HEAD");
	if (!strcmp(url, "/metrics"))
		return metrics(h, c);
	if (!strcmp(url, "/healthz"))
		return healthz(c);
	if (!strcmp(url, "/"))
		return text(c, MHD_HTTP_OK,
			    "flowgate metrics: /metrics /healthz");
	return text(c, MHD_HTTP_NOT_FOUND, "not found");
}

int fg_mx_http_start(struct fg_mx_http **out, const char *addr,
		     const struct fg_mx_build *b)
{
	struct sockaddr_storage sa;
	struct fg_mx_http *h;
	unsigned int flags;
	__u32 salen;
	int err;

	err = fg_mx_http_parse_addr(addr, &sa, &salen);
	if (err)
		return err;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->build = *b;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	h->d = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
		MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
	if (!h->d) {
		err = errno ? -errno : -EADDRINUSE;
		free(h);
		return err;
	}
	*out = h;
	return 0;
}

void fg_mx_http_stop(struct fg_mx_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
