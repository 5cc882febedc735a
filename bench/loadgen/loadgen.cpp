// The event loop of mcp_loadgen (see loadgen.h). WebSocket sessions use lws's ws client; HTTP
// sessions use lws "RAW" client sockets carrying hand-written HTTP/1.1, because lws 4.1's http
// client closes (or shares between sessions) its connection after each transaction, and a
// session here must own one keep-alive connection. No C++ exception may cross an lws frame:
// every callback catches and returns -1.
#include "loadgen.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <libwebsockets.h>
#include <nlohmann/json.hpp>
#include <strings.h>

namespace mcp_supa::loadgen
{

namespace
{

constexpr int kMaxOpening = 128;              // sessions connecting or initializing at once
constexpr int kMaxFailures = 5;               // consecutive failures before a session gives up
constexpr int kMaxReinits = 5;                // HTTP sessions lost (404) and begun again
constexpr std::size_t kMaxAnswer = 64u << 20; // bytes of one answer
constexpr std::size_t kMaxHead = 64u << 10;   // bytes of one answer's HTTP head
constexpr auto kTick = std::chrono::milliseconds(10); // phase changes and reconnects
constexpr auto kGrace = std::chrono::seconds(10);     // for calls in flight at the end
constexpr auto kCloseWait = std::chrono::seconds(3);  // for closes and DELETEs at the end
constexpr const char *kRawProtocol = "mcp-loadgen-http";

// Bytes of the frame header of a WebSocket frame with n bytes of payload (masked: client's).
std::size_t ws_header_len(std::size_t n, bool masked)
{
	std::size_t h = n < 126 ? 2 : n < 65536 ? 4 : 10;
	return masked ? h + 4 : h;
}

// The session an lws wsi belongs to (set at connect); nullptr for lws's own wsis.
Session *session_of(lws *wsi);

Runner *runner_of(lws *wsi)
{
	return static_cast<Runner *>(lws_context_user(lws_get_context(wsi)));
}

int ws_trampoline(lws *wsi, enum lws_callback_reasons reason, void *, void *in, size_t len)
{
	Runner *r = runner_of(wsi);
	return r ? r->on_ws(wsi, int(reason), in, len) : 0;
}

int raw_trampoline(lws *wsi, enum lws_callback_reasons reason, void *, void *in, size_t len)
{
	Runner *r = runner_of(wsi);
	return r ? r->on_raw(wsi, int(reason), in, len) : 0;
}

lws_protocols g_protocols[] = {
    {"mcp", ws_trampoline, 0, 64 * 1024, 0, nullptr, 0},
    {kRawProtocol, raw_trampoline, 0, 64 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// Case-insensitive: does [p, p+n) start with the lower-case name?
bool starts_with_ci(const char *p, std::size_t n, const char *name)
{
	std::size_t k = strlen(name);
	return n >= k && strncasecmp(p, name, k) == 0;
}

// Case-insensitive: does [p, p+n) contain the lower-case word?
bool contains_ci(const char *p, std::size_t n, const char *word)
{
	std::size_t k = strlen(word);
	for (std::size_t i = 0; i + k <= n; i++)
		if (strncasecmp(p + i, word, k) == 0)
			return true;
	return false;
}

} // namespace

// One MCP session: its connection, where it stands in the protocol, and its own counters.
struct Session {
	enum class Conn { Down, Connecting, Up };
	enum class Stage { Fresh, Initializing, Notifying, Ready, Failed };
	enum class Kind { None, Init, Notify, Call, Delete };

	lws *wsi = nullptr;
	Conn conn = Conn::Down;
	Stage stage = Stage::Fresh;
	Kind kind = Kind::None;      // the request in out, or in flight
	bool pending = false;        // out holds a request not yet written
	bool inflight = false;       // written; its answer is awaited
	bool notify_pending = false; // WebSocket: notifications/initialized goes first
	bool close_requested = false;
	bool measured = false; // the call in flight was sent inside the window
	uint64_t next_id = 0;
	uint64_t expect_id = 0;
	Clock::time_point sent_at;
	Clock::time_point retry_at;
	int failures = 0; // consecutive
	int reinits = 0;

	std::string out;  // LWS_PRE bytes of headroom, then the request
	std::string body; // HTTP: the body being built
	std::string session_id;
	std::string prefix; // HTTP: request line and headers up to "Content-Length: "

	// the HTTP answer being read
	std::string in;
	std::size_t scanned = 0;  // bytes of in searched for the end of the head
	std::size_t head_len = 0; // 0 until the head is complete
	int status = 0;
	long long content_length = -1;
	bool chunked = false;
	bool server_closes = false;
	std::size_t chunk_pos = 0;
	std::string chunked_body;
	std::string new_session_id;

	// the WebSocket message being read
	std::string msg;

	// results, inside the window only
	std::vector<uint32_t> samples;
	uint64_t calls = 0, errors = 0, tool_errors = 0, bytes_in = 0, bytes_out = 0;

	// Forgets a half-read HTTP answer.
	void reset_head()
	{
		scanned = head_len = 0;
		status = 0;
		content_length = -1;
		chunked = server_closes = false;
		chunk_pos = 0;
		chunked_body.clear();
	}
};

namespace
{

Session *session_of(lws *wsi)
{
	return static_cast<Session *>(lws_get_opaque_user_data(wsi));
}

// Reads the status line and the headers that matter; false when it is not HTTP/1.x.
bool parse_head(Session &s)
{
	const char *p = s.in.data();
	const char *end = p + s.head_len - 2; // keep the last line's CRLF
	if (s.head_len < 16 || strncmp(p, "HTTP/1.", 7) != 0)
		return false;
	int status = 0;
	auto r = std::from_chars(p + 9, p + 12, status);
	if (r.ec != std::errc() || r.ptr != p + 12)
		return false;
	s.status = status;
	const char *line = static_cast<const char *>(memchr(p, '\n', std::size_t(end - p)));
	while (line && ++line < end) {
		const char *eol = static_cast<const char *>(memchr(line, '\r', std::size_t(end - line)));
		if (!eol)
			eol = end;
		std::size_t n = std::size_t(eol - line);
		const char *colon = static_cast<const char *>(memchr(line, ':', n));
		if (colon) {
			const char *v = colon + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			std::size_t vn = std::size_t(eol - v);
			std::size_t nn = std::size_t(colon - line);
			if (nn == 14 && starts_with_ci(line, nn, "content-length")) {
				long long cl = -1;
				auto c = std::from_chars(v, eol, cl);
				if (c.ec != std::errc() || cl < 0)
					return false;
				s.content_length = cl;
			} else if (nn == 17 && starts_with_ci(line, nn, "transfer-encoding")) {
				s.chunked = contains_ci(v, vn, "chunked");
			} else if (nn == 10 && starts_with_ci(line, nn, "connection")) {
				s.server_closes = contains_ci(v, vn, "close");
			} else if (nn == 14 && starts_with_ci(line, nn, "mcp-session-id") &&
			           s.kind == Session::Kind::Init) {
				s.new_session_id.assign(v, vn);
			}
		}
		line = static_cast<const char *>(memchr(line, '\n', std::size_t(end - line)));
	}
	return true;
}

// Decodes the chunks read so far: 1 when the body is complete, 0 to wait, -1 when malformed.
int dechunk(Session &s)
{
	if (s.chunk_pos == 0)
		s.chunk_pos = s.head_len;
	for (;;) {
		const char *base = s.in.data();
		std::size_t n = s.in.size();
		const char *at = base + s.chunk_pos;
		const char *eol = static_cast<const char *>(memmem(at, n - s.chunk_pos, "\r\n", 2));
		if (!eol)
			return n - s.chunk_pos > 1024 ? -1 : 0;
		std::size_t size = 0;
		auto r = std::from_chars(at, eol, size, 16);
		if (r.ec != std::errc() || r.ptr == at)
			return -1;
		if (size == 0) {
			// The last chunk, maybe trailers, then an empty line.
			const char *fin =
			    static_cast<const char *>(memmem(eol, std::size_t(base + n - eol), "\r\n\r\n", 4));
			if (!fin)
				return 0;
			s.chunk_pos = std::size_t(fin + 4 - base);
			return 1;
		}
		std::size_t data = std::size_t(eol + 2 - base);
		if (size > kMaxAnswer)
			return -1;
		if (n < data + size + 2)
			return 0;
		s.chunked_body.append(base + data, size);
		s.chunk_pos = data + size + 2;
	}
}

} // namespace

// The lws timer behind tick(); its first member must be the sul.
struct Runner::Tick {
	lws_sorted_usec_list_t sul;
	Runner *runner;
};

Runner::Runner(const Options &opts)
    : opts_(opts), ws_(opts.target.transport == Transport::WebSocket || opts.idle_sessions > 0),
      idle_(opts.idle_sessions > 0), request_(opts.method, opts.params, opts.rand_max)
{
	const Target &t = opts_.target;
	http_base_ = "POST " + t.path + " HTTP/1.1\r\nHost: " + t.host_port +
	             "\r\nUser-Agent: mcp_loadgen\r\nAuthorization: Bearer " + opts_.token +
	             "\r\nContent-Type: application/json\r\nAccept: application/json, "
	             "text/event-stream\r\n";
	int n = idle_ ? opts_.idle_sessions : opts_.concurrency;
	// Enough room for every sample at 40k calls/s overall: no growth while measuring.
	std::size_t reserve =
	    idle_ ? 0
	          : std::clamp<std::size_t>(std::size_t(opts_.duration_s * 40000 / n), 1024, 1u << 22);
	sessions_.reserve(std::size_t(n));
	for (int i = 0; i < n; i++) {
		auto s = std::make_unique<Session>();
		if (!idle_) {
			s->samples.reserve(reserve);
			s->out.reserve(LWS_PRE + 4096);
			s->body.reserve(2048);
			(ws_ ? s->msg : s->in).reserve(64 * 1024);
		}
		sessions_.push_back(std::move(s));
	}
}

Runner::~Runner()
{
	if (ctx_ && tick_)
		lws_sul_cancel(&tick_->sul);
	// Before the sessions go: destroying the context calls back about every open wsi.
	phase_ = Phase::Done;
	if (ctx_)
		lws_context_destroy(ctx_);
}

void Runner::note_error(const std::string &why)
{
	if (first_error_.empty())
		first_error_ = why;
}

int Runner::run(volatile std::sig_atomic_t &interrupted)
{
	interrupted_ = &interrupted;
	lws_set_log_level(LLL_ERR, nullptr);
	lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = g_protocols;
	info.user = this;
	info.gid = -1;
	info.uid = -1;
	info.timeout_secs = 10; // connect and handshake
	ctx_ = lws_create_context(&info);
	if (!ctx_) {
		fprintf(stderr, "mcp_loadgen: could not create the libwebsockets context\n");
		return 3;
	}
	auto now = Clock::now();
	auto open_for = std::chrono::seconds(30) + std::chrono::milliseconds(20) * sessions_.size();
	open_deadline_ = now + std::min<Clock::duration>(open_for, std::chrono::seconds(300));
	tick_ = std::make_unique<Tick>();
	memset(&tick_->sul, 0, sizeof(tick_->sul));
	tick_->runner = this;
	tick();
	while (phase_ != Phase::Done)
		if (lws_service(ctx_, 0) < 0)
			break;

	if (ready_at_start_ == 0) {
		if (idle_) {
			printf("ready 0\n");
			fflush(stdout);
		}
		fprintf(stderr, "mcp_loadgen: no session could initialize%s%s\n",
		        first_error_.empty() ? "" : ": ", first_error_.c_str());
		return 3;
	}
	if (idle_) {
		print_idle_summary();
		return 0;
	}
	Report r = report();
	std::string out = opts_.json ? format_json(r) + "\n" : format_table(r);
	fputs(out.c_str(), stdout);
	fflush(stdout);
	if (opts_.json && !r.first_error.empty())
		fprintf(stderr, "mcp_loadgen: first error: %s\n", r.first_error.c_str());
	return 0;
}

void Runner::schedule_tick()
{
	lws_sul_schedule(
	    ctx_, 0, &tick_->sul,
	    [](lws_sorted_usec_list_t *sul) {
		    auto *t = reinterpret_cast<Tick *>(sul);
		    try {
			    t->runner->tick();
		    } catch (const std::exception &e) {
			    fprintf(stderr, "mcp_loadgen: %s\n", e.what());
			    t->runner->phase_ = Phase::Done;
			    lws_cancel_service(t->runner->ctx_);
		    }
	    },
	    lws_usec_t(std::chrono::duration_cast<std::chrono::microseconds>(kTick).count()));
}

// Moves the run through its phases; also (re)connects sessions whose turn has come.
void Runner::tick()
{
	auto now = Clock::now();
	if (*interrupted_ && !aborted_ && phase_ != Phase::Closing && phase_ != Phase::Done) {
		aborted_ = true;
		// The window ends now; calls still in flight are left out.
		if (phase_ == Phase::Running || phase_ == Phase::Draining)
			run_end_ = std::max(warmup_end_, std::min(run_end_, now));
		if (phase_ == Phase::Holding)
			held_s_ = std::chrono::duration<double>(now - hold_start_).count();
		start_closing();
	}
	switch (phase_) {
		case Phase::Opening: {
			int opening = 0, ready = 0;
			bool settled = true;
			for (auto &s : sessions_) {
				if (s->stage != Session::Stage::Ready && s->stage != Session::Stage::Failed)
					settled = false;
				if (s->conn != Session::Conn::Down && s->stage != Session::Stage::Ready)
					opening++;
				ready += s->stage == Session::Stage::Ready;
			}
			// One session probes first: a wrong token or URL then costs the server one failed
			// authentication, not C of them (the gateway bans an address after a few).
			if (ready == 0 && sessions_[0]->stage == Session::Stage::Failed) {
				for (auto &s : sessions_)
					if (s->stage != Session::Stage::Failed)
						give_up(*s, "the first session could not initialize");
				settled = true;
			}
			int limit = ready ? kMaxOpening : 1;
			for (auto &s : sessions_) {
				if (opening >= limit)
					break;
				if (s->conn == Session::Conn::Down && s->stage != Session::Stage::Failed &&
				    s->retry_at <= now) {
					connect(*s);
					opening++;
				}
			}
			if (!settled && now < open_deadline_)
				break;
			for (auto &s : sessions_) {
				if (s->stage == Session::Stage::Ready)
					ready_at_start_++;
				else if (s->stage != Session::Stage::Failed)
					give_up(*s, "not initialized in time");
			}
			if (ready_at_start_ == 0) {
				start_closing();
			} else if (idle_) {
				printf("ready %d\n", ready_at_start_);
				fflush(stdout);
				phase_ = Phase::Holding;
				hold_start_ = now;
				hold_end_ = now + std::chrono::duration_cast<Clock::duration>(
				                      std::chrono::duration<double>(opts_.hold_s));
			} else {
				start_load();
			}
			break;
		}
		case Phase::Running:
			if (now >= run_end_) {
				phase_ = Phase::Draining;
				drain_deadline_ = run_end_ + kGrace;
				break;
			}
			for (auto &s : sessions_) {
				if (s->conn == Session::Conn::Down && s->stage != Session::Stage::Failed &&
				    s->retry_at <= now)
					connect(*s);
				else
					queue_call(*s); // a no-op unless the session sits idle by mistake
			}
			break;
		case Phase::Draining: {
			bool waiting = false;
			for (auto &s : sessions_)
				waiting = waiting || s->inflight;
			if (waiting && now < drain_deadline_)
				break;
			for (auto &s : sessions_) {
				if (s->inflight && s->measured) {
					s->errors++;
					note_error("no answer within the grace period");
				}
			}
			start_closing();
			break;
		}
		case Phase::Holding:
			if (now >= hold_end_) {
				held_s_ = std::chrono::duration<double>(now - hold_start_).count();
				start_closing();
			}
			break;
		case Phase::Closing: {
			bool open = false;
			for (auto &s : sessions_)
				open = open || s->conn != Session::Conn::Down;
			if (!open || now >= close_deadline_)
				phase_ = Phase::Done;
			break;
		}
		case Phase::Done:
			break;
	}
	if (phase_ == Phase::Done)
		lws_cancel_service(ctx_); // lws_service returns, the loop sees Done
	else
		schedule_tick();
}

void Runner::start_load()
{
	auto now = Clock::now();
	warmup_end_ = now + std::chrono::duration_cast<Clock::duration>(
	                        std::chrono::duration<double>(opts_.warmup_s));
	run_end_ = warmup_end_ + std::chrono::duration_cast<Clock::duration>(
	                             std::chrono::duration<double>(opts_.duration_s));
	phase_ = Phase::Running;
	for (auto &s : sessions_)
		queue_call(*s);
}

void Runner::start_closing()
{
	phase_ = Phase::Closing;
	close_deadline_ = Clock::now() + kCloseWait;
	for (auto &s : sessions_) {
		if (s->conn == Session::Conn::Down)
			continue;
		// HTTP sessions outlive their connection: end them, or they wait for the idle timeout.
		if (!ws_ && s->conn == Session::Conn::Up && s->stage == Session::Stage::Ready &&
		    !s->inflight && !s->session_id.empty())
			queue_delete(*s);
		else
			request_close(*s);
	}
}

void Runner::connect(Session &s)
{
	const Target &t = opts_.target;
	lws_client_connect_info i;
	memset(&i, 0, sizeof(i));
	i.context = ctx_;
	i.address = t.host.c_str();
	i.port = t.port;
	i.path = t.path.c_str();
	i.host = t.host_port.c_str();
	if (ws_) {
		i.protocol = "mcp";
	} else {
		i.method = "RAW";
		i.protocol = kRawProtocol;
		i.local_protocol_name = kRawProtocol;
	}
	i.opaque_user_data = &s;
	if (s.failures > 0)
		reconnects_++;
	s.conn = Session::Conn::Connecting;
	s.wsi = nullptr;
	s.close_requested = false;
	s.in.clear();
	s.msg.clear();
	s.reset_head();
	lws *w = lws_client_connect_via_info(&i);
	// lws may already have called back (adopting the wsi, or failing it) before returning.
	if (s.conn == Session::Conn::Connecting && !s.wsi) {
		if (w)
			s.wsi = w;
		else
			gone(s, nullptr, "could not start a connection");
	}
}

// Binds a wsi met during its connect to its session (callbacks may precede the return of
// lws_client_connect_via_info).
void Runner::adopt(Session &s, lws *wsi)
{
	if (!s.wsi && s.conn == Session::Conn::Connecting)
		s.wsi = wsi;
}

// The connection ended (or never came up): counts what it cost and plans a reconnect.
void Runner::gone(Session &s, lws *wsi, const char *why)
{
	if (s.conn == Session::Conn::Down || (s.wsi && wsi && s.wsi != wsi))
		return;
	s.wsi = nullptr;
	s.conn = Session::Conn::Down;
	bool wanted = s.close_requested;
	bool lost_call = s.inflight && s.measured;
	s.close_requested = s.inflight = s.pending = s.notify_pending = false;
	s.kind = Session::Kind::None;
	s.in.clear();
	s.msg.clear();
	s.reset_head();
	if (phase_ == Phase::Closing || phase_ == Phase::Done || wanted ||
	    s.stage == Session::Stage::Failed)
		return;
	auto now = Clock::now();
	std::string reason = std::string("connection lost: ") + (why ? why : "?");
	note_error(reason);
	if (phase_ == Phase::Holding) {
		lost_in_hold_++;
		s.stage = Session::Stage::Failed;
		return;
	}
	if ((phase_ == Phase::Running || phase_ == Phase::Draining) && (lost_call || measuring(now)))
		s.errors++;
	// Not retried: a refused upgrade (lws says "HS: ..."; likely a bad token, and the gateway
	// bans addresses that fail authentication often), and any failure while opening.
	bool refused = why && strncmp(why, "HS:", 3) == 0;
	if (phase_ == Phase::Draining || phase_ == Phase::Opening || refused ||
	    ++s.failures > kMaxFailures) {
		s.stage = Session::Stage::Failed;
		return;
	}
	// A WebSocket session dies with its connection; an HTTP one lives on the server.
	if (ws_ || s.stage != Session::Stage::Ready)
		s.stage = Session::Stage::Fresh;
	// The first reconnect at the next tick (a server may close idle keep-alives), then slower.
	s.retry_at = now + std::chrono::milliseconds(100) * (s.failures - 1);
}

void Runner::connected(Session &s)
{
	s.conn = Session::Conn::Up;
	if (phase_ == Phase::Closing || phase_ == Phase::Done) {
		request_close(s);
		return;
	}
	if (s.stage == Session::Stage::Fresh)
		queue_init(s);
	else if (s.stage == Session::Stage::Ready && phase_ == Phase::Running)
		queue_call(s);
}

void Runner::queue_init(Session &s)
{
	s.stage = Session::Stage::Initializing;
	s.kind = Session::Kind::Init;
	s.expect_id = ++s.next_id;
	s.session_id.clear();
	s.new_session_id.clear();
	std::string body = initialize_body(s.expect_id);
	s.out.assign(LWS_PRE, '\0');
	if (!ws_) {
		s.out += http_base_;
		s.out += "Content-Length: ";
		append_uint(s.out, body.size());
		s.out += "\r\n\r\n";
	}
	s.out += body;
	s.pending = true;
	lws_callback_on_writable(s.wsi);
}

// Builds the next call into s.out and asks to write it; nothing when the session is busy.
void Runner::queue_call(Session &s)
{
	if (phase_ != Phase::Running || s.conn != Session::Conn::Up ||
	    s.stage != Session::Stage::Ready || s.pending || s.inflight || s.close_requested)
		return;
	s.kind = Session::Kind::Call;
	s.expect_id = ++s.next_id;
	s.out.assign(LWS_PRE, '\0');
	if (ws_) {
		request_.append(s.out, s.expect_id);
	} else {
		s.body.clear();
		request_.append(s.body, s.expect_id);
		s.out += s.prefix;
		append_uint(s.out, s.body.size());
		s.out += "\r\n\r\n";
		s.out += s.body;
	}
	s.pending = true;
	lws_callback_on_writable(s.wsi);
}

void Runner::queue_delete(Session &s)
{
	s.kind = Session::Kind::Delete;
	s.out.assign(LWS_PRE, '\0');
	s.out += "DELETE " + opts_.target.path + " HTTP/1.1\r\nHost: " + opts_.target.host_port +
	         "\r\nUser-Agent: mcp_loadgen\r\nAuthorization: Bearer " + opts_.token +
	         "\r\nMcp-Session-Id: " + s.session_id + "\r\nContent-Length: 0\r\n\r\n";
	s.pending = true;
	lws_callback_on_writable(s.wsi);
}

// Closes the connection from its next writeable callback (lws closes only from callbacks).
void Runner::request_close(Session &s)
{
	if (!s.wsi || s.conn == Session::Conn::Down)
		return;
	s.close_requested = true;
	lws_callback_on_writable(s.wsi);
}

void Runner::give_up(Session &s, const char *why)
{
	note_error(why);
	s.stage = Session::Stage::Failed;
	request_close(s);
}

// Writes what is waiting: the initialized notification first, then the request; or closes.
int Runner::writeable(Session &s, bool ws)
{
	if (s.close_requested) {
		if (ws)
			lws_close_reason(s.wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
		return -1;
	}
	if (ws && s.notify_pending) {
		const std::string &n = initialized_notification();
		std::string buf(LWS_PRE, '\0');
		buf += n;
		s.notify_pending = false;
		if (lws_write(s.wsi, reinterpret_cast<unsigned char *>(&buf[LWS_PRE]), n.size(),
		              LWS_WRITE_TEXT) < int(n.size()))
			return -1;
		if (s.pending)
			lws_callback_on_writable(s.wsi);
		return 0;
	}
	if (!s.pending)
		return 0;
	auto now = Clock::now();
	s.measured = false;
	if (s.kind == Session::Kind::Call) {
		// A call built just before the window closed is not sent at all.
		if (now >= run_end_) {
			s.pending = false;
			s.kind = Session::Kind::None;
			return 0;
		}
		s.measured = measuring(now);
	}
	std::size_t len = s.out.size() - LWS_PRE;
	if (s.measured)
		s.bytes_out += len + (ws ? ws_header_len(len, true) : 0);
	s.sent_at = now;
	s.pending = false;
	s.inflight = true;
	// Partial writes are kept and finished by lws itself before the next writeable callback.
	int n = lws_write(s.wsi, reinterpret_cast<unsigned char *>(&s.out[LWS_PRE]), len,
	                  ws ? LWS_WRITE_TEXT : LWS_WRITE_RAW);
	return n < int(len) ? -1 : 0;
}

// A complete answer (an HTTP response, or a WebSocket message) arrived on s.
void Runner::answer(Session &s, int status, const char *body, std::size_t n, std::size_t wire)
{
	if (!s.inflight) {
		// Nothing asked: server notifications are fine on a WebSocket, never on HTTP.
		if (!ws_ || scan_message(body, n).kind != Reply::Notification) {
			note_error("an answer to no request");
			if (!ws_)
				request_close(s);
		}
		return;
	}
	if (s.kind == Session::Kind::Init || s.kind == Session::Kind::Notify) {
		init_answer(s, status, body, n);
		return;
	}
	if (s.kind == Session::Kind::Delete) {
		s.inflight = false;
		request_close(s);
		return;
	}
	Scan sc = scan_message(body, n);
	if (ws_ && sc.kind == Reply::Notification)
		return; // not the answer; keep waiting
	auto now = Clock::now();
	s.inflight = false;
	s.kind = Session::Kind::None;
	s.failures = 0;
	if (s.measured) {
		auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - s.sent_at).count();
		s.samples.push_back(uint32_t(std::min<int64_t>(us, UINT32_MAX)));
		s.calls++;
		s.bytes_in += wire;
		if (!ws_ && status != 200) {
			s.errors++;
			note_error("HTTP status " + std::to_string(status) + ": " +
			           std::string(body, std::min<std::size_t>(n, 200)));
		} else if (!sc.has_id || sc.id != s.expect_id) {
			s.errors++;
			note_error("an answer with the wrong id: " +
			           std::string(body, std::min<std::size_t>(n, 200)));
		} else if (sc.kind == Reply::ToolError) {
			s.tool_errors++;
		} else if (sc.kind != Reply::Result) {
			s.errors++;
			note_error(std::string(sc.kind == Reply::RpcError ? "JSON-RPC error: "
			                                                  : "malformed answer: ") +
			           std::string(body, std::min<std::size_t>(n, 200)));
		}
	}
	if (!ws_ && status == 401) {
		give_up(s, "the server no longer accepts the token (401)");
		return;
	}
	if (!ws_ && status == 404) {
		// The server no longer knows the session: begin a new one, a bounded number of times.
		s.stage = Session::Stage::Fresh;
		if (++s.reinits > kMaxReinits)
			give_up(s, "the server kept losing the session (404)");
		else
			queue_init(s);
		return;
	}
	if (phase_ == Phase::Running)
		queue_call(s);
	else if (phase_ == Phase::Closing)
		request_close(s);
}

// The answer to initialize, or (HTTP) to notifications/initialized.
void Runner::init_answer(Session &s, int status, const char *body, std::size_t n)
{
	s.inflight = false;
	if (s.kind == Session::Kind::Notify) {
		s.kind = Session::Kind::None;
		if (status != 202 && status != 200) {
			give_up(s,
			        ("notifications/initialized: HTTP status " + std::to_string(status)).c_str());
			return;
		}
		s.stage = Session::Stage::Ready;
		s.failures = 0;
		session_ready(s);
		return;
	}
	s.kind = Session::Kind::None;
	auto j = nlohmann::json::parse(body, body + n, nullptr, false);
	bool ok = (ws_ || status == 200) && j.is_object() && j.contains("result") &&
	          j["result"].is_object() && j["result"].contains("protocolVersion") &&
	          j["result"]["protocolVersion"].is_string() &&
	          j.value("id", uint64_t(0)) == s.expect_id;
	if (!ok || (!ws_ && s.new_session_id.empty())) {
		std::string why = "initialize failed";
		if (!ws_)
			why += " (HTTP " + std::to_string(status) + ")";
		if (ok)
			why += ": no Mcp-Session-Id";
		else
			why += ": " + std::string(body, std::min<std::size_t>(n, 200));
		give_up(s, why.c_str());
		return;
	}
	std::string version = j["result"]["protocolVersion"].get<std::string>();
	if (ws_) {
		s.notify_pending = true;
		s.stage = Session::Stage::Ready;
		s.failures = 0;
		lws_callback_on_writable(s.wsi);
		session_ready(s);
		return;
	}
	s.session_id = s.new_session_id;
	s.prefix = http_base_ + "Mcp-Session-Id: " + s.session_id +
	           "\r\nMCP-Protocol-Version: " + version + "\r\nContent-Length: ";
	const std::string &note = initialized_notification();
	s.stage = Session::Stage::Notifying;
	s.kind = Session::Kind::Notify;
	s.out.assign(LWS_PRE, '\0');
	s.out += s.prefix;
	append_uint(s.out, note.size());
	s.out += "\r\n\r\n";
	s.out += note;
	s.pending = true;
	lws_callback_on_writable(s.wsi);
}

void Runner::session_ready(Session &s)
{
	if (phase_ == Phase::Running)
		queue_call(s);
	else if (phase_ == Phase::Closing)
		request_close(s);
}

// Reads HTTP/1.1 answers off a raw connection; -1 closes it.
int Runner::http_rx(Session &s, const char *in, std::size_t len)
{
	if (s.in.size() + len > kMaxAnswer) {
		note_error("an answer larger than 64 MiB");
		return -1;
	}
	s.in.append(in, len);
	for (;;) {
		if (s.head_len == 0) {
			std::size_t from = s.scanned > 3 ? s.scanned - 3 : 0;
			const char *e = static_cast<const char *>(
			    memmem(s.in.data() + from, s.in.size() - from, "\r\n\r\n", 4));
			if (!e) {
				s.scanned = s.in.size();
				if (s.in.size() > kMaxHead) {
					note_error("an HTTP head larger than 64 KiB");
					return -1;
				}
				return 0;
			}
			s.head_len = std::size_t(e - s.in.data()) + 4;
			if (!parse_head(s)) {
				note_error("a malformed HTTP answer: " + s.in.substr(0, 80));
				return -1;
			}
			if (s.status >= 100 && s.status < 200) {
				s.in.erase(0, s.head_len);
				s.reset_head();
				continue;
			}
		}
		const char *body = s.in.data() + s.head_len;
		std::size_t body_len = 0, wire = s.head_len;
		if (s.status == 204 || s.status == 304) {
			// no body by definition
		} else if (s.chunked) {
			int r = dechunk(s);
			if (r < 0) {
				note_error("a malformed chunked answer");
				return -1;
			}
			if (r == 0)
				return 0;
			body = s.chunked_body.data();
			body_len = s.chunked_body.size();
			wire = s.chunk_pos;
		} else if (s.content_length >= 0) {
			if (s.in.size() < s.head_len + std::size_t(s.content_length))
				return 0;
			body_len = std::size_t(s.content_length);
			wire = s.head_len + body_len;
		} else {
			note_error("an HTTP answer without Content-Length");
			return -1;
		}
		bool closes = s.server_closes;
		answer(s, s.status, body, body_len, wire);
		s.in.erase(0, wire);
		s.reset_head();
		// The server said it will close: close now, and reconnect as for any lost connection.
		if (closes)
			return -1;
		if (s.in.empty())
			return 0;
	}
}

int Runner::on_ws(lws *wsi, int reason, void *in, std::size_t len)
{
	Session *s = session_of(wsi);
	if (!s)
		return 0;
	try {
		adopt(*s, wsi);
		bool mine = s->wsi == wsi;
		switch (reason) {
			case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
				auto **p = static_cast<unsigned char **>(in);
				unsigned char *end = *p + len;
				std::string auth = "Bearer " + opts_.token;
				return lws_add_http_header_by_token(
				           wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
				           reinterpret_cast<const unsigned char *>(auth.data()), int(auth.size()),
				           p, end)
				           ? -1
				           : 0;
			}
			case LWS_CALLBACK_CLIENT_ESTABLISHED:
				if (!mine)
					return -1;
				connected(*s);
				return 0;
			case LWS_CALLBACK_CLIENT_RECEIVE:
				if (!mine)
					return -1;
				if (s->msg.size() + len > kMaxAnswer) {
					note_error("a message larger than 64 MiB");
					return -1;
				}
				s->msg.append(static_cast<const char *>(in), len);
				if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
					std::size_t n = s->msg.size();
					answer(*s, 200, s->msg.data(), n, n + ws_header_len(n, false));
					s->msg.clear();
				}
				return 0;
			case LWS_CALLBACK_CLIENT_WRITEABLE:
				return mine ? writeable(*s, true) : -1;
			case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
				gone(*s, wsi, in ? static_cast<const char *>(in) : "connection error");
				return 0;
			case LWS_CALLBACK_CLIENT_CLOSED:
				gone(*s, wsi, "closed by the server");
				return 0;
			case LWS_CALLBACK_WSI_DESTROY:
				gone(*s, wsi, "connection destroyed");
				return 0;
			default:
				return 0;
		}
	} catch (const std::exception &e) {
		note_error(e.what());
		return -1;
	}
}

int Runner::on_raw(lws *wsi, int reason, void *in, std::size_t len)
{
	Session *s = session_of(wsi);
	if (!s)
		return 0;
	try {
		adopt(*s, wsi);
		bool mine = s->wsi == wsi;
		switch (reason) {
			case LWS_CALLBACK_RAW_CONNECTED:
				if (!mine)
					return -1;
				connected(*s);
				return 0;
			case LWS_CALLBACK_RAW_RX:
				return mine ? http_rx(*s, static_cast<const char *>(in), len) : -1;
			case LWS_CALLBACK_RAW_WRITEABLE:
				return mine ? writeable(*s, false) : -1;
			case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
				gone(*s, wsi, in ? static_cast<const char *>(in) : "connection error");
				return 0;
			case LWS_CALLBACK_RAW_CLOSE:
				gone(*s, wsi, "closed by the server");
				return 0;
			case LWS_CALLBACK_WSI_DESTROY:
				gone(*s, wsi, "connection destroyed");
				return 0;
			default:
				return 0;
		}
	} catch (const std::exception &e) {
		note_error(e.what());
		return -1;
	}
}

Report Runner::report() const
{
	Report r;
	r.label = opts_.label;
	r.transport = ws_ ? "ws" : "http";
	r.concurrency = int(sessions_.size());
	r.sessions_ready = ready_at_start_;
	if (run_end_ > warmup_end_)
		r.duration_s = std::chrono::duration<double>(run_end_ - warmup_end_).count();
	std::size_t total = 0;
	for (auto &s : sessions_)
		total += s->samples.size();
	std::vector<uint32_t> all;
	all.reserve(total);
	for (auto &s : sessions_) {
		all.insert(all.end(), s->samples.begin(), s->samples.end());
		r.calls += s->calls;
		r.errors += s->errors;
		r.tool_errors += s->tool_errors;
		r.bytes_in += s->bytes_in;
		r.bytes_out += s->bytes_out;
	}
	fill_latency(r, all);
	r.calls_per_sec = r.duration_s > 0 ? double(r.calls) / r.duration_s : 0;
	r.reconnects = reconnects_;
	r.first_error = first_error_;
	return r;
}

void Runner::print_idle_summary() const
{
	if (opts_.json) {
		printf("{\"label\":%s,\"transport\":\"ws\",\"idle_sessions\":%zu,\"ready\":%d,"
		       "\"lost\":%llu,\"hold_s\":%.3f}\n",
		       nlohmann::json(opts_.label).dump().c_str(), sessions_.size(), ready_at_start_,
		       (unsigned long long)lost_in_hold_, held_s_);
	} else {
		printf("label        %s\ntransport    ws (idle)\nsessions     %zu requested, %d ready, "
		       "%llu lost while held\nhold         %.3f s\n",
		       opts_.label.empty() ? "-" : opts_.label.c_str(), sessions_.size(), ready_at_start_,
		       (unsigned long long)lost_in_hold_, held_s_);
		if (!first_error_.empty())
			printf("first error  %s\n", first_error_.c_str());
	}
	fflush(stdout);
}

} // namespace mcp_supa::loadgen
