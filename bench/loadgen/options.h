// Command line of mcp_loadgen: the options, their defaults, and the target URL split into parts.
#pragma once

#include <cstdint>
#include <string>

namespace mcp_supa::loadgen
{

enum class Transport { WebSocket, Http };

struct Target {
	Transport transport = Transport::WebSocket;
	std::string host; // as written in the URL, without brackets
	int port = 0;
	std::string path;      // "/mcp" when the URL has none
	std::string host_port; // the Host header
};

struct Options {
	Target target;
	std::string url;
	std::string token;
	int concurrency = 1;
	double duration_s = 10;
	double warmup_s = 2;
	std::string method = "ping";
	std::string params = "{}";
	uint64_t rand_max = 0; // 0: --rand-max not given
	int idle_sessions = 0; // > 0: idle mode
	double hold_s = 0;
	bool json = false;
	std::string label;
};

// Splits ws://host[:port][/path] or http://host[:port][/path]; "" on success, else why not.
std::string parse_url(const std::string &url, Target &out);

// Reads argv into opts; "" on success, else a one-line reason (the caller prints usage).
std::string parse_args(int argc, char **argv, Options &opts);

// The usage text, one option per line.
const char *usage_text();

} // namespace mcp_supa::loadgen
