// Random identifiers from OpenSSL's CSPRNG.
#include "mcp_supa/common/random.h"
#include "mcp_supa/common/text.h"

#include <algorithm>
#include <cstring>
#include <openssl/rand.h>
#include <stdexcept>

namespace mcp_supa::common
{

namespace
{

// RAND_bytes takes locks and checks for a fork on every call, which showed up at 4% of the
// gateway's time with one tag per tool call; drawing 4 kB at a time makes that vanish. The
// bytes stay as secret as OpenSSL's own state: they live in this process only, and the
// gateway never forks.
class RandomPool
{
public:
	void take(unsigned char *out, std::size_t n)
	{
		while (n > 0) {
			if (used_ == sizeof(buf_))
				refill();
			std::size_t k = std::min(n, sizeof(buf_) - used_);
			std::memcpy(out, buf_ + used_, k);
			// Used bytes are wiped so that a later memory disclosure cannot replay them.
			std::memset(buf_ + used_, 0, k);
			used_ += k;
			out += k;
			n -= k;
		}
	}

private:
	unsigned char buf_[4096];
	std::size_t used_ = sizeof(buf_);

	void refill()
	{
		if (RAND_bytes(buf_, int(sizeof(buf_))) != 1)
			throw std::runtime_error("the random number generator failed");
		used_ = 0;
	}
};

} // namespace

std::string random_hex(std::size_t bytes)
{
	static thread_local RandomPool pool;
	std::string out;
	out.reserve(bytes * 2);
	unsigned char chunk[64];
	while (bytes > 0) {
		std::size_t k = std::min(bytes, sizeof(chunk));
		pool.take(chunk, k);
		out += hex_encode(chunk, k);
		bytes -= k;
	}
	std::memset(chunk, 0, sizeof(chunk));
	return out;
}

} // namespace mcp_supa::common
