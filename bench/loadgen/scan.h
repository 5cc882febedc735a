// The hot path's text work: request bodies built by substitution, answers classified by
// substring search. Nothing here parses JSON, so a call costs no allocation once the buffers
// have grown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace mcp_supa::loadgen
{

// One JSON-RPC request body for each call: the method and params fixed, the id and every
// {{rand}} in the params filled in per call.
class RequestTemplate
{
public:
	// rand_max is the upper bound of {{rand}} (ignored when params has none).
	RequestTemplate(const std::string &method, const std::string &params, uint64_t rand_max);

	// Appends the body of request `id` to out.
	void append(std::string &out, uint64_t id);

private:
	std::vector<std::string> pieces_; // the text between the id and the {{rand}} slots
	std::mt19937_64 rng_;
	std::uniform_int_distribution<uint64_t> dist_;
};

enum class Reply {
	Result,       // a JSON-RPC result
	ToolError,    // a result with "isError":true
	RpcError,     // a JSON-RPC error object
	Notification, // a message from the server that answers nothing (has a method)
	Malformed,    // none of the above
};

struct Scan {
	Reply kind = Reply::Malformed;
	bool has_id = false; // a numeric id was found
	uint64_t id = 0;
};

// Classifies one JSON-RPC message as the gateway writes it (compact JSON). Only substrings
// are looked for: the first "id": is the top-level one (the server writes it before result),
// and whichever of "result": / "error": comes first is the top-level member.
Scan scan_message(const char *p, std::size_t n);

// Appends the decimal form of v without allocating beyond out's capacity.
void append_uint(std::string &out, uint64_t v);

// The body of an initialize request with id `id`.
std::string initialize_body(uint64_t id);

// The body of notifications/initialized.
const std::string &initialized_notification();

} // namespace mcp_supa::loadgen
