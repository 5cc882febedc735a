// Helpers shared by the gateway's lws glue files: reading request headers, the client address
// behind trusted proxies, the admission of a request, and the one write buffer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mcp_supa/auth/client_address.h"
#include "mcp_supa/common/json_limits.h"
#include "mcp_supa/config/gateway_config.h"
#include "mcp_supa/core/admission.h"

struct lws;

namespace mcp_supa::net
{

class GatewayLoop;
using core::RequestHeaders;

std::string custom_header(lws *wsi, const char *name_with_colon);
// Copies a header lws knows by token (an lws_token_indexes); "" when absent or over 16 KiB.
std::string token_header(lws *wsi, int token);
// The entries of a comma-separated header list (Sec-WebSocket-Protocol), blanks trimmed,
// empty ones dropped.
std::vector<std::string> header_list(const std::string &list);
// A reused buffer of at least n bytes for one lws_write: the gateway has one thread, and lws
// copies whatever it cannot send at once, so the buffer is free again when lws_write returns.
unsigned char *write_scratch(std::size_t n);
RequestHeaders read_headers(lws *wsi);
// Behind a trusted proxy: the client address from X-Forwarded-For / Forwarded (admission.cpp).
void resolve_client_address(lws *wsi, RequestHeaders &h,
                            const std::vector<auth::AddressRange> &trusted);
// Admits a request (GatewayCore::admit); a token naming an unknown kid may refresh the JWKS.
core::Decision admit_request(GatewayLoop &loop, const RequestHeaders &h, const std::string &token);
// method/path/headers/client address as the request.* settings of a job.
nlohmann::json request_info(const RequestHeaders &h, const char *method);

} // namespace mcp_supa::net
