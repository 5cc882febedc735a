// Outbound requests to named upstreams ("storage", "jwks") over the gateway's HttpClient, with
// what an unreliable network needs: retries with exponential backoff and jitter for idempotent
// requests on connection errors and 5xx, and a circuit breaker per upstream (its state shows in
// /ready). It is the MCP layer's HttpSink, so the Storage tools' requests come through here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "mcp_supa/mcp/server.h"
#include "mcp_supa/net/circuit_breaker.h"

struct lws_context;
struct lws_sorted_usec_list;

namespace mcp_supa::net
{

class HttpClient;

class UpstreamClient : public mcp::HttpSink
{
public:
	UpstreamClient(lws_context *ctx, HttpClient &client);
	~UpstreamClient() override;
	UpstreamClient(const UpstreamClient &) = delete;
	UpstreamClient &operator=(const UpstreamClient &) = delete;

	// Sends request to its upstream; done runs once, from the loop (never inside send).
	void send(tools::HttpRequestSpec request,
	          std::function<void(tools::HttpReply reply)> done) override;
	// The breaker of an upstream (created closed on first use).
	CircuitBreaker &breaker(const std::string &upstream) { return breakers_[upstream]; }
	// Every upstream's breaker, for /ready.
	nlohmann::json status() const;
	// Forgets every pending retry and deferred answer without calling back (the loop ends).
	void abandon_all();

	RetryPolicy retry_policy;
	struct Pending; // a request between attempts, or an answer waiting for the next loop turn

private:
	lws_context *ctx_;
	HttpClient &client_;
	std::map<std::string, CircuitBreaker> breakers_;
	std::map<uint64_t, std::unique_ptr<Pending>> pending_;
	uint64_t next_id_ = 1;

	// Sends one attempt of p, or answers at once when the breaker refuses.
	void attempt(std::unique_ptr<Pending> p);
	// An attempt's answer: retry, or deliver.
	void answered(std::unique_ptr<Pending> p, tools::HttpReply reply);
	// Runs p's callback after delay_ms from the loop (a retry when p->retry, else its answer).
	void later(std::unique_ptr<Pending> p, int64_t delay_ms);
	void fire(uint64_t id);
	static void on_timer(::lws_sorted_usec_list *sul);
};

} // namespace mcp_supa::net
