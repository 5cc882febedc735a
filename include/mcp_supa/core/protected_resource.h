// OAuth 2.1 protected-resource support (MCP authorization, RFC 9728): the resource URL this
// server is, its metadata document naming the authorization server (mcp_supa.auth_issuer,
// the project's Supabase Auth), and the WWW-Authenticate challenge of a 401 that points
// clients at that document. Tokens themselves are verified as every JWT is (secret or JWKS,
// mcp_supa.jwt_audience).
#pragma once

#include <string>
#include <string_view>

#include "mcp_supa/config/gateway_config.h"

namespace mcp_supa::core
{

// The well-known path the metadata is served at (and under, followed by the resource's path).
constexpr const char *kProtectedResourcePath = "/.well-known/oauth-protected-resource";

// The resource URL: mcp_supa.public_url, else http(s)://<first listen address>:<port>/mcp.
std::string resource_url(const GatewayConfig &cfg);

// Where the metadata of the resource is (RFC 9728 §3.1: the well-known path inserted between
// host and path), e.g. http://h:8432/.well-known/oauth-protected-resource/mcp.
std::string resource_metadata_url(const GatewayConfig &cfg);

// True when a path is one the metadata is served at.
bool protected_resource_path(std::string_view path);

// The metadata document (JSON), or "" when no authorization server is configured.
std::string protected_resource_body(const GatewayConfig &cfg);

// The WWW-Authenticate value of a 401: Bearer with realm, resource_metadata when an
// authorization server is configured, and error/error_description when a credential was
// sent (the description already made header-safe by the caller).
std::string bearer_challenge(const GatewayConfig &cfg, bool credential_sent,
                             const std::string &safe_description);

} // namespace mcp_supa::core
