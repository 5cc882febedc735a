// libwebsockets glue of the gateway: HTTP routing and responses, MCP Streamable HTTP, the
// config pipe. WebSocket and executor sockets live in ws_transport.cpp / executor_link.cpp.
// No C++ exception may cross an lws frame: every callback catches and returns -1.
#include "mcp_supa/net/http_server.h"
#include "mcp_supa/common/clock.h"
#include "mcp_supa/common/text.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "mcp_supa/common/log.h"
#include "mcp_supa/net/listen.h"
#include "mcp_supa/net/router.h"
#include "mcp_supa/net/internal.h"

namespace mcp_supa::net
{

using common::log;
using common::LogLevel;
using nlohmann::json;

namespace
{

constexpr std::size_t kWriteChunk = 16 * 1024;
constexpr int kCancelGraceMs = 2000;      // as the executor's own grace past a call's deadline
constexpr std::size_t kHeaderRoom = 2048; // every response header we write fits

const char *method_name(int m)
{
	switch (m) {
		case LWSHUMETH_GET:
			return "GET";
		case LWSHUMETH_POST:
			return "POST";
		case LWSHUMETH_OPTIONS:
			return "OPTIONS";
		case LWSHUMETH_PUT:
			return "PUT";
		case LWSHUMETH_PATCH:
			return "PATCH";
		case LWSHUMETH_DELETE:
			return "DELETE";
		case LWSHUMETH_HEAD:
			return "HEAD";
		default:
			return "OTHER";
	}
}

int http_trampoline(lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	HttpServer *srv = server_of(wsi);
	if (!srv)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	return srv->on_http(wsi, int(reason), user, in, len);
}

int config_trampoline(lws *wsi, enum lws_callback_reasons reason, void *, void *in, size_t len)
{
	HttpServer *srv = server_of(wsi);
	return srv ? srv->on_config_pipe(wsi, int(reason), in, len) : 0;
}

int ws_trampoline(lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	HttpServer *srv = server_of(wsi);
	return srv ? srv->on_ws(wsi, int(reason), user, in, len) : -1;
}

int exec_listen_trampoline(lws *wsi, enum lws_callback_reasons reason, void *, void *, size_t)
{
	HttpServer *srv = server_of(wsi);
	return srv ? srv->on_executor_listen(wsi, int(reason)) : 0;
}

int jwks_trampoline(lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	HttpServer *srv = server_of(wsi);
	if (!srv)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	try {
		return srv->on_jwks_client(wsi, int(reason), in, len);
	} catch (const std::exception &) {
		return -1;
	}
}

int client_listen_trampoline(lws *wsi, enum lws_callback_reasons reason, void *, void *, size_t)
{
	HttpServer *srv = server_of(wsi);
	return srv ? srv->on_client_listen(wsi, int(reason)) : 0;
}

int exec_trampoline(lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	HttpServer *srv = server_of(wsi);
	return srv ? srv->on_executor(wsi, int(reason), user, in, len) : -1;
}

lws_protocols g_protocols[] = {
    {"http", http_trampoline, sizeof(void *), 0, 0, nullptr, 0},
    {"mcp", ws_trampoline, sizeof(void *), 64 * 1024, 0, nullptr, 0},
    {"mcp-supa-config", config_trampoline, 0, 0, 0, nullptr, 0},
    {"mcp-executor-listen", exec_listen_trampoline, 0, 0, 0, nullptr, 0},
    {"mcp-client-listen", client_listen_trampoline, 0, 0, 0, nullptr, 0},
    {"mcp-executor", exec_trampoline, sizeof(void *), 0, 0, nullptr, 0},
    {"mcp-jwks-client", jwks_trampoline, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// WebSocket keepalive: ping after 30 s of silence, hang up after 60 s.
const lws_retry_bo_t g_ws_retry = {nullptr, 0, 0, 30, 60, 0};

// Every Content-Length header of the request (lws keeps repeats as fragments).
std::vector<std::string> content_lengths(lws *wsi)
{
	std::vector<std::string> out;
	char buf[64];
	for (int frag = 0; frag < 8; frag++) {
		int n = lws_hdr_copy_fragment(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_CONTENT_LENGTH, frag);
		if (n < 0) {
			if (frag == 0 && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
				out.emplace_back("?"); // longer than any length
			break;
		}
		out.emplace_back(buf, std::size_t(n));
	}
	return out;
}

} // namespace

std::string token_header(lws *wsi, int token)
{
	auto t = static_cast<lws_token_indexes>(token);
	int n = lws_hdr_total_length(wsi, t);
	if (n <= 0 || n > 16384)
		return "";
	std::string s(std::size_t(n) + 1, '\0');
	if (lws_hdr_copy(wsi, &s[0], n + 1, t) < 0)
		return "";
	s.resize(std::size_t(n));
	return s;
}

std::vector<std::string> header_list(const std::string &list)
{
	return common::split_list(list);
}

HttpServer *server_of(lws *wsi)
{
	return static_cast<HttpServer *>(lws_context_user(lws_get_context(wsi)));
}

std::string custom_header(lws *wsi, const char *name)
{
	int nlen = int(strlen(name));
	int n = lws_hdr_custom_length(wsi, name, nlen);
	if (n <= 0 || n > 16384)
		return "";
	std::string s(std::size_t(n) + 1, '\0');
	if (lws_hdr_custom_copy(wsi, &s[0], n + 1, name, nlen) < 0)
		return "";
	s.resize(std::size_t(n));
	return s;
}

unsigned char *write_scratch(std::size_t n)
{
	constexpr std::size_t kUsual = 64 * 1024, kKeep = 1024 * 1024;
	static std::vector<unsigned char> buf;
	// Grown for a large message, given back at the next ordinary one.
	if (buf.size() < n || (buf.size() > kKeep && n <= kUsual))
		std::vector<unsigned char>(std::max(n, kUsual)).swap(buf);
	return buf.data();
}

RequestHeaders read_headers(lws *wsi)
{
	RequestHeaders h;
	h.authorization = token_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	h.apikey = custom_header(wsi, "apikey:");
	h.origin = token_header(wsi, WSI_TOKEN_ORIGIN);
	h.host = token_header(wsi, WSI_TOKEN_HOST);
	h.accept = token_header(wsi, WSI_TOKEN_HTTP_ACCEPT);
	h.content_type = token_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
	h.content_length = token_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	h.session_id = custom_header(wsi, "mcp-session-id:");
	h.protocol_version = custom_header(wsi, "mcp-protocol-version:");
	h.user_agent = token_header(wsi, WSI_TOKEN_HTTP_USER_AGENT);
	h.subprotocols = token_header(wsi, WSI_TOKEN_PROTOCOL);
	char peer[64] = {0};
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	h.peer = peer;
	// An IPv4 client on a dual-stack socket reads as ::ffff:a.b.c.d; audit and rate limits
	// want the plain address.
	if (h.peer.rfind("::ffff:", 0) == 0 && h.peer.find('.') != std::string::npos)
		h.peer = h.peer.substr(7);
	return h;
}

std::string check_origin_and_host(const RequestHeaders &h, const GatewayConfig &cfg)
{
	if (!h.origin.empty() && !origin_allowed(h.origin, cfg.allowed_origins))
		return "origin not allowed: " + h.origin;
	bool loopback_only = true;
	for (const auto &a : cfg.listen_addresses)
		loopback_only =
		    loopback_only && (a == "localhost" || a == "::1" || a.rfind("127.", 0) == 0);
	if (loopback_only && !h.host.empty() && !loopback_host(h.host))
		return "host not allowed: " + h.host;
	return "";
}

json request_info(const RequestHeaders &h, const char *method)
{
	json headers = json::object();
	if (!h.user_agent.empty())
		headers["user-agent"] = h.user_agent;
	if (!h.origin.empty())
		headers["origin"] = h.origin;
	return {{"method", method}, {"path", "/mcp"}, {"headers", headers}, {"client_address", h.peer}};
}

// Per-request state of an HTTP connection; lws keeps a pointer to it in its session data.
struct HttpConn {
	uint64_t serial = 0;
	std::string method;
	Route route = Route::NotFound;
	RequestHeaders headers;
	std::string body;
	bool body_too_large = false;   // more body than max_request_bytes (a lying Content-Length)
	bool responded = false;        // a response is queued; any further body is discarded
	bool defer_until_body = false; // a refusal waits until the body is read (no reset)
	bool body_complete = false;
	bool reading_paused = false; // a pipelined request waits: answer this one, then close
	bool drain_after = false;    // answered before its body: read and discard the rest, then close
	bool lingering = false;      // the answer is out; draining the body before closing
	int64_t linger_until_ms = 0;
	auth::Principal principal;
	// the response being written
	unsigned status = 0;
	std::string content_type;
	std::string out;
	std::string out_session_id;
	std::string www_authenticate;
	std::string retry_after; // seconds, for 429
	const char *allow = nullptr;
	std::size_t sent = 0;
	bool headers_sent = false;
	bool close_after = false;
	bool sse = false;       // the response is an event stream (a POST that needed one)
	bool sse_post = false;  // a POST answered as a stream: it ends after the last reply
	bool sse_final = false; // that last reply is queued: close once it is written
	// replies still awaited for a POST, and the slots they fill
	std::size_t awaiting = 0;
	bool batch = false;
	std::vector<json> replies;
};

// The lws timer that drives housekeeping; its first member must be the sul.
struct HttpServer::Housekeeping {
	lws_sorted_usec_list_t sul;
	HttpServer *server;
};

void HttpServer::schedule_housekeeping()
{
	lws_sul_schedule(
	    ctx_, 0, &housekeeping_->sul,
	    [](lws_sorted_usec_list_t *sul) {
		    auto *hk = reinterpret_cast<Housekeeping *>(sul);
		    try {
			    hk->server->housekeep();
		    } catch (const std::exception &e) {
			    log(LogLevel::Warning, "housekeeping failed: %s", e.what());
		    }
		    hk->server->schedule_housekeeping();
	    },
	    LWS_US_PER_SEC);
}

void HttpServer::audit(const audit::Record &record)
{
	if (!core_->cfg.audit)
		return;
	if (!core_->audit_buffer.add(record)) {
		std::size_t dropped = core_->audit_buffer.dropped();
		// Say so once per thousand lost records, not per record.
		if (dropped - audit_dropped_logged_ >= 1000 || audit_dropped_logged_ == 0) {
			log(LogLevel::Warning, "audit buffer full: %zu audit records lost so far", dropped);
			audit_dropped_logged_ = dropped;
		}
	}
	if (audit_flush_scheduled_ || !audit_timer_)
		return;
	audit_flush_scheduled_ = true;
	lws_sul_schedule(
	    ctx_, 0, &audit_timer_->sul,
	    [](lws_sorted_usec_list_t *sul) {
		    auto *t = reinterpret_cast<Housekeeping *>(sul);
		    try {
			    t->server->flush_audit();
		    } catch (const std::exception &e) {
			    log(LogLevel::Warning, "audit flush failed: %s", e.what());
		    }
	    },
	    lws_usec_t(core_->cfg.audit_flush_ms) * 1000);
}

void HttpServer::flush_audit()
{
	audit_flush_scheduled_ = false;
	while (core_->audit_buffer.pending() > 0) {
		std::size_t n = 0;
		std::string batch = core_->audit_buffer.take(2000, n);
		// Serialized by hand: the records are text already (Dispatcher::submit_audit).
		core_->dispatcher.submit_audit(
		    std::move(batch),
		    [this, n](const json &r) {
			    if (r.value("ok", false)) {
				    audit_failing_ = false;
				    return;
			    }
			    if (!audit_failing_) {
				    std::string why = r.contains("error") ? r["error"].value("message", "") : "";
				    log(LogLevel::Warning, "could not write %zu audit records: %s", n, why.c_str());
			    }
			    audit_failing_ = true;
		    },
		    DispatcherSink::now_ms());
	}
}

void HttpServer::audit_refusal(const std::string &status, const std::string &address,
                               const auth::Principal *principal, const std::string &message)
{
	audit::Record r = audit::base_record(principal, address, "");
	r.status = status;
	r.message = message;
	if (!principal)
		r.auth_method = "jwt";
	audit(r);
}

void HttpServer::housekeep()
{
	int64_t now = DispatcherSink::now_ms();
	for (const auto &id : core_->sessions.expire(now))
		core_->server.cancel_session(id);
	core_->server.expire_elicitations();
	// A call may wait for an executor as long as it may run.
	core_->dispatcher.expire_queued(now, core_->cfg.statement_timeout_ms);
	// A cancel the job caught (plpgsql can): past the grace its executor is terminated
	// (SIGTERM ends a backend whatever its code catches) and the pool replaces it.
	for (pid_t pid : core_->dispatcher.overdue_cancels(now, kCancelGraceMs)) {
		log(LogLevel::Warning,
		    "executor (PID %d) still runs a cancelled call %d ms after the cancel; terminating it",
		    int(pid), kCancelGraceMs);
		kill(pid, SIGTERM);
	}
	refresh_api_keys();
	jwks_maybe_refresh(false);
}

void HttpServer::refresh_api_keys()
{
	// One request at a time; a revocation is seen within this period plus one round trip.
	if (api_keys_pending_ || core_->dispatcher.executors() == 0)
		return;
	api_keys_pending_ = true;
	core_->dispatcher.submit(
	    {{"kind", "api_keys"}},
	    [this](const json &r) {
		    api_keys_pending_ = false;
		    if (r.value("ok", false) && r.contains("keys")) {
			    core_->authenticator.set_api_keys(r["keys"]);
			    api_keys_failing_ = false;
		    } else if (!api_keys_failing_) {
			    std::string why = r.contains("error") ? r["error"].value("message", "") : "";
			    log(LogLevel::Warning, "could not read API keys: %s", why.c_str());
			    api_keys_failing_ = true;
		    }
	    },
	    DispatcherSink::now_ms(), true);
}

HttpServer::HttpServer(GatewayConfig cfg) : started_(std::chrono::steady_clock::now())
{
	core_ = std::make_unique<GatewayCore>(
	    std::move(cfg), [this](int e, const std::string &p) { return exec_send(e, p); },
	    [](pid_t pid) {
		    if (pid > 0)
			    kill(pid, SIGINT);
	    });
	core_->server.set_audit([this](audit::Record record) { audit(record); });
}

HttpServer::~HttpServer()
{
	if (ctx_ && housekeeping_)
		lws_sul_cancel(&housekeeping_->sul);
	if (ctx_ && audit_timer_)
		lws_sul_cancel(&audit_timer_->sul);
	if (ctx_)
		lws_context_destroy(ctx_);
	if (executor_listen_fd_ >= 0)
		unlink(core_->cfg.executor_socket.c_str());
	if (spare_fd_ >= 0)
		close(spare_fd_);
}

double HttpServer::uptime_seconds() const
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

int64_t HttpServer::now_ms() const
{
	return common::monotonic_ms();
}

bool HttpServer::start()
{
	lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	const GatewayConfig &tls = core_->cfg;
	bool use_tls = !tls.tls_cert_file.empty();
	// An https JWKS URL needs OpenSSL set up for the client side too.
	if (tls.jwks_url.rfind("https://", 0) == 0)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if (use_tls) {
		// lws reports an unreadable file only as a failed vhost: say which file and why.
		for (const std::string &f : {tls.tls_cert_file, tls.tls_key_file})
			if (access(f.c_str(), R_OK) != 0) {
				log(LogLevel::Warning, "cannot read TLS file \"%s\": %s", f.c_str(),
				    strerror(errno));
				return false;
			}
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	}
	info.user = this;
	info.gid = -1;
	info.uid = -1;
	ctx_ = lws_create_context(&info);
	if (!ctx_) {
		log(LogLevel::Warning, "could not create the libwebsockets context");
		return false;
	}
	const GatewayConfig &cfg = core_->cfg;
	// One vhost that listens on nothing itself: lws would bind an IPv4 address as a
	// dual-stack [::] socket, so the gateway binds each configured address and hands lws the
	// connections it accepts (src/net/client_listen.cpp).
	lws_context_creation_info vinfo;
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	vinfo.protocols = g_protocols;
	vinfo.vhost_name = "mcp";
	vinfo.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	vinfo.keepalive_timeout = 30;
	vinfo.timeout_secs = 30;
	vinfo.retry_and_idle_policy = &g_ws_retry;
	if (use_tls) {
		// lws reads the TLS options of an explicit vhost from the vhost's own info.
		vinfo.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		vinfo.ssl_cert_filepath = cfg.tls_cert_file.c_str();
		vinfo.ssl_private_key_filepath = cfg.tls_key_file.c_str();
		// TLS 1.2 and newer only.
		vinfo.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
	}
	first_vhost_ = lws_create_vhost(ctx_, &vinfo);
	if (!first_vhost_) {
		log(LogLevel::Warning, "could not create the libwebsockets vhost%s",
		    use_tls ? " (check the TLS certificate and key)" : "");
		return false;
	}
	spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!open_client_listeners(first_vhost_))
		return false;
	if (!open_executor_socket())
		return false;
	housekeeping_ = std::make_unique<Housekeeping>();
	memset(&housekeeping_->sul, 0, sizeof(housekeeping_->sul));
	housekeeping_->server = this;
	schedule_housekeeping();
	audit_timer_ = std::make_unique<Housekeeping>();
	memset(&audit_timer_->sul, 0, sizeof(audit_timer_->sul));
	audit_timer_->server = this;
	jwks_maybe_refresh(false); // the first fetch, before any token needs it
	return true;
}

bool HttpServer::adopt_config_pipe(int fd, FrameHandler on_frame)
{
	on_frame_ = std::move(on_frame);
	lws_sock_file_fd_type desc;
	desc.filefd = fd;
	if (!lws_adopt_descriptor_vhost(first_vhost_, LWS_ADOPT_RAW_FILE_DESC, desc, "mcp-supa-config",
	                                nullptr)) {
		log(LogLevel::Warning, "could not adopt the configuration pipe");
		return false;
	}
	return true;
}

void HttpServer::run(volatile std::sig_atomic_t &stop_flag)
{
	while (!stop_flag && !stopping_)
		if (lws_service(ctx_, 0) < 0)
			break;
	// Last audit records: give the executors a moment to take them (they may be stopping too).
	flush_audit();
	auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
	while ((core_->dispatcher.running() > 0 || core_->dispatcher.queued() > 0) &&
	       core_->dispatcher.executors() > 0 && std::chrono::steady_clock::now() < deadline)
		if (lws_service(ctx_, 0) < 0)
			break;
}

void HttpServer::wake()
{
	if (ctx_)
		lws_cancel_service(ctx_);
}

int HttpServer::on_config_pipe(lws *wsi, int reason, void *, std::size_t)
{
	try {
		switch (reason) {
			case LWS_CALLBACK_RAW_RX_FILE: {
				char buf[8192];
				ssize_t n = read(lws_get_socket_fd(wsi), buf, sizeof(buf));
				if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
					log(LogLevel::Debug, "configuration pipe closed; shutting down");
					stopping_ = true;
					return -1;
				}
				if (n < 0)
					return 0;
				config_decoder_.feed(buf, std::size_t(n));
				std::string payload;
				while (config_decoder_.next(payload))
					if (on_frame_)
						on_frame_(payload);
				return 0;
			}
			case LWS_CALLBACK_RAW_CLOSE_FILE:
				stopping_ = true;
				lws_cancel_service(lws_get_context(wsi));
				return 0;
			default:
				return 0;
		}
	} catch (const std::exception &e) {
		log(LogLevel::Warning, "configuration pipe: %s", e.what());
		stopping_ = true;
		return -1;
	}
}

// ---- responses ---------------------------------------------------------------------------

void HttpServer::respond(lws *wsi, HttpConn &c, unsigned status, std::string body,
                         const char *content_type)
{
	c.status = status;
	c.out = std::move(body);
	c.content_type = content_type;
	c.sent = 0;
	c.headers_sent = false;
	c.responded = true;
	// Closing on a client that is still sending makes its kernel discard our answer (RST):
	// read the rest of a reasonably sized body first, then answer on a live connection.
	if (c.defer_until_body && !c.body_complete) {
		c.close_after = false;
		return;
	}
	write_when_ready(wsi, c);
}

// lws 4.1 offers the bytes after a request body (a pipelined request) again and again,
// each time completing the body anew, and never parses them: the loop would spin. Stop
// reading until the answer is ready, then answer and close: the client sends the rest on a
// new connection.
int HttpServer::pipelined_after_body(lws *wsi, HttpConn &c)
{
	c.close_after = true;
	// An answer already queued goes out at the next writable callback; otherwise pause
	// reading (lws offers the bytes no more) until the answer is ready.
	if (c.responded || c.reading_paused)
		return 0;
	c.reading_paused = true;
	lws_rx_flow_control(wsi, 0);
	return 0;
}

// Asks for a writable callback; lws 4.1 gives none while reading is paused.
void HttpServer::write_when_ready(lws *wsi, HttpConn &c)
{
	if (c.reading_paused) {
		c.reading_paused = false;
		lws_rx_flow_control(wsi, 1);
	}
	lws_callback_on_writable(wsi);
}

void HttpServer::respond_rpc_error(lws *wsi, HttpConn &c, unsigned status, int code,
                                   const std::string &msg)
{
	respond(wsi, c, status, mcp::make_error(nullptr, code, msg).dump());
}

void HttpServer::respond_unauthorized(lws *wsi, HttpConn &c, const std::string &why)
{
	// why may quote a token's own claims: never put them raw into a header.
	std::string desc = header_safe(why);
	c.www_authenticate = "Bearer realm=\"mcp_supa\"";
	if (!c.headers.authorization.empty() || !c.headers.apikey.empty())
		c.www_authenticate += ", error=\"invalid_token\", error_description=\"" + desc + "\"";
	respond(wsi, c, 401, error_body(401, why));
}

int64_t HttpServer::address_wait(const std::string &address)
{
	return core_->per_address.acquire(address, DispatcherSink::now_ms());
}

void HttpServer::note_auth_failure(const std::string &address)
{
	if (core_->auth_failures.record_failure(address, DispatcherSink::now_ms()))
		log(LogLevel::Warning,
		    "blocking client address %s for %d s after repeated authentication failures "
		    "(mcp_supa.auth_fail_limit = %s)",
		    address.c_str(), core_->cfg.auth_ban_seconds, core_->cfg.auth_fail_limit.c_str());
}

void HttpServer::respond_too_many(lws *wsi, HttpConn &c, int64_t wait_ms, const char *setting)
{
	c.retry_after = std::to_string((wait_ms + 999) / 1000);
	respond(wsi, c, 429, error_body(429, too_many_message(wait_ms, setting)));
}

// Writes the response headers, and on HTTP/1.x the start of the body with them: one send
// and one client wakeup instead of two (h2 frames headers and data separately).
int HttpServer::http_write_headers(lws *wsi, HttpConn &c)
{
	bool with_body =
	    !c.sse && c.method != "HEAD" && !c.out.empty() && lws_get_network_wsi(wsi) == wsi;
	std::size_t body = with_body ? std::min(c.out.size(), kWriteChunk) : 0;
	unsigned char *start = write_scratch(LWS_PRE + kHeaderRoom + body) + LWS_PRE;
	unsigned char *p = start, *end = start + kHeaderRoom - 1;
	lws_filepos_t len = c.sse ? LWS_ILLEGAL_HTTP_CONTENT_LEN : lws_filepos_t(c.out.size());
	if (lws_add_http_common_headers(wsi, c.status, c.content_type.c_str(), len, &p, end))
		return -1;
	auto add = [&](const char *name, const std::string &value) {
		return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char *>(name),
		                                   reinterpret_cast<const unsigned char *>(value.data()),
		                                   int(value.size()), &p, end);
	};
	if (add("cache-control:", "no-store"))
		return -1;
	if (c.allow && add("allow:", c.allow))
		return -1;
	if (!c.out_session_id.empty() && add("mcp-session-id:", c.out_session_id))
		return -1;
	if (!c.www_authenticate.empty() && add("www-authenticate:", c.www_authenticate))
		return -1;
	if (!c.retry_after.empty() && add("retry-after:", c.retry_after))
		return -1;
	if (c.close_after && add("connection:", "close"))
		return -1;
	if (!with_body) {
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
	} else {
		if (lws_finalize_http_header(wsi, &p, end))
			return -1;
		memcpy(p, c.out.data(), body);
		std::size_t n = std::size_t(p - start) + body;
		if (lws_write(wsi, start, n,
		              body == c.out.size() ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != int(n))
			return -1;
		c.sent = body;
	}
	c.headers_sent = true;
	return 0;
}

int HttpServer::http_writeable(lws *wsi, HttpConn &c)
{
	if (!c.responded)
		return 0;
	if (!c.headers_sent) {
		if (http_write_headers(wsi, c))
			return -1;
		// A stream holds its connection for long: give back its header table, as
		// lws_http_mark_sse would (which on HTTP/1 also logs "not h2 substream").
		if (c.sse)
			lws_http_headers_detach(wsi);
		if (c.method == "HEAD" || (c.out.empty() && !c.sse)) {
			c.responded = false;
			if (c.close_after)
				return -1;
			return lws_http_transaction_completed(wsi) ? -1 : 0;
		}
		if (c.sent < c.out.size() || c.sse) {
			lws_callback_on_writable(wsi);
			return 0;
		}
		return http_response_sent(wsi, c);
	}
	std::size_t left = c.out.size() - c.sent;
	std::size_t n = std::min(left, kWriteChunk);
	unsigned char *chunk = write_scratch(LWS_PRE + n) + LWS_PRE;
	memcpy(chunk, c.out.data() + c.sent, n);
	bool last = n == left && !c.sse;
	if (lws_write(wsi, chunk, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != int(n))
		return -1;
	c.sent += n;
	if (c.sent < c.out.size()) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	return http_response_sent(wsi, c);
}

// The whole body went out: an SSE stream waits for more, anything else ends its transaction.
int HttpServer::http_response_sent(lws *wsi, HttpConn &c)
{
	if (c.sse) {
		c.out.clear();
		c.sent = 0;
		// A POST's stream ends with its reply; without a length, closing is how it ends.
		return c.sse_final ? -1 : 0;
	}
	c.responded = false;
	if (c.close_after)
		return c.drain_after && !c.body_complete ? start_lingering(wsi, c) : -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

// Lingering close, as nginx does: the response is out; half-close, then read and discard
// the rest of the body (each chunk within kLingerIdleS, all within kLingerTotalS) so closing
// cannot reset the connection before the client read the answer.
int HttpServer::start_lingering(lws *wsi, HttpConn &c)
{
	constexpr int kLingerIdleS = 5; // as keep_lingering
	constexpr int64_t kLingerTotalMs = 30000;
	if (lws_get_network_wsi(wsi) != wsi)
		return -1; // an h2 stream: resetting it leaves the connection alone
	if (!lws_is_ssl(wsi))
		shutdown(lws_get_socket_fd(wsi), SHUT_WR);
	c.lingering = true;
	c.linger_until_ms = DispatcherSink::now_ms() + kLingerTotalMs;
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, kLingerIdleS);
	return 0;
}

// A discarded chunk of a lingering connection's body: more time, unless the total is spent.
int HttpServer::keep_lingering(lws *wsi, HttpConn &c)
{
	if (DispatcherSink::now_ms() > c.linger_until_ms)
		return -1;
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 5);
	return 0;
}

// ---- request handling ----------------------------------------------------------------------

int HttpServer::http_request(lws *wsi, HttpConn &c)
{
	const GatewayConfig &cfg = core_->cfg;
	char *uri = nullptr;
	int uri_len = 0;
	int m = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
	std::string path = uri ? std::string(uri, std::size_t(uri_len)) : std::string();
	c.method = method_name(m);
	c.headers = read_headers(wsi);
	resolve_client_address(wsi, c.headers, core_->trusted_proxies);
	RouteMatch match = route_request(c.method, path);
	c.route = match.route;
	std::string framing = framing_problem(
	    content_lengths(wsi), lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0);
	if (!framing.empty()) {
		c.close_after = true;
		respond(wsi, c, 400, error_body(400, "ambiguous request framing: " + framing));
		return 0;
	}
	switch (match.route) {
		case Route::Health:
			respond(wsi, c, 200, health_body(cfg.version, uptime_seconds()));
			return 0;
		case Route::Ready: {
			std::size_t n = core_->dispatcher.executors();
			json body = {{"status", n > 0 ? "ready" : "starting"},
			             {"executors", n},
			             {"workers", cfg.workers}};
			respond(wsi, c, n > 0 ? 200 : 503, body.dump());
			return 0;
		}
		case Route::MethodNotAllowed:
			c.allow = match.allow;
			c.close_after = c.method == "POST" || c.method == "PUT" || c.method == "PATCH";
			respond(wsi, c, 405, error_body(405, "method not allowed"));
			return 0;
		case Route::NotFound:
			c.close_after = c.method == "POST" || c.method == "PUT" || c.method == "PATCH";
			respond(wsi, c, 404, error_body(404, "not found"));
			return 0;
		case Route::Mcp:
			break;
	}
	bool has_body = c.method == "POST";
	c.close_after = has_body; // an early refusal leaves the body unread
	uint64_t declared = std::strtoull(c.headers.content_length.c_str(), nullptr, 10);
	c.defer_until_body = has_body && !c.headers.content_length.empty() &&
	                     declared <= 16 * uint64_t(cfg.max_request_bytes);
	std::string why = check_origin_and_host(c.headers, cfg);
	if (!why.empty()) {
		respond(wsi, c, 403, error_body(403, why));
		return 0;
	}
	if (has_body && c.headers.content_length.empty()) {
		// lws 4.1 does not decode chunked request bodies: ask for a length instead of hanging.
		respond(wsi, c, 411,
		        error_body(411, "Content-Length required (chunked bodies are not accepted)"));
		return 0;
	}
	if (has_body && declared > uint64_t(cfg.max_request_bytes)) {
		// Answered at once; the body is drained afterwards so the client reads the 413.
		c.defer_until_body = false;
		c.drain_after = true;
		respond(wsi, c, 413,
		        error_body(413, "request body exceeds mcp_supa.max_request_bytes (" +
		                            std::to_string(cfg.max_request_bytes) + " bytes)"));
		return 0;
	}
	Admission admitted =
	    admit(c.headers, auth::pick_token(c.headers.authorization, c.headers.apikey));
	if (admitted.status == 429) {
		respond_too_many(wsi, c, admitted.retry_ms, admitted.setting);
		return 0;
	}
	if (admitted.status != 0) {
		respond_unauthorized(wsi, c, admitted.auth.error);
		return 0;
	}
	c.principal = admitted.auth.principal;
	if (int64_t wait = core_->per_principal.acquire(c.principal.caller_key(c.headers.peer),
	                                                DispatcherSink::now_ms())) {
		audit_refusal("rate_limited", c.headers.peer, &c.principal, "principal over its rate");
		respond_too_many(wsi, c, wait);
		return 0;
	}
	if (!c.headers.protocol_version.empty() &&
	    !mcp::supported_protocol_version(c.headers.protocol_version)) {
		respond_rpc_error(wsi, c, 400, mcp::rpc_error::kInvalidRequest,
		                  "unsupported MCP-Protocol-Version: " + c.headers.protocol_version);
		return 0;
	}
	if (c.method == "GET") {
		mcp_get(wsi, c);
		return 0;
	}
	if (c.method == "DELETE") {
		mcp_delete(wsi, c);
		return 0;
	}
	if (!accepts(c.headers.accept, "application/json") ||
	    !accepts(c.headers.accept, "text/event-stream")) {
		respond(wsi, c, 406,
		        error_body(406, "Accept must list application/json and text/event-stream"));
		return 0;
	}
	if (c.headers.content_type.rfind("application/json", 0) != 0) {
		respond(wsi, c, 415, error_body(415, "Content-Type must be application/json"));
		return 0;
	}
	c.close_after = false;
	return 0; // the body follows
}

mcp::Session *HttpServer::create_session(const char *transport, const auth::Principal &principal,
                                         const std::string &address)
{
	mcp::Session *s = core_->sessions.create(transport, principal.key(), now_ms(),
	                                         principal.caller_key(address), address);
	for (const auto &id : core_->sessions.take_evicted())
		core_->server.cancel_session(id);
	return s;
}

mcp::Session *HttpServer::request_session(lws *wsi, HttpConn &c)
{
	if (c.headers.session_id.empty()) {
		respond_rpc_error(wsi, c, 400, mcp::rpc_error::kInvalidRequest,
		                  "Mcp-Session-Id header required (send initialize first)");
		return nullptr;
	}
	mcp::Session *s = core_->sessions.find(c.headers.session_id, now_ms());
	// Another principal's session is answered like an unknown one: no session oracle.
	if (!s || s->principal_key != c.principal.key()) {
		respond_rpc_error(wsi, c, 404, mcp::rpc_error::kInvalidRequest, "session not found");
		return nullptr;
	}
	return s;
}

void HttpServer::mcp_get(lws *wsi, HttpConn &c)
{
	// The server sends nothing of its own outside a POST's answer, so it offers no GET stream
	// (MCP allows 405 here). lws 4.1 also never notices a client leaving a bodiless stream:
	// each one would spin the loop and keep its socket.
	c.allow = "POST, DELETE";
	respond(wsi, c, 405,
	        error_body(405, "this server offers no GET event stream; POST requests to /mcp"));
}

void HttpServer::mcp_delete(lws *wsi, HttpConn &c)
{
	mcp::Session *s = request_session(wsi, c);
	if (!s)
		return;
	core_->server.cancel_session(s->id);
	core_->sessions.erase(s->id);
	respond(wsi, c, 204, "");
}

void HttpServer::deliver_http_reply(uint64_t serial, std::size_t slot, json response)
{
	auto it = http_by_serial_.find(serial);
	if (it == http_by_serial_.end())
		return; // the client went away
	lws *wsi = it->second;
	HttpConn *c = *static_cast<HttpConn **>(lws_wsi_user(wsi));
	if (!c || c->serial != serial || c->awaiting == 0)
		return;
	c->replies[slot] = std::move(response);
	if (--c->awaiting > 0)
		return;
	std::string body;
	if (c->batch) {
		body = "[";
		for (auto &r : c->replies)
			if (!r.is_null()) {
				if (body.size() > 1)
					body += ',';
				body += mcp::serialize_message(r);
			}
		body += ']';
	} else
		body = mcp::serialize_message(c->replies[0]);
	if (c->sse) {
		c->out += "event: message\ndata: " + body + "\n\n";
		c->sse_final = true;
		write_when_ready(wsi, *c);
		return;
	}
	respond(wsi, *c, 200, std::move(body));
}

void HttpServer::sse_request(uint64_t serial, const json &msg)
{
	auto it = http_by_serial_.find(serial);
	if (it == http_by_serial_.end())
		return;
	lws *wsi = it->second;
	HttpConn *c = *static_cast<HttpConn **>(lws_wsi_user(wsi));
	if (!c || c->serial != serial || c->sse_final)
		return;
	std::string event = "event: message\ndata: " + mcp::serialize_message(msg) + "\n\n";
	if (!c->sse) {
		// Turn this POST's answer into an event stream: the request goes first, the reply
		// follows on the same stream (MCP Streamable HTTP).
		c->sse = c->sse_post = true;
		c->close_after = true;
		respond(wsi, *c, 200, event, "text/event-stream");
		return;
	}
	c->out += event;
	write_when_ready(wsi, *c);
}

int HttpServer::mcp_post_body(lws *wsi, HttpConn &c)
{
	const GatewayConfig &cfg = core_->cfg;
	if (c.body_too_large) {
		respond(wsi, c, 413,
		        error_body(413, "request body exceeds mcp_supa.max_request_bytes (" +
		                            std::to_string(cfg.max_request_bytes) + " bytes)"));
		return 0;
	}
	common::ClientJson checked = common::parse_client_json(c.body); // depth and batch limits first
	if (!checked.ok()) {
		respond_rpc_error(wsi, c, checked.status, checked.code, checked.error);
		return 0;
	}
	json parsed = std::move(checked.value);
	c.batch = parsed.is_array();
	std::vector<json> messages;
	if (c.batch) {
		if (parsed.empty()) {
			respond_rpc_error(wsi, c, 400, mcp::rpc_error::kInvalidRequest, "empty batch");
			return 0;
		}
		messages.assign(parsed.begin(), parsed.end());
	} else
		messages.push_back(std::move(parsed));

	bool is_initialize = false;
	for (const auto &msg : messages)
		if (msg.is_object() && msg.value("method", json()) == "initialize")
			is_initialize = true;
	mcp::Session *session = nullptr;
	if (is_initialize) {
		if (c.batch) {
			respond_rpc_error(wsi, c, 400, mcp::rpc_error::kInvalidRequest,
			                  "initialize must not be part of a batch");
			return 0;
		}
		session = create_session("http", c.principal, c.headers.peer);
		if (!session) {
			respond_rpc_error(wsi, c, 503, mcp::rpc_error::kServerBusy, "too many sessions");
			return 0;
		}
		c.out_session_id = session->id;
	} else {
		session = request_session(wsi, c);
		if (!session)
			return 0;
		if (c.batch && session->protocol_version != "2025-03-26") {
			respond_rpc_error(wsi, c, 400, mcp::rpc_error::kInvalidRequest,
			                  "JSON-RPC batches are only accepted in protocol version 2025-03-26");
			return 0;
		}
	}
	uint64_t conn_serial = c.serial;
	mcp::CallContext ctx{c.principal, request_info(c.headers, "POST"),
	                     [this, conn_serial](json m) { sse_request(conn_serial, m); }};
	c.replies.assign(messages.size(), json());
	c.awaiting = 0;
	for (const auto &msg : messages)
		if (msg.is_object() && msg.contains("method") && msg.contains("id"))
			c.awaiting++;
		else if (!msg.is_object() ||
		         (!msg.contains("method") && !msg.contains("result") && !msg.contains("error")))
			c.awaiting++; // invalid: answered with an error
	if (c.awaiting == 0) {
		for (const auto &msg : messages)
			core_->server.handle(msg, *session, ctx, [](json) {});
		respond(wsi, c, 202, "");
		return 0;
	}
	uint64_t serial = c.serial;
	for (std::size_t i = 0; i < messages.size(); i++)
		core_->server.handle(messages[i], *session, ctx, [this, serial, i](json r) {
			deliver_http_reply(serial, i, std::move(r));
		});
	return 0;
}

int HttpServer::on_http(lws *wsi, int reason, void *user, void *in, std::size_t len)
{
	auto **slot = static_cast<HttpConn **>(user);
	try {
		switch (reason) {
			case LWS_CALLBACK_HTTP: {
				if (!slot)
					return -1;
				if (*slot)
					http_by_serial_.erase((*slot)->serial);
				delete *slot;
				*slot = new HttpConn();
				(*slot)->serial = next_serial_++;
				http_by_serial_[(*slot)->serial] = wsi;
				return http_request(wsi, **slot);
			}
			case LWS_CALLBACK_HTTP_BODY: {
				HttpConn *c = slot ? *slot : nullptr;
				if (c && c->lingering)
					return keep_lingering(wsi, *c);
				if (!c || c->responded || c->body_too_large)
					return 0;
				if (c->body.size() + len > std::size_t(core_->cfg.max_request_bytes)) {
					c->body_too_large = true;
					c->body.clear();
					return 0;
				}
				c->body.append(static_cast<const char *>(in), len);
				return 0;
			}
			case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
				HttpConn *c = slot ? *slot : nullptr;
				if (!c)
					return 0;
				// lws 4.1 repeats this callback while a pipelined request waits in its
				// buffer: answer once, and read nothing more until the answer is out.
				if (c->body_complete)
					return pipelined_after_body(wsi, *c);
				c->body_complete = true;
				if (c->lingering)
					return -1; // all read: closing sends a clean FIN
				if (c->responded) {
					write_when_ready(wsi, *c); // a refusal waited for the body
					return 0;
				}
				return mcp_post_body(wsi, *c);
			}
			case LWS_CALLBACK_HTTP_WRITEABLE: {
				HttpConn *c = slot ? *slot : nullptr;
				return c ? http_writeable(wsi, *c) : 0;
			}
			case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
				return ws_confirm_upgrade(wsi);
			case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
				return 1; // a WebSocket upgrade without the "mcp" subprotocol
			case LWS_CALLBACK_WSI_DESTROY:
				connection_closed(wsi);
				return 0;
			case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
			case LWS_CALLBACK_CLOSED_HTTP:
				if (slot && *slot) {
					http_by_serial_.erase((*slot)->serial);
					delete *slot;
					*slot = nullptr;
				}
				return 0;
			default:
				return lws_callback_http_dummy(wsi, lws_callback_reasons(reason), user, in, len);
		}
	} catch (const std::exception &e) {
		log(LogLevel::Warning, "HTTP handler failed: %s", e.what());
		return -1;
	}
}

} // namespace mcp_supa::net
