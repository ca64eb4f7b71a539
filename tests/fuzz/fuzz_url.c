// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the collector URL validator (fg_cfg_collector_parse)
 * that the command line, the config file and `daemon check` share. Beyond
 * "no crash, no UB": a refusal has a message; an accepted URL is
 * normalised to udp|tcp://HOST:PORT with a port of 1-65535, an IPv4 host
 * of four octets when it is all digits and dots, and the normal form is
 * accepted again unchanged.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = malloc(size + 1), out[FG_URL_LEN], again[FG_URL_LEN];
	char msg[256], host[FG_URL_LEN], *colon;
	unsigned long port;
	struct in_addr a;

	CHECK(url);
	memcpy(url, data, size);
	url[size] = '\0';
	msg[0] = '\0';
	if (fg_cfg_collector_parse(url, out, sizeof(out), msg, sizeof(msg))) {
		CHECK(msg[0]);
		free(url);
		return 0;
	}
	CHECK(!strncmp(out, "udp://", 6) || !strncmp(out, "tcp://", 6));
	colon = strrchr(out, ':');
	CHECK(colon && colon > out + 6);
	port = strtoul(colon + 1, NULL, 10);
	CHECK(port >= 1 && port <= 65535);
	snprintf(host, sizeof(host), "%.*s", (int)(colon - out - 6), out + 6);
	if (strspn(host, "0123456789.") == strlen(host))
		CHECK(inet_pton(AF_INET, host, &a) == 1);
	CHECK(!fg_cfg_collector_parse(out, again, sizeof(again), msg,
				      sizeof(msg)));
	CHECK(!strcmp(out, again));
	free(url);
	return 0;
}
