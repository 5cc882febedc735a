// Listening sockets bound exactly as configured (see include/mcp_supa/listen.h).
#include "mcp_supa/net/listen.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mcp_supa::net
{

namespace
{

constexpr int kBacklog = 511;

// Fills ss for a numeric address; false when it is not one.
bool numeric_sockaddr(const std::string &address, int port, sockaddr_storage &ss, socklen_t &len)
{
	memset(&ss, 0, sizeof(ss));
	auto &sin = reinterpret_cast<sockaddr_in &>(ss);
	if (inet_pton(AF_INET, address.c_str(), &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(uint16_t(port));
		len = sizeof(sin);
		return true;
	}
	auto &sin6 = reinterpret_cast<sockaddr_in6 &>(ss);
	if (inet_pton(AF_INET6, address.c_str(), &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(uint16_t(port));
		len = sizeof(sin6);
		return true;
	}
	return false;
}

// Records errno in l and closes fd.
void fail(Listener &l, int fd)
{
	l.err = errno;
	l.error = strerror(l.err);
	if (fd >= 0)
		close(fd);
}

} // namespace

std::vector<std::string> bind_addresses(const std::string &configured)
{
	if (configured == "*")
		return {"0.0.0.0", "::"};
	if (configured == "localhost")
		return {"127.0.0.1", "::1"};
	return {configured};
}

Listener open_listener(const std::string &address, int port)
{
	Listener l;
	l.address = address;
	sockaddr_storage ss;
	socklen_t len = 0;
	if (!numeric_sockaddr(address, port, ss, len)) {
		l.error = "not a numeric address";
		return l;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail(l, -1);
		return l;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) {
		fail(l, fd);
		return l;
	}
	if (bind(fd, reinterpret_cast<sockaddr *>(&ss), len) != 0 || listen(fd, kBacklog) != 0) {
		fail(l, fd);
		return l;
	}
	l.fd = fd;
	return l;
}

bool open_listeners(const std::vector<std::string> &configured, int port,
                    std::vector<Listener> &out, std::string &why)
{
	for (const auto &entry : configured) {
		std::vector<std::string> addresses = bind_addresses(entry);
		for (const auto &address : addresses) {
			Listener l = open_listener(address, port);
			// "*" and "localhost" also name IPv6; a host without it still serves IPv4.
			bool may_lack = addresses.size() > 1 && address.find(':') != std::string::npos &&
			                (l.err == EAFNOSUPPORT || l.err == EADDRNOTAVAIL);
			if (l.fd < 0 && may_lack)
				continue;
			if (l.fd < 0) {
				why = address + " port " + std::to_string(port) + ": " + l.error;
				for (auto &o : out)
					close(o.fd);
				out.clear();
				return false;
			}
			out.push_back(std::move(l));
		}
	}
	return true;
}

} // namespace mcp_supa::net
