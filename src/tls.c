/* SPDX-License-Identifier: MIT */
/*
 * tls.c - the CAs every libcurl handle of gravity trusts (see tls.h).
 * Certificate and host name checks themselves stay libcurl's defaults
 * (CURLOPT_SSL_VERIFYPEER and _VERIFYHOST on); only 'insecure' turns
 * them off, in the modules that own that option.
 */
#include <unistd.h>

#include "gravity/tls.h"

CURLcode
gr_tls_trust(CURL *h, const char *cafile)
{
	CURLcode rc;

	if (!cafile && access(GR_TLS_SYSTEM_BUNDLE, R_OK) == 0)
		cafile = GR_TLS_SYSTEM_BUNDLE;
	if (!cafile)
		return CURLE_OK;
	rc = curl_easy_setopt(h, CURLOPT_CAINFO, cafile);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	return rc;
}
