// Random identifiers from OpenSSL's CSPRNG.
#include "mcp_supa/random.h"

#include <openssl/rand.h>
#include <stdexcept>
#include <vector>

namespace mcp_supa
{

std::string random_hex(std::size_t bytes)
{
	std::vector<unsigned char> buf(bytes);
	if (RAND_bytes(buf.data(), int(bytes)) != 1)
		throw std::runtime_error("the random number generator failed");
	static const char digits[] = "0123456789abcdef";
	std::string out;
	out.reserve(bytes * 2);
	for (unsigned char b : buf) {
		out.push_back(digits[b >> 4]);
		out.push_back(digits[b & 15]);
	}
	return out;
}

} // namespace mcp_supa
