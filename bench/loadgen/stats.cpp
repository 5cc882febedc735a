// Percentiles and the printed forms of a run (see stats.h).
#include "stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace mcp_supa::loadgen
{

namespace
{

// The nearest-rank percentile of sorted, non-empty samples, in milliseconds.
double rank_ms(const std::vector<uint32_t> &sorted, double p)
{
	std::size_t n = sorted.size();
	std::size_t rank = std::size_t(std::ceil(p / 100.0 * double(n)));
	rank = std::min(std::max<std::size_t>(rank, 1), n);
	return sorted[rank - 1] / 1000.0;
}

// printf into a std::string.
template <typename... Args> std::string fmt(const char *f, Args... args)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), f, args...);
	return std::string(buf, std::size_t(std::clamp(n, 0, int(sizeof(buf)) - 1)));
}

} // namespace

void fill_latency(Report &r, std::vector<uint32_t> &samples)
{
	if (samples.empty())
		return;
	std::sort(samples.begin(), samples.end());
	uint64_t sum = 0;
	for (uint32_t v : samples)
		sum += v;
	r.p50_ms = rank_ms(samples, 50);
	r.p95_ms = rank_ms(samples, 95);
	r.p99_ms = rank_ms(samples, 99);
	r.max_ms = samples.back() / 1000.0;
	r.mean_ms = double(sum) / double(samples.size()) / 1000.0;
}

std::string format_table(const Report &r)
{
	double per_in = r.calls ? double(r.bytes_in) / double(r.calls) : 0;
	double per_out = r.calls ? double(r.bytes_out) / double(r.calls) : 0;
	std::string s;
	s += fmt("label        %s\n", r.label.empty() ? "-" : r.label.c_str());
	s += fmt("transport    %s\n", r.transport.c_str());
	s += fmt("concurrency  %d (%d initialized)\n", r.concurrency, r.sessions_ready);
	s += fmt("duration     %.3f s\n", r.duration_s);
	s += fmt("calls        %llu\n", (unsigned long long)r.calls);
	s += fmt("calls/s      %.1f\n", r.calls_per_sec);
	s += fmt("latency ms   p50 %.3f  p95 %.3f  p99 %.3f  mean %.3f  max %.3f\n", r.p50_ms, r.p95_ms,
	         r.p99_ms, r.mean_ms, r.max_ms);
	s += fmt("errors       %llu\n", (unsigned long long)r.errors);
	s += fmt("tool_errors  %llu\n", (unsigned long long)r.tool_errors);
	s += fmt("bytes_in     %llu\n", (unsigned long long)r.bytes_in);
	s += fmt("bytes_out    %llu\n", (unsigned long long)r.bytes_out);
	s += fmt("bytes/call   in %.1f  out %.1f\n", per_in, per_out);
	if (r.reconnects)
		s += fmt("reconnects   %llu\n", (unsigned long long)r.reconnects);
	if (!r.first_error.empty())
		s += "first error  " + r.first_error + "\n";
	return s;
}

std::string format_json(const Report &r)
{
	// Hand-written so the numbers keep their 3 decimals; the strings go through the library.
	std::string s = "{\"label\":" + nlohmann::json(r.label).dump();
	s += ",\"transport\":" + nlohmann::json(r.transport).dump();
	s += fmt(",\"concurrency\":%d,\"duration_s\":%.3f,\"calls\":%llu,\"calls_per_sec\":%.1f",
	         r.concurrency, r.duration_s, (unsigned long long)r.calls, r.calls_per_sec);
	s += fmt(",\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"mean_ms\":%.3f", r.p50_ms,
	         r.p95_ms, r.p99_ms, r.mean_ms);
	s += fmt(",\"errors\":%llu,\"tool_errors\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu}",
	         (unsigned long long)r.errors, (unsigned long long)r.tool_errors,
	         (unsigned long long)r.bytes_in, (unsigned long long)r.bytes_out);
	return s;
}

} // namespace mcp_supa::loadgen
