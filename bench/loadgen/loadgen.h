// The load generator proper: one lws context, one thread, C sessions each running a closed
// loop of calls over WebSocket or keep-alive HTTP/1.1.
#pragma once

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "options.h"
#include "scan.h"
#include "stats.h"

struct lws;
struct lws_context;

namespace mcp_supa::loadgen
{

using Clock = std::chrono::steady_clock;

struct Session;

class Runner
{
public:
	explicit Runner(const Options &opts);
	~Runner();
	Runner(const Runner &) = delete;
	Runner &operator=(const Runner &) = delete;

	// Runs the benchmark (or the idle hold) to its end; returns the process exit code.
	int run(volatile std::sig_atomic_t &interrupted);

	// lws entry points (called through the protocol trampolines).
	int on_ws(lws *wsi, int reason, void *in, std::size_t len);
	int on_raw(lws *wsi, int reason, void *in, std::size_t len);

private:
	enum class Phase { Opening, Running, Draining, Holding, Closing, Done };
	struct Tick;

	void tick();
	void schedule_tick();
	void connect(Session &s);
	void adopt(Session &s, lws *wsi);
	void gone(Session &s, lws *wsi, const char *why);
	void connected(Session &s);
	void queue_init(Session &s);
	void queue_call(Session &s);
	void queue_delete(Session &s);
	void request_close(Session &s);
	int writeable(Session &s, bool ws);
	void answer(Session &s, int status, const char *body, std::size_t n, std::size_t wire);
	void init_answer(Session &s, int status, const char *body, std::size_t n);
	void session_ready(Session &s);
	void give_up(Session &s, const char *why);
	int http_rx(Session &s, const char *in, std::size_t len);
	void note_error(const std::string &why);
	void start_load();
	void start_closing();
	bool measuring(Clock::time_point t) const { return t >= warmup_end_ && t < run_end_; }
	Report report() const;
	void print_idle_summary() const;

	Options opts_;
	bool ws_;
	bool idle_;
	RequestTemplate request_;
	lws_context *ctx_ = nullptr;
	std::unique_ptr<Tick> tick_;
	std::vector<std::unique_ptr<Session>> sessions_;
	Phase phase_ = Phase::Opening;
	volatile std::sig_atomic_t *interrupted_ = nullptr;
	bool aborted_ = false;
	Clock::time_point open_deadline_, warmup_end_, run_end_, drain_deadline_, hold_start_,
	    hold_end_, close_deadline_;
	double held_s_ = 0;
	int ready_at_start_ = 0; // sessions initialized when the load (or hold) began
	uint64_t lost_in_hold_ = 0;
	uint64_t reconnects_ = 0;
	std::string first_error_;
	std::string http_base_; // request line and fixed headers of every POST
};

} // namespace mcp_supa::loadgen
