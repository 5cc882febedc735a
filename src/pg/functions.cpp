// SQL-callable functions of the mcp_supa schema.
#include "mcp_supa/pg/postgres_headers.h"

extern "C" {
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(mcp_supa_version);
PGDLLEXPORT Datum mcp_supa_version(PG_FUNCTION_ARGS);
}

// mcp_supa.version(): the version of the loaded library (which may differ from the
// installed extension's SQL version after an upgrade without ALTER EXTENSION).
Datum mcp_supa_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(MCP_SUPA_VERSION));
}

extern "C" {
#include "port.h"

PG_FUNCTION_INFO_V1(mcp_supa_random_token);
PGDLLEXPORT Datum mcp_supa_random_token(PG_FUNCTION_ARGS);
}

// mcp_supa.random_token(bytes): base64url (no padding) of bytes from the OS's CSPRNG; API
// key secrets are made of it.
Datum mcp_supa_random_token(PG_FUNCTION_ARGS)
{
	int n = PG_GETARG_INT32(0);
	if (n < 16 || n > 128)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("random_token takes 16 to 128 bytes, got %d", n)));
	unsigned char buf[128];
	if (!pg_strong_random(buf, n))
		ereport(ERROR, (errmsg("could not generate random bytes")));
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char out[180];
	int o = 0;
	uint32 acc = 0;
	int bits = 0;
	for (int i = 0; i < n; i++) {
		acc = (acc << 8) | buf[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

#include <cerrno>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mcp_supa/pg/guard.h"
#include "mcp_supa/ipc/frame.h"
#include "mcp_supa/pg/guc.h"

extern "C" {
#include "miscadmin.h"

PG_FUNCTION_INFO_V1(mcp_supa_lift_bans);
PGDLLEXPORT Datum mcp_supa_lift_bans(PG_FUNCTION_ARGS);
}

namespace
{

constexpr int kLiftTimeoutS = 5;

// Asks the gateway, over its executor socket, to lift every authentication-failure ban;
// returns how many were live. Throws std::runtime_error when it cannot be reached.
long ask_gateway_to_lift_bans()
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		throw std::runtime_error("could not create a socket");
	struct Closer {
		int fd;
		~Closer() { close(fd); }
	} closer{fd};
	timeval tv{kLiftTimeoutS, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	strlcpy(addr.sun_path, mcp_supa::pg::kExecutorSocketPath, sizeof(addr.sun_path));
	if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0)
		throw std::runtime_error(std::string("the gateway is not running (") + strerror(errno) +
		                         "); bans live only in the gateway, so there is none to lift");
	std::string frame = mcp_supa::ipc::encode_frame("{\"type\":\"lift_bans\"}");
	if (send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) != ssize_t(frame.size()))
		throw std::runtime_error("could not send to the gateway");
	mcp_supa::ipc::FrameDecoder decoder(4096);
	std::string payload;
	char buf[512];
	while (!decoder.next(payload)) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			throw std::runtime_error("the gateway did not answer");
		decoder.feed(buf, std::size_t(n));
	}
	auto at = payload.find("\"bans\":");
	if (at == std::string::npos)
		throw std::runtime_error("unexpected answer from the gateway");
	return strtol(payload.c_str() + at + 7, nullptr, 10);
}

} // namespace

// mcp_supa.lift_bans(): lifts every authentication-failure ban in the gateway (superuser only);
// returns how many addresses were banned.
Datum mcp_supa_lift_bans(PG_FUNCTION_ARGS)
{
	if (!superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("only a superuser may lift mcp_supa bans")));
	long lifted = 0;
	mcp_supa::pg::cpp_entry([&] { lifted = ask_gateway_to_lift_bans(); });
	PG_RETURN_INT32(int32(lifted));
}
