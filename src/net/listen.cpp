// Listening address helpers (see include/mcp_supa/listen.h).
#include "mcp_supa/listen.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mcp_supa::net
{

std::string lws_interface_for(const std::string &address)
{
	if (address == "*")
		return "";
	if (address == "localhost")
		return "127.0.0.1";
	return address;
}

std::string probe_bind(const std::string &address, int port)
{
	std::string host = lws_interface_for(address);
	sockaddr_storage ss{};
	socklen_t len;
	int family;
	if (host.empty() ||
	    inet_pton(AF_INET, host.c_str(), &reinterpret_cast<sockaddr_in &>(ss).sin_addr) == 1) {
		auto &sin = reinterpret_cast<sockaddr_in &>(ss);
		if (host.empty())
			sin.sin_addr.s_addr = htonl(INADDR_ANY);
		sin.sin_family = AF_INET;
		sin.sin_port = htons(uint16_t(port));
		family = AF_INET;
		len = sizeof(sin);
	} else {
		auto &sin6 = reinterpret_cast<sockaddr_in6 &>(ss);
		if (inet_pton(AF_INET6, host.c_str(), &sin6.sin6_addr) != 1)
			return "not a numeric address";
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(uint16_t(port));
		family = AF_INET6;
		len = sizeof(sin6);
	}
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return strerror(errno);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	std::string reason;
	if (bind(fd, reinterpret_cast<sockaddr *>(&ss), len) != 0)
		reason = strerror(errno);
	close(fd);
	return reason;
}

} // namespace mcp_supa::net
