// Command line parsing of mcp_loadgen (see options.h).
#include "options.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

namespace mcp_supa::loadgen
{

namespace
{

// A whole-string decimal integer within [lo, hi].
bool parse_int(const char *s, long long lo, long long hi, long long &out)
{
	if (!*s)
		return false;
	errno = 0;
	char *end = nullptr;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	out = v;
	return true;
}

// A whole-string non-negative number of seconds, at most a day.
bool parse_seconds(const char *s, double &out)
{
	if (!*s)
		return false;
	errno = 0;
	char *end = nullptr;
	double v = strtod(s, &end);
	if (errno || *end || !(v >= 0) || v > 86400)
		return false;
	out = v;
	return true;
}

// Replaces each {{rand}} by 1 so that the template can be checked as JSON.
std::string with_sample_rand(const std::string &params)
{
	std::string s = params;
	for (std::size_t at; (at = s.find("{{rand}}")) != std::string::npos;)
		s.replace(at, 8, "1");
	return s;
}

} // namespace

std::string parse_url(const std::string &url, Target &out)
{
	std::string rest;
	if (url.rfind("ws://", 0) == 0) {
		out.transport = Transport::WebSocket;
		rest = url.substr(5);
	} else if (url.rfind("http://", 0) == 0) {
		out.transport = Transport::Http;
		rest = url.substr(7);
	} else if (url.rfind("wss://", 0) == 0 || url.rfind("https://", 0) == 0) {
		return "TLS URLs are not supported (the gateway serves plain HTTP)";
	} else {
		return "the URL must start with ws:// or http://";
	}
	std::size_t slash = rest.find('/');
	std::string authority = rest.substr(0, slash);
	out.path = slash == std::string::npos ? "/mcp" : rest.substr(slash);
	if (out.path.find_first_of(" \r\n") != std::string::npos)
		return "the URL path may not hold spaces or line breaks";
	std::string port;
	if (!authority.empty() && authority[0] == '[') {
		std::size_t close = authority.find(']');
		if (close == std::string::npos)
			return "unbalanced [ in the URL";
		out.host = authority.substr(1, close - 1);
		if (close + 1 < authority.size()) {
			if (authority[close + 1] != ':')
				return "junk after ] in the URL";
			port = authority.substr(close + 2);
		}
	} else {
		std::size_t colon = authority.find(':');
		out.host = authority.substr(0, colon);
		if (colon != std::string::npos)
			port = authority.substr(colon + 1);
	}
	if (out.host.empty())
		return "the URL has no host";
	if (out.host.find_first_of(" \r\n@") != std::string::npos)
		return "the URL host is malformed";
	long long p = 80;
	if (!port.empty() && !parse_int(port.c_str(), 1, 65535, p))
		return "the URL port is not a number in 1..65535";
	out.port = int(p);
	out.host_port = authority;
	return "";
}

std::string parse_args(int argc, char **argv, Options &o)
{
	bool have_hold = false;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--json") {
			o.json = true;
			continue;
		}
		if (a == "-h" || a == "--help")
			return "help";
		if (a.rfind("--", 0) != 0)
			return "unexpected argument: " + a;
		if (i + 1 >= argc)
			return a + " needs a value";
		const char *v = argv[++i];
		long long n = 0;
		if (a == "--url") {
			o.url = v;
		} else if (a == "--token") {
			o.token = v;
		} else if (a == "--concurrency") {
			if (!parse_int(v, 1, 100000, n))
				return "--concurrency must be an integer in 1..100000";
			o.concurrency = int(n);
		} else if (a == "--duration") {
			if (!parse_seconds(v, o.duration_s) || o.duration_s <= 0)
				return "--duration must be a positive number of seconds";
		} else if (a == "--warmup") {
			if (!parse_seconds(v, o.warmup_s))
				return "--warmup must be a number of seconds";
		} else if (a == "--method") {
			o.method = v;
		} else if (a == "--params") {
			o.params = v;
		} else if (a == "--rand-max") {
			if (!parse_int(v, 1, (1LL << 62), n))
				return "--rand-max must be a positive integer";
			o.rand_max = uint64_t(n);
		} else if (a == "--idle-sessions") {
			if (!parse_int(v, 1, 100000, n))
				return "--idle-sessions must be an integer in 1..100000";
			o.idle_sessions = int(n);
		} else if (a == "--hold") {
			if (!parse_seconds(v, o.hold_s))
				return "--hold must be a number of seconds";
			have_hold = true;
		} else if (a == "--label") {
			o.label = v;
		} else {
			return "unknown option: " + a;
		}
	}
	if (o.url.empty())
		return "--url is required";
	if (o.token.empty())
		return "--token is required";
	if (o.token.find_first_of("\r\n") != std::string::npos)
		return "--token may not hold line breaks";
	std::string why = parse_url(o.url, o.target);
	if (!why.empty())
		return why;
	// The method is pasted into the request body as is.
	if (o.method.empty() || o.method.find_first_of("\"\\") != std::string::npos ||
	    o.method.find_first_of("\x01\x02\x03\x04\x05\x06\x07\x08\t\n\r") != std::string::npos)
		return "--method must be a plain method name";
	if (have_hold != (o.idle_sessions > 0))
		return "--idle-sessions and --hold go together";
	bool uses_rand = o.params.find("{{rand}}") != std::string::npos;
	if (uses_rand && o.rand_max == 0)
		return "--params uses {{rand}}: give --rand-max N";
	nlohmann::json p = nlohmann::json::parse(with_sample_rand(o.params), nullptr, false);
	if (p.is_discarded() || !(p.is_object() || p.is_array()))
		return "--params must be a JSON object or array";
	return "";
}

const char *usage_text()
{
	return "usage: mcp_loadgen --url ws://HOST:PORT/mcp|http://HOST:PORT/mcp --token JWT\n"
	       "    [--concurrency C=1] [--duration SEC=10] [--warmup SEC=2]\n"
	       "    [--method tools/call|tools/list|ping (default ping)] [--params JSON (default {})]\n"
	       "    [--rand-max N]   each {{rand}} in --params becomes a random integer 1..N per call\n"
	       "    [--idle-sessions N --hold SEC]   open N WebSocket sessions, print \"ready N\",\n"
	       "                                     hold them idle SEC seconds, close, exit\n"
	       "    [--json]         one JSON line instead of the table\n"
	       "    [--label NAME]   echoed in the output\n"
	       "exit: 0 ran (even with errors), 2 usage error, 3 no session could initialize\n";
}

} // namespace mcp_supa::loadgen
