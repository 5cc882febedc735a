// Frame codec: round trips, partial input, limits, hostile lengths.
#include <catch2/catch.hpp>

#include "mcp_supa/ipc/frame.h"

using namespace mcp_supa::ipc;

TEST_CASE("a frame round-trips through the decoder", "[frame]")
{
	FrameDecoder d;
	std::string f = encode_frame("{\"a\":1}");
	REQUIRE(f.size() == 4 + 7);
	CHECK(f.substr(0, 4) == std::string("\0\0\0\7", 4));
	d.feed(f.data(), f.size());
	std::string out;
	REQUIRE(d.next(out));
	CHECK(out == "{\"a\":1}");
	CHECK_FALSE(d.next(out));
	CHECK(d.buffered() == 0);
}

TEST_CASE("frames split at every byte boundary decode the same", "[frame]")
{
	std::string stream =
	    encode_frame("first") + encode_frame("") + encode_frame(std::string(300, 'x'));
	FrameDecoder d;
	std::vector<std::string> got;
	std::string out;
	for (char c : stream) {
		d.feed(&c, 1);
		while (d.next(out))
			got.push_back(out);
	}
	REQUIRE(got.size() == 3);
	CHECK(got[0] == "first");
	CHECK(got[1].empty());
	CHECK(got[2] == std::string(300, 'x'));
}

TEST_CASE("payloads with NUL bytes and high bytes survive", "[frame]")
{
	std::string payload("a\0b\xff\x80", 5);
	FrameDecoder d;
	std::string f = encode_frame(payload);
	d.feed(f.data(), f.size());
	std::string out;
	REQUIRE(d.next(out));
	CHECK(out == payload);
}

TEST_CASE("an oversized frame is refused on both sides", "[frame]")
{
	CHECK_THROWS_AS(encode_frame(std::string(11, 'x'), 10), FrameError);
	FrameDecoder d(10);
	std::string ok = encode_frame("0123456789");
	d.feed(ok.data(), ok.size());
	std::string out;
	REQUIRE(d.next(out));
	// A header announcing 4 GiB must fail before any allocation, and poison the stream.
	const char hostile[4] = {'\xff', '\xff', '\xff', '\xff'};
	CHECK_THROWS_AS(d.feed(hostile, 4), FrameError);
	CHECK_THROWS_AS(d.feed("x", 1), FrameError);
	CHECK_FALSE(d.next(out));
}

TEST_CASE("an oversized header after good frames fails when it is reached", "[frame]")
{
	FrameDecoder d(8);
	std::string stream = encode_frame("good");
	stream += std::string("\0\0\0\x20", 4);
	d.feed(stream.data(), stream.size());
	std::string out;
	REQUIRE(d.next(out));
	CHECK(out == "good");
	CHECK_THROWS_AS(d.next(out), FrameError);
}

TEST_CASE("a long-lived stream does not keep consumed bytes", "[frame]")
{
	FrameDecoder d;
	std::string f = encode_frame(std::string(1000, 'y'));
	std::string out;
	for (int i = 0; i < 1000; i++) {
		d.feed(f.data(), f.size());
		REQUIRE(d.next(out));
	}
	CHECK(d.buffered() == 0);
}
