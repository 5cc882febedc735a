// What the Storage tools share (src/tools/storage_request.cpp): checks of bucket names and
// object paths, URLs of the Supabase Storage REST routes, the caller's identity as request
// headers, and reading Storage's answers (its errors carry the real status in the body).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcp_supa/tools/http_request.h"

namespace mcp_supa::tools
{

// The longest object path (Storage's own key limit is 1024 bytes) and bucket name.
constexpr std::size_t kMaxObjectPathBytes = 1024;
constexpr std::size_t kMaxBucketBytes = 100;
// The most paths one delete_objects call takes (Storage's own limit is 1000).
constexpr std::size_t kMaxDeletePaths = 1000;

// Checks a bucket name: 1..100 characters of letters, digits, '-', '_', '.', not "." or "..".
bool valid_bucket(std::string_view bucket, std::string &error);
// Checks an object path: 1..1024 bytes, no control characters, no leading '/', no empty, "."
// or ".." segment (they would change the route after URL normalization).
bool valid_object_path(std::string_view path, std::string &error);
// Percent-encodes a path for a URL, segment by segment ('/' kept; RFC 3986 unreserved kept).
std::string encode_path(std::string_view path);
// The URL of a route ("/object/list/b") under the Storage base URL (no doubled '/').
std::string storage_route_url(const std::string &base, const std::string &route);

// Adds the caller's identity: Authorization (the JWT caller's token, or one minted for an
// API-key caller; none for anonymous callers, whom Storage treats as anon) and apikey. False
// with error when an API-key caller cannot get a token (no mcp_supa.jwt_secret).
bool add_storage_identity(const HttpCallInputs &in,
                          std::vector<std::pair<std::string, std::string>> &headers,
                          std::string &error);

// An error Storage answered: the body's statusCode (a string in real Storage) or the HTTP
// status, and its error and message.
struct StorageError {
	int status = 0;
	std::string error;
	std::string message;
};
// The error in an answer, if it is one (HTTP status >= 400 or a body statusCode >= 400).
std::optional<StorageError> storage_error(const HttpReply &reply);
// The tool error text for an exchange that got no usable answer (breaker open, connection
// error, timeout, too large), or "" when it got one.
std::string transport_failure_text(const HttpReply &reply, const HttpCallInputs &in);

} // namespace mcp_supa::tools
