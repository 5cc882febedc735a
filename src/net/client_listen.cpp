// Client listening sockets in the gateway loop (include/mcp_supa/net/client_listen.h).
#include "mcp_supa/net/client_listen.h"

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <cstring>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mcp_supa/auth/client_address.h"
#include "mcp_supa/common/log.h"
#include "mcp_supa/core/gateway_core.h"
#include "mcp_supa/net/listen.h"

namespace mcp_supa::net
{

using common::log;
using common::LogLevel;

namespace
{

// The peer address of an accepted socket, IPv4-mapped IPv6 written as plain IPv4.
std::string peer_address(int fd)
{
	sockaddr_storage ss{};
	socklen_t len = sizeof(ss);
	char buf[INET6_ADDRSTRLEN] = {0};
	if (getpeername(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
		return "";
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in &>(ss).sin_addr, buf, sizeof(buf));
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6 &>(ss).sin6_addr, buf, sizeof(buf));
	std::string s = buf;
	if (s.rfind("::ffff:", 0) == 0 && s.find('.') != std::string::npos)
		s = s.substr(7);
	return s;
}

} // namespace

ClientListeners::ClientListeners(GatewayCore &core) : core_(core) {}

ClientListeners::~ClientListeners()
{
	if (spare_fd_ >= 0)
		close(spare_fd_);
}

bool ClientListeners::open(lws_vhost *vh)
{
	const GatewayConfig &cfg = core_.cfg;
	spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
	std::vector<Listener> listeners;
	std::string why;
	if (!open_listeners(cfg.listen_addresses, cfg.port, listeners, why)) {
		log(LogLevel::Warning, "could not listen on %s", why.c_str());
		return false;
	}
	for (auto &l : listeners) {
		lws_sock_file_fd_type desc;
		desc.filefd = l.fd;
		if (!lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, desc, "mcp-client-listen",
		                                nullptr)) {
			log(LogLevel::Warning, "could not adopt the listening socket for %s",
			    l.address.c_str());
			return false;
		}
		log(LogLevel::Log, "listening on %s port %d%s", l.address.c_str(), cfg.port,
		    cfg.tls_cert_file.empty() ? "" : " (TLS)");
	}
	return true;
}

int ClientListeners::on_listen(lws *wsi, int reason)
{
	if (reason != LWS_CALLBACK_RAW_RX_FILE)
		return 0;
	for (;;) {
		int fd = accept4(lws_get_socket_fd(wsi), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				return shed_connection(wsi);
			return 0; // EAGAIN: all accepted
		}
		std::string address = peer_address(fd);
		int &open = connections_per_address_[address];
		// A trusted reverse proxy carries every client's connections: no cap of one address.
		bool capped = !auth::address_in(core_.trusted_proxies, address);
		if (capped && open >= kMaxConnectionsPerAddress) {
			// Said once while the address stays at its limit.
			if (refusing_.insert(address).second)
				log(LogLevel::Warning,
				    "refusing connections from %s: it holds %d already (the limit per address)",
				    address.c_str(), open);
			close(fd);
			continue;
		}
		// lws sets this on the connections it accepts itself, not on adopted ones: without it a
		// reply written in two parts waits for the client's delayed ACK (40 ms on Linux).
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		lws *conn = lws_adopt_socket_vhost(lws_get_vhost(wsi), fd); // closes fd on failure
		if (!conn)
			continue;
		open++;
		connection_address_[conn] = address;
		// The request headers must arrive within this time (slow clients hold a socket).
		lws_set_timeout(conn, PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE, kHeaderTimeoutSeconds);
	}
}

void ClientListeners::connection_closed(lws *wsi)
{
	auto it = connection_address_.find(wsi);
	if (it == connection_address_.end())
		return;
	auto count = connections_per_address_.find(it->second);
	if (count != connections_per_address_.end() && --count->second < kMaxConnectionsPerAddress)
		refusing_.erase(it->second);
	if (count != connections_per_address_.end() && count->second <= 0)
		connections_per_address_.erase(count);
	connection_address_.erase(it);
}

int ClientListeners::shed_connection(lws *listener)
{
	// Out of descriptors, a pending connection keeps the listener readable and the loop
	// spinning: give back the spare descriptor, accept the connection and close it.
	if (spare_fd_ >= 0) {
		close(spare_fd_);
		int fd = accept4(lws_get_socket_fd(listener), nullptr, nullptr, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	int64_t now = core_.clock();
	if (now - fd_exhaustion_logged_ms_ >= 10000) {
		fd_exhaustion_logged_ms_ = now;
		log(LogLevel::Warning,
		    "out of file descriptors with %zu client connections open: refusing new ones",
		    connection_address_.size());
	}
	return 0;
}

} // namespace mcp_supa::net
