// Shared by every tool family: checks of a call's arguments before any job is built. Each
// check sets error to a message for the caller and returns false when the argument is wrong.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

namespace mcp_supa::tools
{

using Json = nlohmann::json;

// PostgreSQL's identifier length (NAMEDATALEN - 1).
constexpr std::size_t kMaxIdentifierBytes = 63;

// Checks that args has only the allowed keys.
bool only_keys(const Json &args, std::initializer_list<const char *> keys, std::string &error);

// Reads a required non-empty string argument of at most max_bytes.
bool required_string(const Json &args, const char *name, std::size_t max_bytes, std::string &out,
                     std::string &error);

// Reads an optional boolean argument (absent or null leaves out as it is).
bool optional_bool(const Json &args, const char *name, bool &out, std::string &error);

} // namespace mcp_supa::tools
