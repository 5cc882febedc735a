// The results of a run and their two printed forms (table, one JSON line).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mcp_supa::loadgen
{

struct Report {
	std::string label;
	std::string transport; // "ws" or "http"
	int concurrency = 0;
	int sessions_ready = 0; // sessions that initialized
	double duration_s = 0;  // the measured window (after warmup)
	uint64_t calls = 0;     // answered calls sent inside the window, errors included
	double calls_per_sec = 0;
	double p50_ms = 0, p95_ms = 0, p99_ms = 0, mean_ms = 0, max_ms = 0;
	uint64_t errors = 0;
	uint64_t tool_errors = 0;
	uint64_t bytes_in = 0;
	uint64_t bytes_out = 0;
	uint64_t reconnects = 0;
	std::string first_error;
};

// Fills the latency fields from samples (microseconds); sorts them. Percentiles are exact,
// nearest rank: the smallest sample with at least p% of the samples at or below it.
void fill_latency(Report &r, std::vector<uint32_t> &samples);

// The human table, one "name  value" per line.
std::string format_table(const Report &r);

// Exactly one line of JSON (no newline) with the documented keys.
std::string format_json(const Report &r);

} // namespace mcp_supa::loadgen
