// Request templates and answer classification (see scan.h).
#include "scan.h"

#include <charconv>
#include <cstring>

namespace mcp_supa::loadgen
{

namespace
{

// memmem over a [p, p+n) range; nullptr when absent.
const char *find(const char *p, std::size_t n, const char *needle)
{
	return static_cast<const char *>(memmem(p, n, needle, strlen(needle)));
}

} // namespace

RequestTemplate::RequestTemplate(const std::string &method, const std::string &params,
                                 uint64_t rand_max)
    : rng_(std::random_device{}()), dist_(1, rand_max ? rand_max : 1)
{
	// Everything after the id, cut at each {{rand}}: the pieces go between the random numbers.
	std::string tail = ",\"method\":\"" + method + "\",\"params\":" + params + "}";
	std::size_t from = 0;
	for (std::size_t at; (at = tail.find("{{rand}}", from)) != std::string::npos; from = at + 8)
		pieces_.push_back(tail.substr(from, at - from));
	pieces_.push_back(tail.substr(from));
}

void RequestTemplate::append(std::string &out, uint64_t id)
{
	out.append("{\"jsonrpc\":\"2.0\",\"id\":");
	append_uint(out, id);
	out.append(pieces_[0]);
	for (std::size_t i = 1; i < pieces_.size(); i++) {
		append_uint(out, dist_(rng_));
		out.append(pieces_[i]);
	}
}

void append_uint(std::string &out, uint64_t v)
{
	char buf[24];
	auto r = std::to_chars(buf, buf + sizeof(buf), v);
	out.append(buf, std::size_t(r.ptr - buf));
}

Scan scan_message(const char *p, std::size_t n)
{
	Scan s;
	const char *end = p + n;
	const char *id = find(p, n, "\"id\":");
	const char *method = find(p, n, "\"method\":");
	// A server request or notification names its method before any id of its own.
	if (method && (!id || method < id)) {
		s.kind = Reply::Notification;
		return s;
	}
	if (id) {
		const char *q = id + 5;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		uint64_t v = 0;
		auto r = std::from_chars(q, end, v);
		if (r.ec == std::errc() && r.ptr != q) {
			s.has_id = true;
			s.id = v;
		}
	}
	const char *result = find(p, n, "\"result\":");
	const char *error = find(p, n, "\"error\":");
	if (result && (!error || result < error)) {
		// isError is a member of the result: search only after "result":.
		s.kind = find(result, std::size_t(end - result), "\"isError\":true") ? Reply::ToolError
		                                                                     : Reply::Result;
	} else if (error) {
		s.kind = Reply::RpcError;
	}
	return s;
}

std::string initialize_body(uint64_t id)
{
	std::string s = "{\"jsonrpc\":\"2.0\",\"id\":";
	append_uint(s, id);
	s += ",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
	     "\"capabilities\":{},\"clientInfo\":{\"name\":\"mcp_loadgen\",\"version\":\"0.1.0\"}}}";
	return s;
}

const std::string &initialized_notification()
{
	static const std::string s = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
	return s;
}

} // namespace mcp_supa::loadgen
