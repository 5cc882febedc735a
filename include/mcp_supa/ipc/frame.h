// Length-prefixed frames (<u32 big-endian length><payload>) shared by the config pipe and
// the gateway <-> executor sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mcp_supa::ipc
{

// Frames larger than this are refused by default: a corrupt or hostile length must not make
// a reader allocate gigabytes.
constexpr std::size_t kDefaultMaxFrameBytes = 64u * 1024u * 1024u;

struct FrameError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// Encodes one frame; throws FrameError if the payload exceeds max_bytes.
std::string encode_frame(std::string_view payload, std::size_t max_bytes = kDefaultMaxFrameBytes);

// Incremental decoder: feed bytes as they arrive, take complete frames out in order.
class FrameDecoder
{
public:
	explicit FrameDecoder(std::size_t max_bytes = kDefaultMaxFrameBytes) : max_bytes_(max_bytes) {}

	// Appends raw bytes; throws FrameError once a header announces an oversized frame.
	void feed(const char *data, std::size_t len);
	// Moves the next complete payload into out; false when none is complete yet.
	bool next(std::string &out);
	// Bytes received but not yet returned as frames.
	std::size_t buffered() const { return buf_.size() - pos_; }

private:
	std::size_t max_bytes_;
	std::string buf_;
	std::size_t pos_ = 0;
	bool failed_ = false;

	void check_header();
};

} // namespace mcp_supa::ipc
