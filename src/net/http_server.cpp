// libwebsockets glue of the gateway: HTTP routing, responses, and the adopted config pipe.
// No C++ exception may cross an lws frame: every callback catches and returns -1.
#include "mcp_supa/http_server.h"

#include <cerrno>
#include <cstring>
#include <libwebsockets.h>
#include <memory>
#include <unistd.h>
#include <vector>

#include "mcp_supa/frame.h"
#include "mcp_supa/gateway_log.h"
#include "mcp_supa/listen.h"
#include "mcp_supa/router.h"

namespace mcp_supa::net {

using gateway::log;
using gateway::LogLevel;

namespace {

constexpr std::size_t kWriteChunk = 16 * 1024;

// A response waiting to be written from the writable callback.
struct PendingResponse {
	std::string body;
	std::size_t sent = 0;
};

// lws per-session storage: zeroed by lws, so only a pointer we own lives here.
struct HttpSession {
	PendingResponse *pending;
};

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

HttpServer *server_of(lws *wsi)
{
	return static_cast<HttpServer *>(lws_context_user(lws_get_context(wsi)));
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
	if (!srv)
		return 0;
	return srv->on_config_pipe(wsi, int(reason), in, len);
}

const lws_protocols kProtocols[] = {
	{"http", http_trampoline, sizeof(HttpSession), 0, 0, nullptr, 0},
	{"mcp-supa-config", config_trampoline, 0, 0, 0, nullptr, 0},
	{nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// Writes status line and headers; the body follows from the writable callback.
int write_headers(lws *wsi, unsigned status, const char *content_type, std::size_t content_len,
				  const char *allow)
{
	unsigned char buf[LWS_PRE + 1024];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
	if (lws_add_http_common_headers(wsi, status, content_type, content_len, &p, end))
		return -1;
	if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char *>("cache-control:"),
									reinterpret_cast<const unsigned char *>("no-store"), 8, &p, end))
		return -1;
	if (allow && lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char *>("allow:"),
											 reinterpret_cast<const unsigned char *>(allow),
											 int(strlen(allow)), &p, end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	return 0;
}

} // namespace

HttpServer::HttpServer(GatewayConfig cfg) : cfg_(std::move(cfg)), started_(std::chrono::steady_clock::now()) {}

HttpServer::~HttpServer()
{
	if (ctx_)
		lws_context_destroy(ctx_);
}

double HttpServer::uptime_seconds() const
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

bool HttpServer::start()
{
	lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	info.user = this;
	info.gid = -1;
	info.uid = -1;
	ctx_ = lws_create_context(&info);
	if (!ctx_) {
		log(LogLevel::Warning, "could not create the libwebsockets context");
		return false;
	}
	int n = 0;
	for (const auto &address : cfg_.listen_addresses) {
		std::string iface = lws_interface_for(address);
		std::string name = "listen-" + std::to_string(n++);
		lws_context_creation_info vinfo;
		memset(&vinfo, 0, sizeof(vinfo));
		vinfo.port = cfg_.port;
		vinfo.iface = iface.empty() ? nullptr : iface.c_str();
		vinfo.protocols = kProtocols;
		vinfo.vhost_name = name.c_str();
		vinfo.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
		vinfo.keepalive_timeout = 30;
		vinfo.timeout_secs = 30;
		if (!lws_create_vhost(ctx_, &vinfo)) {
			log(LogLevel::Warning, "could not listen on %s port %d", address.c_str(), cfg_.port);
			return false;
		}
		log(LogLevel::Log, "listening on %s port %d", address.c_str(), cfg_.port);
	}
	return true;
}

bool HttpServer::adopt_config_pipe(int fd, FrameHandler on_frame)
{
	on_frame_ = std::move(on_frame);
	lws_vhost *vh = lws_get_vhost_by_name(ctx_, "listen-0");
	lws_sock_file_fd_type desc;
	desc.filefd = fd;
	if (!lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, desc, "mcp-supa-config", nullptr)) {
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

int HttpServer::on_http(lws *wsi, int reason, void *user, void *in, std::size_t len)
{
	auto *sess = static_cast<HttpSession *>(user);
	try {
		switch (reason) {
			case LWS_CALLBACK_HTTP: {
				char *uri = nullptr;
				int uri_len = 0;
				int m = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
				std::string path = uri ? std::string(uri, std::size_t(uri_len)) : std::string();
				std::string method = method_name(m);
				RouteMatch match = route_request(method, path);
				unsigned status = 200;
				std::string body;
				switch (match.route) {
					case Route::Health:
						body = health_body(cfg_.version, uptime_seconds());
						break;
					case Route::MethodNotAllowed:
						status = 405;
						body = error_body(405, "method not allowed");
						break;
					case Route::NotFound:
					default:
						status = 404;
						body = error_body(404, "not found");
						break;
				}
				if (write_headers(wsi, status, "application/json", body.size(), match.allow))
					return -1;
				if (method == "HEAD" || body.empty())
					return lws_http_transaction_completed(wsi) ? -1 : 0;
				delete sess->pending;
				sess->pending = new PendingResponse{std::move(body)};
				lws_callback_on_writable(wsi);
				return 0;
			}
			case LWS_CALLBACK_HTTP_WRITEABLE: {
				PendingResponse *r = sess ? sess->pending : nullptr;
				if (!r)
					return 0;
				std::size_t left = r->body.size() - r->sent;
				std::size_t n = std::min(left, kWriteChunk);
				std::vector<unsigned char> buf(LWS_PRE + n);
				memcpy(buf.data() + LWS_PRE, r->body.data() + r->sent, n);
				bool last = n == left;
				if (lws_write(wsi, buf.data() + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
					int(n))
					return -1;
				r->sent += n;
				if (!last) {
					lws_callback_on_writable(wsi);
					return 0;
				}
				delete r;
				sess->pending = nullptr;
				return lws_http_transaction_completed(wsi) ? -1 : 0;
			}
			case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
			case LWS_CALLBACK_CLOSED_HTTP:
				if (sess) {
					delete sess->pending;
					sess->pending = nullptr;
				}
				return 0;
			case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
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
