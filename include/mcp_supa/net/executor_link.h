// The executors' unix socket: the gateway listens on mcp_supa/executor.sock (relative to the
// data directory), checks each peer's credentials, adopts the connection into the loop, and
// moves frames between executors and the dispatcher.
#pragma once

#include <cstddef>
#include <map>
#include <string>

struct lws;

namespace mcp_supa
{
struct GatewayCore;
}

namespace mcp_supa::net
{

class GatewayLoop;
struct ExecConn;

class ExecutorLink
{
public:
	explicit ExecutorLink(GatewayLoop &loop);
	~ExecutorLink();

	// Listens on the executor socket inside the loop; false after logging why.
	bool open();
	// Sends a frame to an executor (the dispatcher's SendFn); false when it cannot.
	bool send(int executor, const std::string &payload);
	// The listening socket's lws callback: accepts executors of our own OS user.
	int on_listen(lws *wsi, int reason);
	// An executor connection's lws callback.
	int on_executor(lws *wsi, int reason, void *user, void *in, std::size_t len);

private:
	GatewayLoop &loop_;
	GatewayCore &core_;
	std::map<int, lws *> by_id_;
	int listen_fd_ = -1;
	std::string socket_path_;

	void frame(lws *wsi, ExecConn &c, const std::string &payload);
};

} // namespace mcp_supa::net
