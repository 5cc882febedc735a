// The tool registry: one entry per MCP tool with its definition, argument validation into a
// job, result shaping, flags and backend. Tools come in families (src/tools/sql.cpp,
// src/tools/catalog.cpp, ...), each registering its entries; the MCP layer knows no tool by
// name and routes every call through its entry.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcp_supa/tools/http_request.h"

namespace mcp_supa::tools
{

using Json = nlohmann::json;

// What a call needs from the gateway's settings.
struct CallLimits {
	bool read_only = false;
	int max_query_bytes = 1024 * 1024;
};

// confirm_argument of a tool whose token is bound to all its arguments (the row tools).
inline constexpr const char kConfirmAllArguments[] = "*";

// Where a tool's job goes.
enum class Backend {
	Executor, // a job for an executor background worker (docs/ipc.md)
	Http,     // an outbound HTTP request from the gateway (the Storage tools)
};

// Validates arguments and builds the job; on invalid arguments returns nullopt and sets error
// to a message for the caller.
using BuildJobFn = std::optional<Json> (*)(const Json &args, const CallLimits &limits,
                                           std::string &error);
// Turns a successful backend result into a CallToolResult; tag names the untrusted-data
// boundary. Failed and too-deep results never reach it (shape_result answers those).
using ShapeFn = Json (*)(const Json &args, const Json &result, const std::string &tag);
// The serialized CallToolResult built straight from the result's unparsed text (no JSON
// tree); empty when the result does not qualify and ShapeFn must be used.
using FastShapeFn = std::string (*)(const Json &result, const std::string &tag);

// Http backend: validates arguments and builds the request (settings and identity from in);
// on invalid arguments or a missing setting returns nullopt and sets error.
using BuildHttpFn = std::optional<HttpRequestSpec> (*)(const Json &args, const HttpCallInputs &in,
                                                       std::string &error);
// Http backend: turns the answer (whatever it is: errors too) into a CallToolResult; the body
// may be moved out of reply.
using ShapeHttpFn = Json (*)(const Json &args, const HttpCallInputs &in, HttpReply &reply,
                             const std::string &tag);

struct ToolEntry {
	// The definition tools/list shows.
	std::string name;
	// The family the tool belongs to ("sql", "catalog", "rows", "storage"): what
	// mcp_supa.features and per-key tool scopes name besides single tools.
	std::string family;
	std::string title;
	std::string description;
	Json input_schema;
	Json output_schema;
	bool read_only = false;   // changes nothing: readOnlyHint and idempotentHint
	bool destructive = false; // destructiveHint
	// Runs the caller's own SQL or changes rows: mcp_supa.allowed_statements applies, and
	// destructive statements are held back until confirmed (a "confirm" token or elicitation).
	bool confirmable = false;
	// The argument a confirmation token is bound to (confirmable tools); kConfirmAllArguments
	// binds it to the tool and all its arguments but the token.
	std::string confirm_argument;
	Backend backend = Backend::Executor;
	BuildJobFn build_job = nullptr;
	ShapeFn shape = nullptr;
	FastShapeFn fast_shape = nullptr; // optional
	BuildHttpFn build_http = nullptr; // Backend::Http
	ShapeHttpFn shape_http = nullptr; // Backend::Http
	// Where tools/list shows the tool, lowest first (clients have seen this order).
	int list_position = 0;
	// The full definition object, filled in by Registry::add.
	Json definition;
};

class Registry
{
public:
	// Adds a tool (the family functions below call it).
	void add(ToolEntry entry);
	// The tool of that name, or null.
	const ToolEntry *find(std::string_view name) const;
	// Every tool in tools/list order.
	const std::vector<ToolEntry> &entries() const { return entries_; }
	// Every tool definition in tools/list order.
	const Json &definitions() const { return definitions_; }

private:
	std::vector<ToolEntry> entries_;
	Json definitions_ = Json::array();
};

// The process-wide registry, every family registered on first use.
const Registry &registry();

// The initialize result's instructions: what the server is and how its tools fit together.
const char *server_instructions();

// The families: each adds its tools.
void register_sql_tools(Registry &registry);     // src/tools/sql.cpp
void register_catalog_tools(Registry &registry); // src/tools/catalog.cpp
void register_rows_tools(Registry &registry);    // src/tools/rows.cpp
void register_storage_tools(Registry &registry); // src/tools/storage_tools.cpp

// Validates the arguments of a call (an object, then the entry's own checks) into its job.
std::optional<Json> build_job(const ToolEntry &tool, const Json &args, const CallLimits &limits,
                              std::string &error);

// Turns a backend result into the tool's CallToolResult: failures and rows nested too deep
// the same way for every tool, the rest through the entry's shaper.
Json shape_result(const ToolEntry &tool, const Json &args, const Json &result,
                  const std::string &tag);

// Http backend: validates the arguments of a call (an object, then the entry's own checks) and
// builds its request.
std::optional<HttpRequestSpec> build_http(const ToolEntry &tool, const Json &args,
                                          const HttpCallInputs &in, std::string &error);
// Http backend: the CallToolResult of an answer, through the entry's shaper.
Json shape_http_result(const ToolEntry &tool, const Json &args, const HttpCallInputs &in,
                       HttpReply &reply, const std::string &tag);
// The first text of an error CallToolResult (for the audit record's message).
std::string http_error_summary(const Json &result);

} // namespace mcp_supa::tools
