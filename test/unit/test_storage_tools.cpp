// The Storage tools without a network: request building (routes, encoding, the caller's
// identity, minted tokens checked with the real verifier), argument refusals, reading Storage's
// errors, shaping downloads, and McpServer routing a call through a fake HttpSink.
#include <catch2/catch.hpp>

#include <openssl/sha.h>

#include "mcp_supa/auth/jwt.h"
#include "mcp_supa/auth/jwt_signer.h"
#include "mcp_supa/common/base64.h"
#include "mcp_supa/mcp/server.h"
#include "mcp_supa/tools/registry.h"
#include "mcp_supa/tools/storage.h"
#include "mcp_supa/tools/tools.h"

using namespace mcp_supa;
using tools::HttpCallInputs;
using tools::HttpReply;
using tools::HttpRequestSpec;
using Json = nlohmann::json;

namespace
{

const std::string kSecret = "a-jwt-secret-of-at-least-thirty-two-characters";

// Inputs of a JWT caller with Storage configured.
HttpCallInputs jwt_caller()
{
	HttpCallInputs in;
	in.storage_url = "http://storage.local:5000/";
	in.storage_api_key = "anon-key";
	in.max_bytes = 1024 * 1024;
	in.timeout_ms = 1234;
	in.principal.auth_method = "jwt";
	in.principal.role = "authenticated";
	in.principal.subject = "user-1";
	in.bearer_token = "the.users.jwt";
	in.now_unix = 1700000000;
	return in;
}

// Builds a tool's request, or fails the test with the error.
HttpRequestSpec build(const std::string &tool, const Json &args, const HttpCallInputs &in)
{
	std::string error;
	const tools::ToolEntry *t = tools::registry().find(tool);
	REQUIRE(t);
	auto r = tools::build_http(*t, args, in, error);
	INFO(error);
	REQUIRE(r);
	return *r;
}

// The error building a tool's request gives ("" when it builds).
std::string refusal(const std::string &tool, const Json &args, const HttpCallInputs &in)
{
	std::string error;
	auto r = tools::build_http(*tools::registry().find(tool), args, in, error);
	return r ? "" : error;
}

// A header's value, or "<none>".
std::string header(const HttpRequestSpec &r, const std::string &name)
{
	for (const auto &h : r.headers)
		if (h.first == name)
			return h.second;
	return "<none>";
}

// Shapes a reply through a tool's shaper.
Json shape(const std::string &tool, const Json &args, const HttpCallInputs &in, HttpReply reply)
{
	return tools::shape_http_result(*tools::registry().find(tool), args, in, reply, "t");
}

std::string sha256_hex(const std::string &bytes)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	SHA256(reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size(), d);
	std::string out;
	char buf[3];
	for (unsigned char b : d) {
		snprintf(buf, sizeof(buf), "%02x", b);
		out += buf;
	}
	return out;
}

} // namespace

TEST_CASE("Storage tools are the storage family on the Http backend", "[storage][registry]")
{
	int n = 0;
	for (const auto &e : tools::registry().entries()) {
		if (e.family != "storage")
			continue;
		INFO(e.name);
		n++;
		CHECK(e.backend == tools::Backend::Http);
		CHECK_FALSE(e.confirmable);
		bool reads = e.name == "list_buckets" || e.name == "list_objects" ||
		             e.name == "get_object_info" || e.name == "download_object" ||
		             e.name == "create_signed_url";
		CHECK(e.read_only == reads);
		bool destroys =
		    e.name == "delete_bucket" || e.name == "delete_objects" || e.name == "move_object";
		CHECK(e.destructive == destroys);
	}
	CHECK(n == 13);
	// Asked for an executor job by name, a Storage tool refuses instead of crashing.
	std::string err;
	CHECK_FALSE(tools::build_job("list_buckets", Json::object(), tools::CallLimits(), err));
	CHECK_THAT(err, Catch::Contains("not an executor tool"));
}

TEST_CASE("requests go to the documented routes with the caller's own JWT", "[storage]")
{
	HttpCallInputs in = jwt_caller();
	HttpRequestSpec r = build("list_buckets", Json::object(), in);
	CHECK(r.method == "GET");
	CHECK(r.url == "http://storage.local:5000/bucket");
	CHECK(r.upstream == "storage");
	CHECK(r.idempotent);
	CHECK(r.timeout_ms == 1234);
	CHECK(header(r, "authorization") == "Bearer the.users.jwt");
	CHECK(header(r, "apikey") == "anon-key");

	r = build("get_object_info", {{"bucket", "docs"}, {"path", "a dir/ü?.txt"}}, in);
	CHECK(r.url == "http://storage.local:5000/object/info/docs/a%20dir/%C3%BC%3F.txt");
	r = build("download_object", {{"bucket", "docs"}, {"path", "x.bin"}}, in);
	CHECK(r.url == "http://storage.local:5000/object/docs/x.bin");
	CHECK(r.max_response_bytes == in.max_bytes);
	r = build("list_objects",
	          {{"bucket", "docs"},
	           {"prefix", "f/"},
	           {"limit", 5},
	           {"sort", {{"column", "name"}, {"order", "desc"}}}},
	          in);
	CHECK(r.method == "POST");
	CHECK(r.url == "http://storage.local:5000/object/list/docs");
	CHECK(r.idempotent); // a read, though a POST
	CHECK(Json::parse(r.body) == Json{{"prefix", "f/"},
	                                  {"limit", 5},
	                                  {"offset", 0},
	                                  {"sortBy", {{"column", "name"}, {"order", "desc"}}}});
	r = build("delete_objects", {{"bucket", "docs"}, {"paths", {"a.txt", "b/c.txt"}}}, in);
	CHECK(r.method == "DELETE");
	CHECK(r.url == "http://storage.local:5000/object/docs");
	CHECK_FALSE(r.idempotent);
	CHECK(Json::parse(r.body) == Json{{"prefixes", {"a.txt", "b/c.txt"}}});
	r = build("move_object", {{"bucket", "docs"}, {"from", "a"}, {"to", "b"}, {"to_bucket", "o"}},
	          in);
	CHECK(r.url == "http://storage.local:5000/object/move");
	CHECK(Json::parse(r.body) == Json{{"bucketId", "docs"},
	                                  {"sourceKey", "a"},
	                                  {"destinationKey", "b"},
	                                  {"destinationBucket", "o"}});
	r = build("create_signed_url", {{"bucket", "docs"}, {"path", "a.txt"}, {"expires_in", 60}}, in);
	CHECK(r.url == "http://storage.local:5000/object/sign/docs/a.txt");
	CHECK(Json::parse(r.body) == Json{{"expiresIn", 60}});
	r = build("create_signed_upload_url", {{"bucket", "docs"}, {"path", "a.txt"}}, in);
	CHECK(r.url == "http://storage.local:5000/object/upload/sign/docs/a.txt");
	r = build("update_bucket", {{"name", "docs"}, {"public", true}}, in);
	CHECK(r.method == "PUT");
	CHECK(r.url == "http://storage.local:5000/bucket/docs");
	r = build("create_bucket", {{"name", "docs"}, {"allowed_mime_types", {"image/*"}}}, in);
	CHECK(Json::parse(r.body) ==
	      Json{{"id", "docs"}, {"name", "docs"}, {"allowed_mime_types", {"image/*"}}});
}

TEST_CASE("uploads send the decoded bytes with their headers", "[storage]")
{
	HttpCallInputs in = jwt_caller();
	std::string bytes("\x00\xff\x10png\n", 7);
	HttpRequestSpec r = build("upload_object",
	                          {{"bucket", "b"},
	                           {"path", "p.bin"},
	                           {"content", common::base64_encode(bytes)},
	                           {"encoding", "base64"},
	                           {"content_type", "image/png"},
	                           {"upsert", true},
	                           {"cache_control", "60"}},
	                          in);
	CHECK(r.method == "POST");
	CHECK(r.url == "http://storage.local:5000/object/b/p.bin");
	// With a cache time: a multipart form (field cacheControl, then the file part).
	std::string type = header(r, "content-type");
	REQUIRE(type.rfind("multipart/form-data; boundary=", 0) == 0);
	std::string boundary = type.substr(type.find('=') + 1);
	CHECK(r.body ==
	      "--" + boundary +
	          "\r\nContent-Disposition: form-data; name=\"cacheControl\"\r\n\r\n60\r\n--" +
	          boundary +
	          "\r\nContent-Disposition: form-data; name=\"\"; filename=\"blob\"\r\n"
	          "Content-Type: image/png\r\n\r\n" +
	          bytes + "\r\n--" + boundary + "--\r\n");
	CHECK_FALSE(r.idempotent);
	CHECK(header(r, "x-upsert") == "true");
	CHECK(header(r, "cache-control") == "<none>");
	r = build("upload_object",
	          {{"bucket", "b"},
	           {"path", "p.bin"},
	           {"content", common::base64_encode(bytes)},
	           {"encoding", "base64"}},
	          in);
	CHECK(r.body == bytes);
	CHECK(header(r, "content-type") == "application/octet-stream");
	r = build("upload_object", {{"bucket", "b"}, {"path", "t.txt"}, {"content", "héllo"}}, in);
	CHECK(r.body == "héllo");
	CHECK(header(r, "content-type") == "text/plain;charset=UTF-8");
	CHECK(header(r, "x-upsert") == "false");
	CHECK_THAT(refusal("upload_object",
	                   {{"bucket", "b"}, {"path", "p"}, {"content", "!!"}, {"encoding", "base64"}},
	                   in),
	           Catch::Contains("not valid base64"));
	in.max_bytes = 4;
	CHECK_THAT(refusal("upload_object", {{"bucket", "b"}, {"path", "p"}, {"content", "12345"}}, in),
	           Catch::Contains("mcp_supa.storage_max_bytes (4 bytes)"));
}

TEST_CASE("bad arguments are refused before any request", "[storage]")
{
	HttpCallInputs in = jwt_caller();
	CHECK_THAT(refusal("download_object", {{"bucket", "b"}, {"path", "../etc/passwd"}}, in),
	           Catch::Contains("\"..\""));
	CHECK_THAT(refusal("download_object", {{"bucket", "b"}, {"path", "/abs"}}, in),
	           Catch::Contains("segment"));
	CHECK_THAT(refusal("download_object", {{"bucket", "b"}, {"path", "a\nb"}}, in),
	           Catch::Contains("control"));
	CHECK_THAT(refusal("download_object", {{"bucket", "b/c"}, {"path", "a"}}, in),
	           Catch::Contains("bucket name"));
	CHECK_THAT(refusal("download_object", {{"bucket", "b"}, {"path", std::string(1025, 'a')}}, in),
	           Catch::Contains("1 to 1024"));
	CHECK_THAT(refusal("list_buckets", {{"x", 1}}, in), Catch::Contains("unknown argument"));
	CHECK_THAT(refusal("create_signed_url", {{"bucket", "b"}, {"path", "a"}}, in),
	           Catch::Contains("expires_in"));
	CHECK_THAT(refusal("delete_objects", {{"bucket", "b"}, {"paths", Json::array()}}, in),
	           Catch::Contains("1 to 1000"));
	CHECK_THAT(refusal("update_bucket", {{"name", "b"}}, in), Catch::Contains("at least one"));
	CHECK_THAT(refusal("list_objects", {{"bucket", "b"}, {"sort", {{"column", "size; drop"}}}}, in),
	           Catch::Contains("sort"));
}

TEST_CASE("no storage_url: every Storage tool names the setting", "[storage]")
{
	HttpCallInputs in = jwt_caller();
	in.storage_url = "";
	CHECK_THAT(refusal("list_buckets", Json::object(), in),
	           Catch::Contains("mcp_supa.storage_url is not set"));
}

TEST_CASE("read-only callers may read but not change", "[storage]")
{
	HttpCallInputs in = jwt_caller();
	in.read_only = true;
	CHECK(refusal("list_buckets", Json::object(), in) == "");
	CHECK_THAT(refusal("delete_bucket", {{"name", "b"}}, in), Catch::Contains("read-only"));
	CHECK_THAT(refusal("upload_object", {{"bucket", "b"}, {"path", "p"}, {"content", "x"}}, in),
	           Catch::Contains("read-only"));
}

TEST_CASE("an API-key caller gets a minted token the verifier accepts", "[storage][jwt]")
{
	HttpCallInputs in = jwt_caller();
	in.principal.auth_method = "api_key";
	in.principal.role = "authenticated";
	in.principal.subject = "ci-bot";
	in.principal.claims = {{"sub", "user-7"}, {"role", "service_role"}, {"team", "a"}};
	in.bearer_token = "";
	in.jwt_secret = kSecret;
	HttpRequestSpec r = build("list_buckets", Json::object(), in);
	std::string auth = header(r, "authorization");
	REQUIRE(auth.rfind("Bearer ", 0) == 0);
	auth::JwtVerifier verifier(kSecret, 0);
	auth::JwtError err;
	auto ok = verifier.verify(auth.substr(7), in.now_unix + 59, err);
	REQUIRE(ok);
	CHECK(ok->claims["role"] == "authenticated"); // the key's role, not what its claims say
	CHECK(ok->claims["sub"] == "user-7");
	CHECK(ok->claims["team"] == "a");
	CHECK(ok->claims["exp"] == in.now_unix + 60);
	CHECK(ok->header["alg"] == "HS256");
	CHECK_FALSE(verifier.verify(auth.substr(7), in.now_unix + 61, err));
	CHECK(err == auth::JwtError::Expired);
	auth::JwtVerifier other(std::string(40, 'x'), 0);
	CHECK_FALSE(other.verify(auth.substr(7), in.now_unix, err));
	CHECK(err == auth::JwtError::BadSignature);
}

TEST_CASE("an API-key caller without a JWT secret is told to use a JWT", "[storage]")
{
	HttpCallInputs in = jwt_caller();
	in.principal.auth_method = "api_key";
	in.bearer_token = "";
	CHECK_THAT(refusal("list_buckets", Json::object(), in),
	           Catch::Contains("need a JWT") && Catch::Contains("mcp_supa.jwt_secret"));
}

TEST_CASE("anonymous callers send no Authorization, only the apikey", "[storage]")
{
	HttpCallInputs in = jwt_caller();
	in.principal.auth_method = "anonymous";
	in.principal.role = "anon";
	in.bearer_token = "";
	HttpRequestSpec r = build("list_buckets", Json::object(), in);
	CHECK(header(r, "authorization") == "<none>");
	CHECK(header(r, "apikey") == "anon-key");
}

TEST_CASE("Storage errors come from the body's statusCode", "[storage]")
{
	HttpCallInputs in = jwt_caller();
	HttpReply reply;
	reply.status = 400;
	reply.body = R"({"statusCode":"404","error":"not_found","message":"Object not found"})";
	Json r = shape("get_object_info", {{"bucket", "b"}, {"path", "p"}}, in, reply);
	CHECK(r["isError"] == true);
	CHECK(r["content"][0]["text"] == "Supabase Storage answered 404 (not_found): Object not found");
	CHECK(r["_meta"]["mcp_supa"]["storage_status"] == 404);
	reply.body =
	    R"({"statusCode":"409","error":"Duplicate","message":"The resource already exists"})";
	CHECK(shape("upload_object", Json::object(), in,
	            reply)["_meta"]["mcp_supa"]["storage_status"] == 409);
	reply.status = 502;
	reply.body = "<html>bad gateway</html>";
	CHECK_THAT(
	    shape("list_buckets", Json::object(), in, reply)["content"][0]["text"].get<std::string>(),
	    Catch::Contains("answered 502"));
	HttpReply down;
	down.error = "connection refused";
	down.attempts = 3;
	CHECK_THAT(
	    shape("list_buckets", Json::object(), in, down)["content"][0]["text"].get<std::string>(),
	    Catch::Contains("could not reach") && Catch::Contains("tried 3 times"));
	HttpReply slow;
	slow.error = "timed out";
	slow.timed_out = true;
	CHECK_THAT(
	    shape("list_buckets", Json::object(), in, slow)["content"][0]["text"].get<std::string>(),
	    Catch::Contains("mcp_supa.storage_timeout (1234 ms)"));
	HttpReply open;
	open.unavailable = true;
	open.error = "the circuit breaker for storage is open";
	CHECK_THAT(
	    shape("list_buckets", Json::object(), in, open)["content"][0]["text"].get<std::string>(),
	    Catch::Contains("unavailable: the circuit breaker"));
}

TEST_CASE("downloads: text as text, images as images, the rest as a blob; too large says the size",
          "[storage]")
{
	HttpCallInputs in = jwt_caller();
	Json args = {{"bucket", "b"}, {"path", "f"}};
	HttpReply text;
	text.status = 200;
	text.content_type = "application/json; charset=utf-8";
	text.body = R"({"a":1})";
	Json r = shape("download_object", args, in, text);
	CHECK(r["isError"] == false);
	CHECK(r["structuredContent"]["kind"] == "text");
	CHECK(r["structuredContent"]["size"] == 7);
	CHECK(r["structuredContent"]["sha256"] == sha256_hex(R"({"a":1})"));
	CHECK_THAT(r["content"][0]["text"].get<std::string>(),
	           Catch::Contains("untrusted-data-t") && Catch::Contains(R"({"a":1})"));

	std::string png("\x89PNG\r\n\x1a\n\x00\x01", 10);
	HttpReply image;
	image.status = 200;
	image.content_type = "image/png";
	image.body = png;
	r = shape("download_object", args, in, image);
	CHECK(r["structuredContent"]["kind"] == "image");
	CHECK(r["content"][1]["type"] == "image");
	CHECK(r["content"][1]["mimeType"] == "image/png");
	std::string decoded;
	REQUIRE(common::base64_decode(r["content"][1]["data"].get<std::string>(), decoded));
	CHECK(decoded == png);

	HttpReply blob;
	blob.status = 200;
	blob.content_type = "application/octet-stream";
	blob.body = std::string("\x00\x01\x02", 3);
	r = shape("download_object", args, in, blob);
	CHECK(r["structuredContent"]["kind"] == "resource");
	CHECK(r["content"][1]["resource"]["blob"] == "AAEC");
	CHECK(r["content"][1]["resource"]["uri"] == "http://storage.local:5000/object/b/f");

	HttpReply big;
	big.status = 200;
	big.too_large = true;
	big.content_length = 5000000;
	big.error = "the response is too large";
	r = shape("download_object", args, in, big);
	CHECK(r["isError"] == true);
	CHECK_THAT(r["content"][0]["text"].get<std::string>(),
	           Catch::Contains("5000000 bytes") &&
	               Catch::Contains("mcp_supa.storage_max_bytes (1048576 bytes)"));
}

TEST_CASE("signed URLs come back absolute", "[storage]")
{
	HttpCallInputs in = jwt_caller();
	HttpReply reply;
	reply.status = 200;
	reply.body = R"({"signedURL":"/object/sign/b/f.txt?token=abc"})";
	Json r = shape("create_signed_url",
	               {{"bucket", "b"}, {"path", "f.txt"}, {"expires_in", 60}, {"download", true}}, in,
	               reply);
	CHECK(r["structuredContent"]["signed_url"] ==
	      "http://storage.local:5000/object/sign/b/f.txt?token=abc&download=");
	reply.body = R"({"url":"/object/upload/sign/b/f.txt?token=xyz"})";
	r = shape("create_signed_upload_url", {{"bucket", "b"}, {"path", "f.txt"}}, in, reply);
	CHECK(r["structuredContent"]["signed_url"] ==
	      "http://storage.local:5000/object/upload/sign/b/f.txt?token=xyz");
	CHECK(r["structuredContent"]["token"] == "xyz");
}

TEST_CASE("base64 round-trips every length and refuses junk", "[storage][base64]")
{
	std::string bytes;
	for (int i = 0; i < 300; i++) {
		std::string back;
		std::string enc = common::base64_encode(bytes);
		CHECK(enc.size() % 4 == 0);
		REQUIRE(common::base64_decode(enc, back));
		CHECK(back == bytes);
		bytes += char(i * 37);
	}
	CHECK(common::base64_encode("foob") == "Zm9vYg==");
	std::string out;
	CHECK(common::base64_decode("Zm9v\nYg", out));
	CHECK(out == "foob");
	CHECK_FALSE(common::base64_decode("Zm9vY", out));
	CHECK_FALSE(common::base64_decode("Zm=9v", out));
	CHECK_FALSE(common::base64_decode("Zm9v-_", out));
}

namespace
{

// Records requests instead of sending them; the test answers them.
struct FakeHttp : mcp::HttpSink {
	std::vector<std::pair<HttpRequestSpec, std::function<void(HttpReply)>>> sent;
	void send(HttpRequestSpec r, std::function<void(HttpReply)> done) override
	{
		sent.emplace_back(std::move(r), std::move(done));
	}
};

struct NoJobs : mcp::JobSink {
	int jobs = 0;
	uint64_t submit(Json, std::function<void(const Json &)>) override { return ++jobs; }
	void cancel(uint64_t) override {}
};

} // namespace

TEST_CASE("McpServer sends Storage calls through its HttpSink and audits them", "[storage][mcp]")
{
	GatewayConfig cfg;
	cfg.storage_url = "http://st:1";
	NoJobs jobs;
	FakeHttp http;
	mcp::McpServer server(cfg, jobs);
	std::vector<audit::Record> audited;
	server.set_audit([&](audit::Record r) { audited.push_back(std::move(r)); });
	mcp::Session session;
	session.id = "s";
	mcp::CallContext ctx;
	ctx.principal.auth_method = "jwt";
	ctx.principal.role = "authenticated";
	ctx.bearer_token = "tok";
	std::vector<Json> replies;
	auto send = [&](const Json &m) {
		server.handle(m, session, ctx, [&](Json r) {
			replies.push_back(r.is_string() ? Json::parse(r.get<std::string>()) : std::move(r));
		});
	};
	send({{"jsonrpc", "2.0"},
	      {"id", 0},
	      {"method", "initialize"},
	      {"params", {{"protocolVersion", "2025-11-25"}}}});
	Json call = {{"jsonrpc", "2.0"},
	             {"id", 1},
	             {"method", "tools/call"},
	             {"params", {{"name", "list_buckets"}, {"arguments", Json::object()}}}};
	// Without an HTTP backend the call is refused, not lost.
	send(call);
	CHECK(replies.back()["result"]["isError"] == true);
	server.set_http(&http);
	send(call);
	REQUIRE(http.sent.size() == 1);
	CHECK(jobs.jobs == 0);
	CHECK(http.sent[0].first.url == "http://st:1/bucket");
	CHECK(header(http.sent[0].first, "authorization") == "Bearer tok");
	std::size_t before = replies.size();
	HttpReply reply;
	reply.status = 200;
	reply.body = R"([{"id":"avatars","name":"avatars","public":false}])";
	http.sent[0].second(reply);
	REQUIRE(replies.size() == before + 1);
	CHECK(replies.back()["id"] == 1);
	CHECK(replies.back()["result"]["structuredContent"]["buckets"][0]["id"] == "avatars");
	REQUIRE_FALSE(audited.empty());
	CHECK(audited.back().tool == "list_buckets");
	CHECK(audited.back().status == "ok");
}
