// The executors' unix socket (include/mcp_supa/net/executor_link.h).
#include "mcp_supa/net/executor_link.h"

#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <libwebsockets.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mcp_supa/common/log.h"
#include "mcp_supa/ipc/frame.h"
#include "mcp_supa/net/gateway_loop.h"
#include "mcp_supa/net/internal.h"

namespace mcp_supa::net
{

using common::log;
using common::LogLevel;
using nlohmann::json;

struct ExecConn {
	int executor = 0; // dispatcher id once hello arrived
	pid_t peer_pid = 0;
	ipc::FrameDecoder decoder;
	std::deque<std::string> out; // frames not yet (wholly) sent
	std::size_t out_sent = 0;    // bytes of out.front() already sent
};

namespace
{

// Sends queued frames until the socket would block; false when the connection failed. Our own
// send() rather than lws_write: jobs go out as soon as they are submitted, without waiting a
// poll round for a writable callback, and a partial send stays ours to finish.
bool flush_frames(int fd, ExecConn &c)
{
	while (!c.out.empty()) {
		const std::string &frame = c.out.front();
		ssize_t n = send(fd, frame.data() + c.out_sent, frame.size() - c.out_sent,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		c.out_sent += std::size_t(n);
		if (c.out_sent < frame.size())
			return true;
		c.out.pop_front();
		c.out_sent = 0;
	}
	return true;
}

// The peer's pid when its uid is ours (the PostgreSQL OS user), else -1.
pid_t trusted_peer(int fd)
{
	ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return -1;
	if (cred.uid != geteuid())
		return -1;
	return cred.pid;
}

} // namespace

ExecutorLink::ExecutorLink(GatewayLoop &loop) : loop_(loop), core_(loop.core()) {}

ExecutorLink::~ExecutorLink()
{
	if (listen_fd_ >= 0)
		unlink(socket_path_.c_str());
}

bool ExecutorLink::open()
{
	const std::string &path = core_.cfg.executor_socket;
	std::string dir = path.substr(0, path.rfind('/'));
	if (dir != path) {
		if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
			log(LogLevel::Warning, "could not create directory \"%s\": %s", dir.c_str(),
			    strerror(errno));
			return false;
		}
		chmod(dir.c_str(), 0700);
	}
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	if (path.size() >= sizeof(addr.sun_path)) {
		log(LogLevel::Warning, "executor socket path \"%s\" is too long", path.c_str());
		return false;
	}
	strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
	unlink(path.c_str());
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0 ||
	    chmod(path.c_str(), 0600) != 0 || listen(fd, 128) != 0) {
		log(LogLevel::Warning, "could not listen on executor socket \"%s\": %s", path.c_str(),
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	lws_sock_file_fd_type desc;
	desc.filefd = fd;
	if (!lws_adopt_descriptor_vhost(loop_.vhost(), LWS_ADOPT_RAW_FILE_DESC, desc,
	                                "mcp-executor-listen", nullptr)) {
		log(LogLevel::Warning, "could not adopt the executor socket");
		return false;
	}
	listen_fd_ = fd;
	socket_path_ = path;
	return true;
}

int ExecutorLink::on_listen(lws *wsi, int reason)
{
	if (reason != LWS_CALLBACK_RAW_RX_FILE)
		return 0;
	for (;;) {
		int fd = accept4(lws_get_socket_fd(wsi), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return 0; // EAGAIN: all accepted
		if (trusted_peer(fd) <= 0) {
			log(LogLevel::Warning, "refused an executor connection from another OS user");
			close(fd);
			continue;
		}
		lws_sock_file_fd_type desc;
		desc.sockfd = fd;
		if (!lws_adopt_descriptor_vhost(loop_.vhost(), LWS_ADOPT_SOCKET, desc, "mcp-executor",
		                                nullptr))
			log(LogLevel::Warning, "could not adopt an executor connection");
	}
}

bool ExecutorLink::send(int executor, const std::string &payload)
{
	auto it = by_id_.find(executor);
	if (it == by_id_.end())
		return false;
	ExecConn *c = *static_cast<ExecConn **>(lws_wsi_user(it->second));
	if (!c)
		return false;
	c->out.push_back(ipc::encode_frame(payload));
	if (!flush_frames(lws_get_socket_fd(it->second), *c)) {
		// A broken connection: its jobs fail when it closes; this one goes elsewhere.
		c->out.pop_back();
		lws_set_timeout(it->second, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
		return false;
	}
	if (!c->out.empty())
		lws_callback_on_writable(it->second);
	return true;
}

void ExecutorLink::frame(lws *wsi, ExecConn &c, const std::string &payload)
{
	// A successful result carries its rows after a NUL byte, kept as text (docs/ipc.md).
	json msg = ipc::Dispatcher::read_frame(payload);
	if (!msg.is_object()) {
		log(LogLevel::Warning, "executor sent an invalid frame");
		return;
	}
	std::string type = msg.value("type", "");
	if (type == "hello" && c.executor == 0) {
		pid_t pid = msg.value("pid", 0);
		if (pid != c.peer_pid) {
			log(LogLevel::Warning, "executor announced PID %d but its socket belongs to PID %d",
			    int(pid), int(c.peer_pid));
			lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
			return;
		}
		c.executor = core_.dispatcher.add_executor(pid);
		by_id_[c.executor] = wsi;
		log(LogLevel::Debug, "executor PID %d connected", int(pid));
	} else if (type == "lift_bans" && c.executor == 0) {
		// mcp_supa.lift_bans() from a backend of this server (same OS user, SO_PEERCRED).
		std::size_t n = core_.auth_failures.lift_all(core_.clock());
		log(LogLevel::Log, "lifted %zu authentication-failure ban(s) (mcp_supa.lift_bans())", n);
		c.out.push_back(ipc::encode_frame(json{{"type", "lifted"}, {"bans", n}}.dump()));
		if (!flush_frames(lws_get_socket_fd(wsi), c))
			lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
		else if (!c.out.empty())
			lws_callback_on_writable(wsi);
	} else if (type == "result" && c.executor != 0)
		core_.dispatcher.on_result(c.executor, msg);
	else
		log(LogLevel::Warning, "executor sent an unexpected \"%s\" frame", type.c_str());
}

int ExecutorLink::on_executor(lws *wsi, int reason, void *user, void *in, std::size_t len)
{
	auto **slot = static_cast<ExecConn **>(user);
	ExecConn *c = slot ? *slot : nullptr;
	try {
		switch (reason) {
			case LWS_CALLBACK_RAW_ADOPT:
				if (!slot)
					return -1;
				*slot = new ExecConn();
				(*slot)->peer_pid = trusted_peer(lws_get_socket_fd(wsi));
				return 0;
			case LWS_CALLBACK_RAW_RX: {
				if (!c)
					return -1;
				c->decoder.feed(static_cast<const char *>(in), len);
				std::string payload;
				while (c->decoder.next(payload))
					frame(wsi, *c, payload);
				return 0;
			}
			case LWS_CALLBACK_RAW_WRITEABLE: {
				if (!c)
					return 0;
				if (!flush_frames(lws_get_socket_fd(wsi), *c))
					return -1;
				if (!c->out.empty())
					lws_callback_on_writable(wsi);
				return 0;
			}
			case LWS_CALLBACK_RAW_CLOSE:
				if (c) {
					if (c->executor != 0) {
						by_id_.erase(c->executor);
						core_.dispatcher.remove_executor(c->executor);
						log(LogLevel::Debug, "executor PID %d disconnected", int(c->peer_pid));
					}
					delete c;
					*slot = nullptr;
				}
				return 0;
			default:
				return 0;
		}
	} catch (const std::exception &e) {
		log(LogLevel::Warning, "executor connection: %s", e.what());
		return -1;
	}
}

} // namespace mcp_supa::net
