// Length-prefixed frame codec (see include/mcp_supa/frame.h).
#include "mcp_supa/ipc/frame.h"

namespace mcp_supa::ipc
{

namespace
{

// Reads a big-endian u32 from four bytes.
std::uint32_t read_be32(const char *p)
{
	const auto *u = reinterpret_cast<const unsigned char *>(p);
	return (std::uint32_t(u[0]) << 24) | (std::uint32_t(u[1]) << 16) | (std::uint32_t(u[2]) << 8) |
	       std::uint32_t(u[3]);
}

} // namespace

std::string encode_frame(std::string_view payload, std::size_t max_bytes)
{
	if (payload.size() > max_bytes || payload.size() > UINT32_MAX)
		throw FrameError("frame of " + std::to_string(payload.size()) +
		                 " bytes exceeds the limit of " + std::to_string(max_bytes) + " bytes");
	std::string out;
	out.reserve(4 + payload.size());
	auto n = static_cast<std::uint32_t>(payload.size());
	out.push_back(char((n >> 24) & 0xff));
	out.push_back(char((n >> 16) & 0xff));
	out.push_back(char((n >> 8) & 0xff));
	out.push_back(char(n & 0xff));
	out.append(payload);
	return out;
}

void FrameDecoder::feed(const char *data, std::size_t len)
{
	if (failed_)
		throw FrameError("frame stream is unusable after an earlier error");
	// Drop consumed bytes before growing, so a long-lived stream does not grow without bound.
	if (pos_ > 0 && pos_ == buf_.size()) {
		buf_.clear();
		pos_ = 0;
	} else if (pos_ > 65536 && pos_ * 2 > buf_.size()) {
		buf_.erase(0, pos_);
		pos_ = 0;
	}
	buf_.append(data, len);
	check_header();
}

void FrameDecoder::check_header()
{
	if (buffered() < 4)
		return;
	std::uint32_t n = read_be32(buf_.data() + pos_);
	if (n > max_bytes_) {
		failed_ = true;
		throw FrameError("incoming frame announces " + std::to_string(n) +
		                 " bytes, over the limit of " + std::to_string(max_bytes_) + " bytes");
	}
}

bool FrameDecoder::next(std::string &out)
{
	if (failed_ || buffered() < 4)
		return false;
	check_header();
	std::uint32_t n = read_be32(buf_.data() + pos_);
	if (buffered() < 4 + std::size_t(n))
		return false;
	out.assign(buf_, pos_ + 4, n);
	pos_ += 4 + n;
	return true;
}

} // namespace mcp_supa::ipc
