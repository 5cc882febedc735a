// The gateway's event loop (include/mcp_supa/net/gateway_loop.h): the lws context and vhost,
// the protocol table whose callbacks lead to the transports, the config pipe, and the timers
// of the periodic work. No C++ exception may cross an lws frame: every callback catches.
#include "mcp_supa/net/gateway_loop.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include "mcp_supa/common/log.h"
#include "mcp_supa/net/client_listen.h"
#include "mcp_supa/net/executor_link.h"
#include "mcp_supa/net/http_client.h"
#include "mcp_supa/net/jwks_client.h"
#include "mcp_supa/net/streamable_http.h"
#include "mcp_supa/net/upstream_client.h"
#include "mcp_supa/net/ws_transport.h"

namespace mcp_supa::net
{

using common::log;
using common::LogLevel;

namespace
{

int http_trampoline(lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	GatewayLoop *loop = loop_of(wsi);
	if (!loop)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	return loop->http().on_http(wsi, int(reason), user, in, len);
}

int config_trampoline(lws *wsi, enum lws_callback_reasons reason, void *, void *, size_t)
{
	GatewayLoop *loop = loop_of(wsi);
	return loop ? loop->on_config_pipe(wsi, int(reason)) : 0;
}

int ws_trampoline(lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	GatewayLoop *loop = loop_of(wsi);
	return loop ? loop->ws().on_ws(wsi, int(reason), user, in, len) : -1;
}

int exec_listen_trampoline(lws *wsi, enum lws_callback_reasons reason, void *, void *, size_t)
{
	GatewayLoop *loop = loop_of(wsi);
	return loop ? loop->executors().on_listen(wsi, int(reason)) : 0;
}

int http_client_trampoline(lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
	GatewayLoop *loop = loop_of(wsi);
	if (!loop)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	try {
		return loop->http_client().on_callback(wsi, int(reason), in, len);
	} catch (const std::exception &e) {
		log(LogLevel::Warning, "HTTP client: %s", e.what());
		return -1;
	}
}

int client_listen_trampoline(lws *wsi, enum lws_callback_reasons reason, void *, void *, size_t)
{
	GatewayLoop *loop = loop_of(wsi);
	return loop ? loop->clients().on_listen(wsi, int(reason)) : 0;
}

int exec_trampoline(lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	GatewayLoop *loop = loop_of(wsi);
	return loop ? loop->executors().on_executor(wsi, int(reason), user, in, len) : -1;
}

lws_protocols g_protocols[] = {
    {"http", http_trampoline, sizeof(void *), 0, 0, nullptr, 0},
    {"mcp", ws_trampoline, sizeof(void *), 64 * 1024, 0, nullptr, 0},
    {"mcp-supa-config", config_trampoline, 0, 0, 0, nullptr, 0},
    {"mcp-executor-listen", exec_listen_trampoline, 0, 0, 0, nullptr, 0},
    {"mcp-client-listen", client_listen_trampoline, 0, 0, 0, nullptr, 0},
    {"mcp-executor", exec_trampoline, sizeof(void *), 0, 0, nullptr, 0},
    {HttpClient::kProtocol, http_client_trampoline, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// WebSocket keepalive: ping after 30 s of silence, hang up after 60 s.
const lws_retry_bo_t g_ws_retry = {nullptr, 0, 0, 30, 60, 0};

} // namespace

// An lws timer of the loop; its first member must be the sul.
struct GatewayLoop::Timer {
	lws_sorted_usec_list_t sul;
	GatewayLoop *loop;
};

GatewayLoop *loop_of(lws *wsi)
{
	return static_cast<GatewayLoop *>(lws_context_user(lws_get_context(wsi)));
}

GatewayLoop::GatewayLoop(GatewayConfig cfg) : started_(std::chrono::steady_clock::now())
{
	core_ = std::make_unique<GatewayCore>(
	    std::move(cfg),
	    [this](int e, const std::string &p) { return executors_ && executors_->send(e, p); },
	    [](pid_t pid) {
		    if (pid > 0)
			    kill(pid, SIGINT);
	    });
	http_ = std::make_unique<StreamableHttp>(*this);
	ws_ = std::make_unique<WsTransport>(*this);
	executors_ = std::make_unique<ExecutorLink>(*this);
	clients_ = std::make_unique<ClientListeners>(*core_);
}

GatewayLoop::~GatewayLoop()
{
	if (ctx_ && tick_timer_)
		lws_sul_cancel(&tick_timer_->sul);
	if (ctx_ && audit_timer_)
		lws_sul_cancel(&audit_timer_->sul);
	core_->server.set_http(nullptr);
	if (upstreams_)
		upstreams_->abandon_all(); // their timers live in the context
	if (http_client_)
		http_client_->abandon_all();
	if (ctx_)
		lws_context_destroy(ctx_);
}

double GatewayLoop::uptime_seconds() const
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

bool GatewayLoop::create_context()
{
	lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	const GatewayConfig &cfg = core_->cfg;
	bool use_tls = !cfg.tls_cert_file.empty();
	// https upstreams (JWKS, Storage) need OpenSSL set up for the client side too; always, as
	// mcp_supa.storage_url may turn https on a reload.
	info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if (use_tls) {
		// lws reports an unreadable file only as a failed vhost: say which file and why.
		for (const std::string &f : {cfg.tls_cert_file, cfg.tls_key_file})
			if (access(f.c_str(), R_OK) != 0) {
				log(LogLevel::Warning, "cannot read TLS file \"%s\": %s", f.c_str(),
				    strerror(errno));
				return false;
			}
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	}
	// lws's own client timeouts (5 s awaiting a response here) would cut outbound requests
	// short: each request has its own timer instead (HttpClientRequest::timeout_ms, at most an
	// hour). The server side keeps the vhost's timeouts below.
	info.timeout_secs = 3600;
	info.user = this;
	info.gid = -1;
	info.uid = -1;
	ctx_ = lws_create_context(&info);
	if (!ctx_) {
		log(LogLevel::Warning, "could not create the libwebsockets context");
		return false;
	}
	// One vhost that listens on nothing itself: lws would bind an IPv4 address as a
	// dual-stack [::] socket, so the gateway binds each configured address and hands lws the
	// connections it accepts (src/net/client_listen.cpp).
	lws_context_creation_info vinfo;
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	vinfo.protocols = g_protocols;
	vinfo.vhost_name = "mcp";
	// DO_SSL_GLOBAL_INIT on the vhost too: lws sets up its client TLS context only then.
	vinfo.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	vinfo.keepalive_timeout = 30;
	vinfo.timeout_secs = 30;
	vinfo.retry_and_idle_policy = &g_ws_retry;
	// The outbound client verifies upstream certificates against these CAs (or the system's).
	if (!cfg.storage_ca_file.empty())
		vinfo.client_ssl_ca_filepath = cfg.storage_ca_file.c_str();
	if (use_tls) {
		// lws reads the TLS options of an explicit vhost from the vhost's own info.
		vinfo.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		vinfo.ssl_cert_filepath = cfg.tls_cert_file.c_str();
		vinfo.ssl_private_key_filepath = cfg.tls_key_file.c_str();
		// TLS 1.2 and newer only.
		vinfo.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
	}
	vhost_ = lws_create_vhost(ctx_, &vinfo);
	if (!vhost_) {
		log(LogLevel::Warning, "could not create the libwebsockets vhost%s",
		    use_tls ? " (check the TLS certificate and key)" : "");
		return false;
	}
	return true;
}

bool GatewayLoop::start()
{
	if (!create_context())
		return false;
	if (!clients_->open(vhost_))
		return false;
	if (!executors_->open())
		return false;
	http_client_ = std::make_unique<HttpClient>(ctx_, vhost_);
	upstreams_ = std::make_unique<UpstreamClient>(ctx_, *http_client_);
	core_->server.set_http(upstreams_.get());
	jwks_ = std::make_unique<JwksFetcher>(*core_, *upstreams_);
	tick_timer_ = std::make_unique<Timer>();
	memset(&tick_timer_->sul, 0, sizeof(tick_timer_->sul));
	tick_timer_->loop = this;
	schedule_tick();
	audit_timer_ = std::make_unique<Timer>();
	memset(&audit_timer_->sul, 0, sizeof(audit_timer_->sul));
	audit_timer_->loop = this;
	core_->schedule_audit_flush = [this](int64_t delay_ms) { schedule_audit_flush(delay_ms); };
	jwks_->maybe_refresh(false); // the first fetch, before any token needs it
	return true;
}

void GatewayLoop::schedule_tick()
{
	lws_sul_schedule(
	    ctx_, 0, &tick_timer_->sul,
	    [](lws_sorted_usec_list_t *sul) {
		    auto *t = reinterpret_cast<Timer *>(sul);
		    try {
			    t->loop->tick();
		    } catch (const std::exception &e) {
			    log(LogLevel::Warning, "housekeeping failed: %s", e.what());
		    }
		    t->loop->schedule_tick();
	    },
	    LWS_US_PER_SEC);
}

void GatewayLoop::tick()
{
	TickResult due = core_->tick(core_->clock());
	// A cancel the job caught (plpgsql can): past the grace its executor is terminated
	// (SIGTERM ends a backend whatever its code catches) and the pool replaces it.
	for (pid_t pid : due.overdue_executors) {
		log(LogLevel::Warning,
		    "executor (PID %d) still runs a cancelled call %d ms after the cancel; terminating it",
		    int(pid), GatewayCore::kCancelGraceMs);
		kill(pid, SIGTERM);
	}
	if (due.jwks_fetch)
		jwks_->fetch(due.jwks_fetch);
}

void GatewayLoop::schedule_audit_flush(int64_t delay_ms)
{
	lws_sul_schedule(
	    ctx_, 0, &audit_timer_->sul,
	    [](lws_sorted_usec_list_t *sul) {
		    auto *t = reinterpret_cast<Timer *>(sul);
		    try {
			    t->loop->core_->flush_audit();
		    } catch (const std::exception &e) {
			    log(LogLevel::Warning, "audit flush failed: %s", e.what());
		    }
	    },
	    lws_usec_t(delay_ms) * 1000);
}

bool GatewayLoop::adopt_config_pipe(int fd, FrameHandler on_frame)
{
	on_frame_ = std::move(on_frame);
	lws_sock_file_fd_type desc;
	desc.filefd = fd;
	if (!lws_adopt_descriptor_vhost(vhost_, LWS_ADOPT_RAW_FILE_DESC, desc, "mcp-supa-config",
	                                nullptr)) {
		log(LogLevel::Warning, "could not adopt the configuration pipe");
		return false;
	}
	return true;
}

void GatewayLoop::run(volatile std::sig_atomic_t &stop_flag)
{
	while (!stop_flag && !stopping_)
		if (lws_service(ctx_, 0) < 0)
			break;
	// Last audit records: give the executors a moment to take them (they may be stopping too).
	core_->flush_audit();
	ipc::Dispatcher &d = core_->dispatcher;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
	while ((d.running() > 0 || d.queued() > 0) && d.executors() > 0 &&
	       std::chrono::steady_clock::now() < deadline)
		if (lws_service(ctx_, 0) < 0)
			break;
}

void GatewayLoop::wake()
{
	if (ctx_)
		lws_cancel_service(ctx_);
}

int GatewayLoop::on_config_pipe(lws *wsi, int reason)
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

} // namespace mcp_supa::net
