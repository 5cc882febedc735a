// Retries and circuit breakers around the HttpClient (include/mcp_supa/net/upstream_client.h).
#include "mcp_supa/net/upstream_client.h"

#include <cstring>
#include <libwebsockets.h>
#include <openssl/rand.h>

#include "mcp_supa/common/clock.h"
#include "mcp_supa/common/log.h"
#include "mcp_supa/net/http_client.h"

namespace mcp_supa::net
{

using common::log;
using common::LogLevel;

// A request between attempts; its first member is its timer's sul (see on_timer).
struct UpstreamClient::Pending {
	lws_sorted_usec_list_t timer;
	UpstreamClient *owner = nullptr;
	uint64_t id = 0;
	tools::HttpRequestSpec request;
	std::function<void(tools::HttpReply)> done;
	int attempts = 0;
	bool retry = false;      // the timer sends the next attempt; otherwise it delivers answer
	tools::HttpReply answer; // delivered by the timer when !retry
};

namespace
{

// A random number for the backoff jitter (not security relevant; OpenSSL is at hand).
uint64_t jitter_random()
{
	uint64_t r = 0;
	if (RAND_bytes(reinterpret_cast<unsigned char *>(&r), sizeof(r)) != 1)
		r = uint64_t(common::monotonic_ms());
	return r;
}

// The error an open breaker answers with.
std::string open_breaker_text(const std::string &upstream, const CircuitBreaker &b, int64_t now)
{
	nlohmann::json s = b.status(now);
	std::string text = "the circuit breaker for " + upstream + " is open after " +
	                   std::to_string(b.consecutive_failures()) +
	                   " consecutive failures (last: " + s.value("last_error", "unknown") + ")";
	int64_t wait = b.retry_in_ms(now);
	text += wait > 0 ? "; the next try goes out in " + std::to_string((wait + 999) / 1000) + " s"
	                 : "; a probe request is under way";
	return text;
}

} // namespace

UpstreamClient::UpstreamClient(lws_context *ctx, HttpClient &client) : ctx_(ctx), client_(client) {}

UpstreamClient::~UpstreamClient()
{
	abandon_all();
}

void UpstreamClient::abandon_all()
{
	for (auto &entry : pending_)
		lws_sul_cancel(&entry.second->timer);
	pending_.clear();
}

nlohmann::json UpstreamClient::status() const
{
	nlohmann::json j = nlohmann::json::object();
	int64_t now = common::monotonic_ms();
	for (const auto &[name, breaker] : breakers_)
		j[name] = breaker.status(now);
	return j;
}

void UpstreamClient::send(tools::HttpRequestSpec request,
                          std::function<void(tools::HttpReply reply)> done)
{
	auto p = std::make_unique<Pending>();
	memset(&p->timer, 0, sizeof(p->timer));
	p->owner = this;
	p->id = next_id_++;
	p->request = std::move(request);
	p->done = std::move(done);
	attempt(std::move(p));
}

void UpstreamClient::attempt(std::unique_ptr<Pending> p)
{
	const std::string &upstream = p->request.upstream;
	CircuitBreaker &b = breakers_[upstream];
	int64_t now = common::monotonic_ms();
	if (!b.allow(now)) {
		p->answer = tools::HttpReply();
		p->answer.unavailable = true;
		p->answer.attempts = p->attempts;
		p->answer.error = open_breaker_text(upstream, b, now);
		p->retry = false;
		later(std::move(p), 0); // never call back inside send()
		return;
	}
	p->attempts++;
	HttpClientRequest r;
	r.method = p->request.method;
	r.url = p->request.url;
	r.headers = p->request.headers;
	r.max_response_bytes = p->request.max_response_bytes;
	r.timeout_ms = p->request.timeout_ms;
	// An attempt that may be retried sends a copy (those bodies are small JSON); the last one
	// takes the body itself, so an upload's bytes are never copied here.
	bool may_retry = p->request.idempotent && p->attempts < retry_policy.max_attempts;
	r.body = may_retry ? p->request.body : std::move(p->request.body);
	Pending *raw = p.release();
	std::string why;
	bool started = client_.start(
	    std::move(r),
	    [this, raw](HttpClientResponse response) {
		    tools::HttpReply reply;
		    reply.status = response.status;
		    reply.content_type = std::move(response.content_type);
		    reply.content_length = response.content_length;
		    reply.body = std::move(response.body);
		    reply.error = std::move(response.error);
		    reply.too_large = response.too_large;
		    reply.timed_out = response.timed_out;
		    answered(std::unique_ptr<Pending>(raw), std::move(reply));
	    },
	    why);
	if (!started) {
		tools::HttpReply reply;
		reply.error = why;
		answered(std::unique_ptr<Pending>(raw), std::move(reply));
	}
}

void UpstreamClient::answered(std::unique_ptr<Pending> p, tools::HttpReply reply)
{
	CircuitBreaker &b = breakers_[p->request.upstream];
	int64_t now = common::monotonic_ms();
	bool got_answer = reply.error.empty() || reply.too_large;
	reply.attempts = p->attempts;
	if (!is_upstream_failure(reply.status, got_answer)) {
		if (b.state(now) != BreakerState::Closed)
			log(LogLevel::Log, "circuit breaker for %s closed: the upstream answers again",
			    p->request.upstream.c_str());
		b.record_success();
		p->answer = std::move(reply);
		p->retry = false;
		later(std::move(p), 0);
		return;
	}
	std::string why = !reply.error.empty() ? reply.error : "HTTP " + std::to_string(reply.status);
	bool was_open = b.state(now) != BreakerState::Closed;
	b.record_failure(now, why);
	if (!was_open && b.state(now) == BreakerState::Open)
		log(LogLevel::Warning,
		    "circuit breaker for %s opened after %d consecutive failures (last: %s)",
		    p->request.upstream.c_str(), b.consecutive_failures(), why.c_str());
	bool retry = p->request.idempotent && p->attempts < retry_policy.max_attempts &&
	             b.state(now) == BreakerState::Closed;
	if (retry) {
		log(LogLevel::Debug, "upstream %s: %s; retrying (attempt %d)", p->request.upstream.c_str(),
		    why.c_str(), p->attempts + 1);
		p->retry = true;
		later(std::move(p), backoff_delay_ms(retry_policy, p->attempts, jitter_random()));
		return;
	}
	p->answer = std::move(reply);
	p->retry = false;
	later(std::move(p), 0);
}

void UpstreamClient::later(std::unique_ptr<Pending> p, int64_t delay_ms)
{
	Pending *raw = p.get();
	pending_[raw->id] = std::move(p);
	lws_sul_schedule(ctx_, 0, &raw->timer, on_timer, lws_usec_t(delay_ms) * LWS_US_PER_MS);
}

void UpstreamClient::on_timer(lws_sorted_usec_list_t *sul)
{
	auto *p = reinterpret_cast<Pending *>(sul);
	try {
		p->owner->fire(p->id);
	} catch (const std::exception &e) {
		log(LogLevel::Warning, "outbound request: %s", e.what());
	}
}

void UpstreamClient::fire(uint64_t id)
{
	auto it = pending_.find(id);
	if (it == pending_.end())
		return;
	std::unique_ptr<Pending> p = std::move(it->second);
	pending_.erase(it);
	if (p->retry) {
		attempt(std::move(p));
		return;
	}
	auto done = std::move(p->done);
	tools::HttpReply answer = std::move(p->answer);
	if (done)
		done(std::move(answer));
}

} // namespace mcp_supa::net
