/* SPDX-License-Identifier: MIT */
/*
 * tls.h - which certificate authorities a libcurl handle trusts (IMAP,
 * CalDAV, OAuth2 token endpoint: one rule for all three).
 */
#ifndef GRAVITY_TLS_H
#define GRAVITY_TLS_H

#include <curl/curl.h>

/* Debian's bundle of the system CAs (update-ca-certificates(8)). */
#define GR_TLS_SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

/*
 * Point h at the CAs to trust: cafile alone when one is named (a private
 * CA: the system's CAs are then not consulted); otherwise the system
 * bundle file when it exists, read once, instead of the directory
 * libcurl-gnutls reads by default (which names every CA twice, by file
 * name and by hash: twice the parsing and 3-4 MB more memory for the same
 * trust); otherwise libcurl's own defaults.  Returns libcurl's code.
 */
CURLcode gr_tls_trust(CURL *h, const char *cafile);

#endif
