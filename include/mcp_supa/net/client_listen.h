// Client listening sockets in the gateway loop: accepts connections, caps them per client
// address, bounds the time a client has to send its request headers, sheds connections when
// descriptors run out, and hands each one to lws as an HTTP (or HTTPS) connection.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

struct lws;
struct lws_vhost;

namespace mcp_supa
{
struct GatewayCore;
}

namespace mcp_supa::net
{

class ClientListeners
{
public:
	static constexpr int kMaxConnectionsPerAddress = 256;
	static constexpr int kHeaderTimeoutSeconds = 10;

	explicit ClientListeners(GatewayCore &core);
	~ClientListeners();

	// Binds every configured address exactly and adopts the sockets into vh.
	bool open(lws_vhost *vh);
	// A listening socket's lws callback: accepts what is pending.
	int on_listen(lws *wsi, int reason);
	// Forgets a client connection that lws is freeing.
	void connection_closed(lws *wsi);

private:
	GatewayCore &core_;
	std::map<lws *, std::string> connection_address_;
	std::map<std::string, int> connections_per_address_;
	std::set<std::string> refusing_; // addresses at their limit, logged once
	int spare_fd_ = -1;              // given back to accept-and-close when descriptors run out
	int64_t fd_exhaustion_logged_ms_ = 0;

	// Accepts and closes one pending connection when no descriptor is left.
	int shed_connection(lws *listener);
};

} // namespace mcp_supa::net
