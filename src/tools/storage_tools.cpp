// The Storage tools: buckets and objects of Supabase Storage through its REST API, as the
// caller (their JWT, or a token minted for their API key), so Storage's own policies decide.
// Each builds one request (src/tools/storage_request.cpp) for the gateway's outbound HTTP
// client and shapes Storage's answer; Storage errors become tool errors with its status.
#include <openssl/sha.h>

#include "mcp_supa/common/base64.h"
#include "mcp_supa/common/json_text.h"
#include "mcp_supa/common/random.h"
#include "mcp_supa/tools/arguments.h"
#include "mcp_supa/tools/registry.h"
#include "mcp_supa/tools/results.h"
#include "mcp_supa/tools/storage.h"

namespace mcp_supa::tools
{

namespace
{

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char *kUpstream = "storage";
constexpr int kDefaultListLimit = 100;
constexpr int kMaxListLimit = 1000;
constexpr int64_t kMaxSignedSeconds = 365LL * 24 * 3600;

// --- building requests ---------------------------------------------------------------------

// A request to route with the caller's identity; nullopt with error when Storage is not set
// up, a read-only caller asks for a change, or the caller cannot get a token.
std::optional<HttpRequestSpec> storage_request(const HttpCallInputs &in, const char *method,
                                               const std::string &route, bool changes,
                                               std::string &error)
{
	if (in.storage_url.empty()) {
		error = "the Storage tools are off: mcp_supa.storage_url is not set (the operator sets "
		        "it to the project's Storage API URL, such as "
		        "https://<project>.supabase.co/storage/v1)";
		return std::nullopt;
	}
	if (changes && in.read_only) {
		error = "this call is read-only (mcp_supa.read_only or a read-only API key): Storage "
		        "changes are refused";
		return std::nullopt;
	}
	HttpRequestSpec r;
	r.upstream = kUpstream;
	r.method = method;
	r.url = storage_route_url(in.storage_url, route);
	r.idempotent = !changes;
	r.timeout_ms = in.timeout_ms;
	r.max_response_bytes = 1024 * 1024; // JSON answers; downloads set their own cap
	if (!add_storage_identity(in, r.headers, error))
		return std::nullopt;
	return r;
}

// Sets a JSON body.
void json_body(HttpRequestSpec &r, const Json &body)
{
	r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
	r.headers.emplace_back("content-type", "application/json");
}

// Reads the bucket argument (named name).
bool bucket_arg(const Json &args, const char *name, std::string &out, std::string &error)
{
	if (!required_string(args, name, kMaxBucketBytes, out, error))
		return false;
	if (!valid_bucket(out, error)) {
		error = "argument \"" + std::string(name) + "\": " + error;
		return false;
	}
	return true;
}

// Reads an object path argument (named name).
bool path_arg(const Json &args, const char *name, std::string &out, std::string &error)
{
	if (!required_string(args, name, kMaxObjectPathBytes, out, error))
		return false;
	if (!valid_object_path(out, error)) {
		error = "argument \"" + std::string(name) + "\": " + error;
		return false;
	}
	return true;
}

// Reads an optional integer argument within [min, max].
bool optional_int(const Json &args, const char *name, int64_t min, int64_t max, int64_t &out,
                  std::string &error)
{
	auto it = args.find(name);
	if (it == args.end() || it->is_null())
		return true;
	if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > max) {
		error = "argument \"" + std::string(name) + "\" must be an integer from " +
		        std::to_string(min) + " to " + std::to_string(max);
		return false;
	}
	out = it->get<int64_t>();
	return true;
}

// Reads an optional string argument of at most max_bytes.
bool optional_string(const Json &args, const char *name, std::size_t max_bytes, std::string &out,
                     std::string &error)
{
	auto it = args.find(name);
	if (it == args.end() || it->is_null())
		return true;
	if (!it->is_string() || it->get_ref<const std::string &>().size() > max_bytes) {
		error = "argument \"" + std::string(name) + "\" must be a string of at most " +
		        std::to_string(max_bytes) + " bytes";
		return false;
	}
	out = it->get<std::string>();
	return true;
}

// The "/{bucket}/{path}" part of object routes.
std::string object_route(const std::string &bucket, const std::string &path)
{
	return "/" + encode_path(bucket) + "/" + encode_path(path);
}

// --- shaping answers -----------------------------------------------------------------------

// A tool error from Storage's own error: its status, error and message.
Json storage_error_result(const StorageError &e)
{
	std::string text = "Supabase Storage answered " + std::to_string(e.status);
	if (!e.error.empty())
		text += " (" + e.error + ")";
	text += ": " + e.message;
	Json r = tool_error(text);
	r["_meta"] = {{"mcp_supa",
	               {{"storage_status", e.status},
	                {"storage_error", e.error},
	                {"storage_message", e.message}}}};
	return r;
}

// The error result of an answer that is a failure (no answer, or a Storage error), or null.
Json failure_of(const HttpReply &reply, const HttpCallInputs &in)
{
	std::string text = transport_failure_text(reply, in);
	if (!text.empty())
		return tool_error(text);
	if (auto e = storage_error(reply))
		return storage_error_result(*e);
	return nullptr;
}

// Storage's JSON answer, or a tool error when it is not JSON.
bool parse_answer(const HttpReply &reply, Json &body, Json &error_result)
{
	body = Json::parse(reply.body, nullptr, false);
	if (body.is_discarded()) {
		error_result = tool_error("Supabase Storage answered something that is not JSON (HTTP " +
		                          std::to_string(reply.status) + ")");
		return false;
	}
	return true;
}

// The common path of a JSON-answering tool: failures, then fn(body) -> structured content.
template <typename Fn>
Json shape_json(const HttpReply &reply, const HttpCallInputs &in, const std::string &what,
                const std::string &tag, Fn fn)
{
	Json failed = failure_of(reply, in);
	if (!failed.is_null())
		return failed;
	Json body, error_result;
	if (!parse_answer(reply, body, error_result))
		return error_result;
	Json structured = fn(body);
	Json text = structured;
	return data_result(what, std::move(structured), text, tag);
}

// The output schema of a tool whose result is a message from Storage.
Json message_schema(Json more = Json::object(), Json required = Json::array())
{
	more["message"] = {{"type", "string"}};
	required.push_back("message");
	return data_output_schema(std::move(more), std::move(required));
}

// A string member of a JSON answer, or "".
std::string text_of(const Json &j, const char *key)
{
	auto it = j.find(key);
	return j.is_object() && it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// The bucket/path input schema members.
Json bucket_prop(const char *what = "The bucket's name (id).")
{
	return {{"type", "string"}, {"maxLength", kMaxBucketBytes}, {"description", what}};
}
Json path_prop(const char *what = "The object's path inside the bucket, such as "
                                  "\"folder/file.png\" (no leading '/').")
{
	return {{"type", "string"}, {"maxLength", kMaxObjectPathBytes}, {"description", what}};
}

// An entry with what every Storage tool shares.
ToolEntry storage_entry(const char *name, const char *title, int position)
{
	ToolEntry t;
	t.name = name;
	t.family = "storage";
	t.title = title;
	t.backend = Backend::Http;
	t.list_position = position;
	return t;
}

// Input schema of an object with these properties.
Json object_schema(Json properties, Json required)
{
	return {{"type", "object"},
	        {"properties", std::move(properties)},
	        {"required", std::move(required)},
	        {"additionalProperties", false}};
}

// --- buckets -------------------------------------------------------------------------------

std::optional<HttpRequestSpec> list_buckets_request(const Json &args, const HttpCallInputs &in,
                                                    std::string &error)
{
	if (!only_keys(args, {}, error))
		return std::nullopt;
	return storage_request(in, "GET", "/bucket", false, error);
}

Json list_buckets_result(const Json &, const HttpCallInputs &in, HttpReply &reply,
                         const std::string &tag)
{
	return shape_json(reply, in, "the Storage buckets the caller may see", tag, [](Json body) {
		if (!body.is_array())
			body = Json::array();
		return Json{{"buckets", std::move(body)}};
	});
}

// The optional bucket settings create_bucket and update_bucket share, into body.
bool bucket_options(const Json &args, Json &body, std::string &error)
{
	bool is_public = false;
	if (args.contains("public")) {
		if (!optional_bool(args, "public", is_public, error))
			return false;
		body["public"] = is_public;
	}
	int64_t limit = 0;
	if (args.contains("file_size_limit")) {
		if (!optional_int(args, "file_size_limit", 0, int64_t(1) << 40, limit, error))
			return false;
		body["file_size_limit"] = limit;
	}
	auto mimes = args.find("allowed_mime_types");
	if (mimes != args.end() && !mimes->is_null()) {
		bool ok = mimes->is_array() && mimes->size() <= 100;
		for (const auto &m : *mimes)
			ok = ok && m.is_string() && !m.get_ref<const std::string &>().empty() &&
			     m.get_ref<const std::string &>().size() <= 255;
		if (!ok) {
			error = "argument \"allowed_mime_types\" must be an array of at most 100 MIME types "
			        "such as \"image/png\" or \"image/*\"";
			return false;
		}
		body["allowed_mime_types"] = *mimes;
	}
	return true;
}

Json bucket_option_props(Json props)
{
	props["public"] = {{"type", "boolean"},
	                   {"description", "Whether anyone may read its objects by public URL."}};
	props["file_size_limit"] = {{"type", "integer"},
	                            {"minimum", 0},
	                            {"description", "The largest object it accepts, in bytes."}};
	props["allowed_mime_types"] = {{"type", "array"},
	                               {"items", {{"type", "string"}}},
	                               {"description", "MIME types it accepts, such as image/*."}};
	return props;
}

std::optional<HttpRequestSpec> create_bucket_request(const Json &args, const HttpCallInputs &in,
                                                     std::string &error)
{
	std::string name;
	Json body = Json::object();
	if (!only_keys(args, {"name", "public", "file_size_limit", "allowed_mime_types"}, error) ||
	    !bucket_arg(args, "name", name, error) || !bucket_options(args, body, error))
		return std::nullopt;
	auto r = storage_request(in, "POST", "/bucket", true, error);
	if (r) {
		body["id"] = name;
		body["name"] = name;
		json_body(*r, body);
	}
	return r;
}

Json create_bucket_result(const Json &args, const HttpCallInputs &in, HttpReply &reply,
                          const std::string &tag)
{
	return shape_json(reply, in, "Storage's answer", tag, [&](const Json &body) {
		std::string name = text_of(body, "name");
		return Json{{"name", name.empty() ? args.value("name", "") : name}, {"created", true}};
	});
}

std::optional<HttpRequestSpec> update_bucket_request(const Json &args, const HttpCallInputs &in,
                                                     std::string &error)
{
	std::string name;
	Json body = Json::object();
	if (!only_keys(args, {"name", "public", "file_size_limit", "allowed_mime_types"}, error) ||
	    !bucket_arg(args, "name", name, error) || !bucket_options(args, body, error))
		return std::nullopt;
	if (body.empty()) {
		error = "give at least one of \"public\", \"file_size_limit\", \"allowed_mime_types\"";
		return std::nullopt;
	}
	auto r = storage_request(in, "PUT", "/bucket/" + encode_path(name), true, error);
	if (r)
		json_body(*r, body);
	return r;
}

// The result of tools whose answer is {"message": ...}.
Json message_result(const Json &, const HttpCallInputs &in, HttpReply &reply,
                    const std::string &tag)
{
	return shape_json(reply, in, "Storage's answer", tag, [](const Json &body) {
		return Json{{"message", text_of(body, "message")}};
	});
}

std::optional<HttpRequestSpec> delete_bucket_request(const Json &args, const HttpCallInputs &in,
                                                     std::string &error)
{
	std::string name;
	if (!only_keys(args, {"name"}, error) || !bucket_arg(args, "name", name, error))
		return std::nullopt;
	return storage_request(in, "DELETE", "/bucket/" + encode_path(name), true, error);
}

// --- listing and info ----------------------------------------------------------------------

std::optional<HttpRequestSpec> list_objects_request(const Json &args, const HttpCallInputs &in,
                                                    std::string &error)
{
	std::string bucket, prefix, search;
	int64_t limit = kDefaultListLimit, offset = 0;
	if (!only_keys(args, {"bucket", "prefix", "limit", "offset", "search", "sort"}, error) ||
	    !bucket_arg(args, "bucket", bucket, error) ||
	    !optional_string(args, "prefix", kMaxObjectPathBytes, prefix, error) ||
	    !optional_string(args, "search", 256, search, error) ||
	    !optional_int(args, "limit", 1, kMaxListLimit, limit, error) ||
	    !optional_int(args, "offset", 0, 1000000000, offset, error))
		return std::nullopt;
	Json body = {{"prefix", prefix}, {"limit", limit}, {"offset", offset}};
	if (!search.empty())
		body["search"] = search;
	auto sort = args.find("sort");
	if (sort != args.end() && !sort->is_null()) {
		static const char *const columns[] = {"name", "created_at", "updated_at",
		                                      "last_accessed_at"};
		std::string column = sort->is_object() ? sort->value("column", "name") : "";
		std::string order = sort->is_object() ? sort->value("order", "asc") : "";
		bool ok = sort->is_object() && sort->size() <= 2 && (order == "asc" || order == "desc");
		bool known = false;
		for (const char *c : columns)
			known = known || column == c;
		if (!ok || !known) {
			error = "argument \"sort\" must be {\"column\": name|created_at|updated_at|"
			        "last_accessed_at, \"order\": asc|desc}";
			return std::nullopt;
		}
		body["sortBy"] = {{"column", column}, {"order", order}};
	}
	auto r = storage_request(in, "POST", "/object/list/" + encode_path(bucket), false, error);
	if (r)
		json_body(*r, body);
	return r;
}

// One listed entry as the tool shows it: folders (id null) marked as such.
Json listed_entry(const Json &e)
{
	if (!e.is_object())
		return e;
	Json out = {{"name", e.value("name", Json(nullptr))}};
	bool folder = !e.contains("id") || e["id"].is_null();
	out["folder"] = folder;
	if (folder)
		return out;
	out["id"] = e["id"];
	for (const char *k : {"created_at", "updated_at", "last_accessed_at"})
		if (e.contains(k))
			out[k] = e[k];
	auto meta = e.find("metadata");
	if (meta != e.end() && meta->is_object()) {
		if (meta->contains("size"))
			out["size"] = (*meta)["size"];
		if (meta->contains("mimetype"))
			out["content_type"] = (*meta)["mimetype"];
	}
	return out;
}

Json list_objects_result(const Json &args, const HttpCallInputs &in, HttpReply &reply,
                         const std::string &tag)
{
	std::string what = "the objects in bucket " + args.value("bucket", "");
	return shape_json(reply, in, what, tag, [](const Json &body) {
		Json objects = Json::array();
		if (body.is_array())
			for (const auto &e : body)
				objects.push_back(listed_entry(e));
		return Json{{"objects", objects}, {"count", objects.size()}};
	});
}

std::optional<HttpRequestSpec> get_object_info_request(const Json &args, const HttpCallInputs &in,
                                                       std::string &error)
{
	std::string bucket, path;
	if (!only_keys(args, {"bucket", "path"}, error) || !bucket_arg(args, "bucket", bucket, error) ||
	    !path_arg(args, "path", path, error))
		return std::nullopt;
	return storage_request(in, "GET", "/object/info" + object_route(bucket, path), false, error);
}

Json get_object_info_result(const Json &, const HttpCallInputs &in, HttpReply &reply,
                            const std::string &tag)
{
	return shape_json(reply, in, "the object's information", tag, [](const Json &body) {
		return Json{{"info", body}};
	});
}

// --- upload and download -------------------------------------------------------------------

std::optional<HttpRequestSpec> upload_object_request(const Json &args, const HttpCallInputs &in,
                                                     std::string &error)
{
	std::string bucket, path, encoding = "text", content_type, cache_control;
	bool upsert = false;
	if (!only_keys(
	        args,
	        {"bucket", "path", "content", "encoding", "content_type", "upsert", "cache_control"},
	        error) ||
	    !bucket_arg(args, "bucket", bucket, error) || !path_arg(args, "path", path, error) ||
	    !optional_string(args, "encoding", 16, encoding, error) ||
	    !optional_string(args, "content_type", 255, content_type, error) ||
	    !optional_string(args, "cache_control", 20, cache_control, error) ||
	    !optional_bool(args, "upsert", upsert, error))
		return std::nullopt;
	auto content = args.find("content");
	if (content == args.end() || !content->is_string()) {
		error = "argument \"content\" must be a string";
		return std::nullopt;
	}
	if (encoding != "text" && encoding != "base64") {
		error = "argument \"encoding\" must be \"text\" or \"base64\"";
		return std::nullopt;
	}
	if (!cache_control.empty() &&
	    cache_control.find_first_not_of("0123456789") != std::string::npos) {
		error = "argument \"cache_control\" must be a number of seconds, such as \"3600\"";
		return std::nullopt;
	}
	for (char c : content_type)
		if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
			error = "argument \"content_type\" must be printable ASCII";
			return std::nullopt;
		}
	const std::string &text = content->get_ref<const std::string &>();
	// Checked before decoding: base64 is 4/3 of the bytes.
	if (text.size() > (encoding == "base64" ? in.max_bytes / 3 * 4 + 4 : in.max_bytes)) {
		error = "the content is larger than mcp_supa.storage_max_bytes (" +
		        std::to_string(in.max_bytes) + " bytes)";
		return std::nullopt;
	}
	auto r = storage_request(in, "POST", "/object" + object_route(bucket, path), true, error);
	if (!r)
		return std::nullopt;
	if (content_type.empty())
		content_type = encoding == "text" ? "text/plain;charset=UTF-8" : "application/octet-stream";
	// A cache time goes as a multipart form (field cacheControl, as storage-js sends it): lws
	// puts "Cache-Control: no-cache" on every request, so a header of ours would be a second one.
	std::string boundary = cache_control.empty() ? "" : "mcp-supa-" + common::random_hex(12);
	if (!boundary.empty())
		r->body = "--" + boundary +
		          "\r\nContent-Disposition: form-data; name=\"cacheControl\"\r\n\r\n" +
		          cache_control + "\r\n--" + boundary +
		          "\r\nContent-Disposition: form-data; name=\"\"; filename=\"blob\"\r\n"
		          "Content-Type: " +
		          content_type + "\r\n\r\n";
	std::size_t start = r->body.size();
	if (encoding == "base64") {
		if (!common::base64_decode_append(text, r->body)) {
			error = "argument \"content\" is not valid base64";
			return std::nullopt;
		}
	} else
		r->body += text;
	std::size_t size = r->body.size() - start;
	if (size > in.max_bytes) {
		error = "the content is " + std::to_string(size) +
		        " bytes, over mcp_supa.storage_max_bytes (" + std::to_string(in.max_bytes) +
		        " bytes)";
		return std::nullopt;
	}
	if (boundary.empty())
		r->headers.emplace_back("content-type", content_type);
	else {
		r->body += "\r\n--" + boundary + "--\r\n";
		r->headers.emplace_back("content-type", "multipart/form-data; boundary=" + boundary);
	}
	r->headers.emplace_back("x-upsert", upsert ? "true" : "false");
	return r;
}

Json upload_object_result(const Json &args, const HttpCallInputs &in, HttpReply &reply,
                          const std::string &tag)
{
	return shape_json(reply, in, "Storage's answer", tag, [&](const Json &body) {
		return Json{{"key", text_of(body, "Key")},
		            {"bucket", args.value("bucket", "")},
		            {"path", args.value("path", "")}};
	});
}

std::optional<HttpRequestSpec> download_object_request(const Json &args, const HttpCallInputs &in,
                                                       std::string &error)
{
	std::string bucket, path;
	if (!only_keys(args, {"bucket", "path"}, error) || !bucket_arg(args, "bucket", bucket, error) ||
	    !path_arg(args, "path", path, error))
		return std::nullopt;
	auto r = storage_request(in, "GET", "/object" + object_route(bucket, path), false, error);
	if (r)
		r->max_response_bytes = in.max_bytes;
	return r;
}

// The MIME type without parameters, lower case.
std::string bare_type(const std::string &content_type)
{
	std::string t = content_type.substr(0, content_type.find(';'));
	while (!t.empty() && t.back() == ' ')
		t.pop_back();
	for (auto &c : t)
		c = char(std::tolower(static_cast<unsigned char>(c)));
	return t;
}

// Whether a type is text a model can read as such.
bool is_text_type(const std::string &t)
{
	return t.rfind("text/", 0) == 0 || t == "application/json" || t == "application/xml" ||
	       t == "application/javascript" || t == "application/x-ndjson" ||
	       t == "application/yaml" || t == "image/svg+xml" ||
	       (t.size() > 5 && t.compare(t.size() - 5, 5, "+json") == 0);
}

// Whether a type is an image MCP clients show as one.
bool is_image_type(const std::string &t)
{
	return t == "image/png" || t == "image/jpeg" || t == "image/gif" || t == "image/webp";
}

// Lowercase hex SHA-256 of bytes.
std::string sha256_hex(const std::string &bytes)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	SHA256(reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size(), digest);
	static const char hex[] = "0123456789abcdef";
	std::string out;
	for (unsigned char b : digest) {
		out += hex[b >> 4];
		out += hex[b & 15];
	}
	return out;
}

Json download_object_result(const Json &args, const HttpCallInputs &in, HttpReply &reply,
                            const std::string &tag)
{
	Json failed = failure_of(reply, in);
	if (!failed.is_null())
		return failed;
	std::string type = bare_type(reply.content_type);
	if (type.empty())
		type = "application/octet-stream";
	std::string bucket = args.value("bucket", ""), path = args.value("path", "");
	bool text = is_text_type(type) && common::valid_utf8(reply.body);
	const char *kind = text ? "text" : is_image_type(type) ? "image" : "resource";
	Json structured = {{"bucket", bucket},
	                   {"path", path},
	                   {"content_type", type},
	                   {"size", reply.body.size()},
	                   {"sha256", sha256_hex(reply.body)},
	                   {"kind", kind},
	                   {"warning", kUntrustedWarning}};
	Json content = Json::array();
	std::string what = "the content of Storage object " + bucket + "/" + path + " (" + type + ")";
	if (text) {
		content.push_back({{"type", "text"}, {"text", wrap_untrusted(what, reply.body, tag)}});
	} else {
		content.push_back(
		    {{"type", "text"},
		     {"text", wrap_untrusted("the description of Storage object " + bucket + "/" + path,
		                             structured.dump(), tag)}});
		std::string data = common::base64_encode(reply.body);
		reply.body = std::string(); // the bytes are not needed twice
		if (is_image_type(type))
			content.push_back({{"type", "image"}, {"data", std::move(data)}, {"mimeType", type}});
		else
			content.push_back({{"type", "resource"},
			                   {"resource",
			                    {{"uri", storage_route_url(in.storage_url,
			                                               "/object" + object_route(bucket, path))},
			                     {"mimeType", type},
			                     {"blob", std::move(data)}}}});
	}
	return {{"content", std::move(content)},
	        {"structuredContent", std::move(structured)},
	        {"isError", false}};
}

// --- delete, move, copy --------------------------------------------------------------------

std::optional<HttpRequestSpec> delete_objects_request(const Json &args, const HttpCallInputs &in,
                                                      std::string &error)
{
	std::string bucket;
	if (!only_keys(args, {"bucket", "paths"}, error) || !bucket_arg(args, "bucket", bucket, error))
		return std::nullopt;
	auto paths = args.find("paths");
	if (paths == args.end() || !paths->is_array() || paths->empty() ||
	    paths->size() > kMaxDeletePaths) {
		error = "argument \"paths\" must be an array of 1 to " + std::to_string(kMaxDeletePaths) +
		        " object paths";
		return std::nullopt;
	}
	for (const auto &p : *paths)
		if (!p.is_string() || !valid_object_path(p.get_ref<const std::string &>(), error)) {
			error = "argument \"paths\": " + (p.is_string() ? error : "every path is a string");
			return std::nullopt;
		}
	auto r = storage_request(in, "DELETE", "/object/" + encode_path(bucket), true, error);
	if (r)
		json_body(*r, {{"prefixes", *paths}});
	return r;
}

Json delete_objects_result(const Json &, const HttpCallInputs &in, HttpReply &reply,
                           const std::string &tag)
{
	return shape_json(reply, in, "the objects Storage deleted", tag, [](const Json &body) {
		Json deleted = Json::array();
		if (body.is_array())
			for (const auto &e : body)
				if (e.is_object() && e.contains("name"))
					deleted.push_back(e["name"]);
		return Json{{"deleted", deleted}, {"count", deleted.size()}};
	});
}

// The body of move and copy: {bucketId, sourceKey, destinationKey[, destinationBucket]}.
std::optional<HttpRequestSpec> transfer_request(const Json &args, const HttpCallInputs &in,
                                                const char *route, std::string &error)
{
	std::string bucket, from, to, to_bucket;
	if (!only_keys(args, {"bucket", "from", "to", "to_bucket"}, error) ||
	    !bucket_arg(args, "bucket", bucket, error) || !path_arg(args, "from", from, error) ||
	    !path_arg(args, "to", to, error))
		return std::nullopt;
	if (args.contains("to_bucket") && !args["to_bucket"].is_null() &&
	    !bucket_arg(args, "to_bucket", to_bucket, error))
		return std::nullopt;
	auto r = storage_request(in, "POST", route, true, error);
	if (!r)
		return std::nullopt;
	Json body = {{"bucketId", bucket}, {"sourceKey", from}, {"destinationKey", to}};
	if (!to_bucket.empty())
		body["destinationBucket"] = to_bucket;
	json_body(*r, body);
	return r;
}

std::optional<HttpRequestSpec> move_object_request(const Json &args, const HttpCallInputs &in,
                                                   std::string &error)
{
	return transfer_request(args, in, "/object/move", error);
}

std::optional<HttpRequestSpec> copy_object_request(const Json &args, const HttpCallInputs &in,
                                                   std::string &error)
{
	return transfer_request(args, in, "/object/copy", error);
}

Json copy_object_result(const Json &, const HttpCallInputs &in, HttpReply &reply,
                        const std::string &tag)
{
	return shape_json(reply, in, "Storage's answer", tag, [](const Json &body) {
		return Json{{"key", text_of(body, "Key")}};
	});
}

// --- signed URLs ---------------------------------------------------------------------------

std::optional<HttpRequestSpec> create_signed_url_request(const Json &args, const HttpCallInputs &in,
                                                         std::string &error)
{
	std::string bucket, path;
	int64_t expires_in = 0;
	if (!only_keys(args, {"bucket", "path", "expires_in", "download"}, error) ||
	    !bucket_arg(args, "bucket", bucket, error) || !path_arg(args, "path", path, error))
		return std::nullopt;
	if (!args.contains("expires_in") ||
	    !optional_int(args, "expires_in", 1, kMaxSignedSeconds, expires_in, error) ||
	    expires_in == 0) {
		error = "argument \"expires_in\" must be an integer from 1 to " +
		        std::to_string(kMaxSignedSeconds) + " (seconds)";
		return std::nullopt;
	}
	auto download = args.find("download");
	if (download != args.end() && !download->is_null() && !download->is_boolean() &&
	    !(download->is_string() && download->get_ref<const std::string &>().size() <= 255)) {
		error = "argument \"download\" must be true or a file name";
		return std::nullopt;
	}
	auto r = storage_request(in, "POST", "/object/sign" + object_route(bucket, path), false, error);
	if (r)
		json_body(*r, {{"expiresIn", expires_in}});
	return r;
}

// The ?download parameter storage-js appends to a signed URL.
std::string download_query(const Json &args)
{
	auto d = args.find("download");
	if (d == args.end() || d->is_null() || (d->is_boolean() && !d->get<bool>()))
		return "";
	std::string name = d->is_string() ? encode_path(d->get<std::string>()) : "";
	return "&download=" + name;
}

Json create_signed_url_result(const Json &args, const HttpCallInputs &in, HttpReply &reply,
                              const std::string &tag)
{
	return shape_json(reply, in, "the signed URL", tag, [&](const Json &body) {
		std::string signed_url = text_of(body, "signedURL");
		// Storage answers a path relative to its root: make it absolute.
		if (!signed_url.empty() && signed_url[0] == '/')
			signed_url = storage_route_url(in.storage_url, signed_url);
		if (!signed_url.empty())
			signed_url += download_query(args);
		return Json{{"signed_url", signed_url}, {"expires_in", args.value("expires_in", 0)}};
	});
}

std::optional<HttpRequestSpec>
create_signed_upload_url_request(const Json &args, const HttpCallInputs &in, std::string &error)
{
	std::string bucket, path;
	bool upsert = false;
	if (!only_keys(args, {"bucket", "path", "upsert"}, error) ||
	    !bucket_arg(args, "bucket", bucket, error) || !path_arg(args, "path", path, error) ||
	    !optional_bool(args, "upsert", upsert, error))
		return std::nullopt;
	auto r = storage_request(in, "POST", "/object/upload/sign" + object_route(bucket, path), true,
	                         error);
	if (r) {
		r->headers.emplace_back("x-upsert", upsert ? "true" : "false");
		json_body(*r, Json::object());
	}
	return r;
}

Json create_signed_upload_url_result(const Json &args, const HttpCallInputs &in, HttpReply &reply,
                                     const std::string &tag)
{
	return shape_json(reply, in, "the signed upload URL", tag, [&](const Json &body) {
		std::string url = text_of(body, "url");
		if (!url.empty() && url[0] == '/')
			url = storage_route_url(in.storage_url, url);
		std::string token = text_of(body, "token");
		auto at = url.find("token=");
		if (token.empty() && at != std::string::npos)
			token = url.substr(at + 6, url.find('&', at) - (at + 6));
		return Json{{"signed_url", url}, {"token", token}, {"path", args.value("path", "")}};
	});
}

// --- the entries ---------------------------------------------------------------------------

void add_bucket_tools(Registry &registry)
{
	ToolEntry t = storage_entry("list_buckets", "List Storage buckets", 200);
	t.description = "Lists the Supabase Storage buckets the caller may see (Storage's policies "
	                "on storage.buckets decide; without a read policy the list is empty).";
	t.input_schema = object_schema(Json::object(), Json::array());
	t.output_schema = data_output_schema(
	    {{"buckets", {{"type", "array"}, {"items", {{"type", "object"}}}}}}, {"buckets"});
	t.read_only = true;
	t.build_http = list_buckets_request;
	t.shape_http = list_buckets_result;
	registry.add(t);

	t = storage_entry("create_bucket", "Create a Storage bucket", 201);
	t.description = "Creates a Storage bucket (Storage decides whether the caller may).";
	t.input_schema = object_schema(bucket_option_props({{"name", bucket_prop()}}), {"name"});
	t.output_schema = data_output_schema(
	    {{"name", {{"type", "string"}}}, {"created", {{"type", "boolean"}}}}, {"name", "created"});
	t.build_http = create_bucket_request;
	t.shape_http = create_bucket_result;
	registry.add(t);

	t = storage_entry("update_bucket", "Update a Storage bucket", 202);
	t.description = "Changes a bucket's public flag, file size limit or allowed MIME types.";
	t.input_schema = object_schema(bucket_option_props({{"name", bucket_prop()}}), {"name"});
	t.output_schema = message_schema();
	t.build_http = update_bucket_request;
	t.shape_http = message_result;
	registry.add(t);

	t = storage_entry("delete_bucket", "Delete a Storage bucket", 203);
	t.description = "Deletes an empty bucket (Storage refuses one that still holds objects).";
	t.input_schema = object_schema({{"name", bucket_prop()}}, {"name"});
	t.output_schema = message_schema();
	t.destructive = true;
	t.build_http = delete_bucket_request;
	t.shape_http = message_result;
	registry.add(t);
}

void add_object_read_tools(Registry &registry)
{
	ToolEntry t = storage_entry("list_objects", "List Storage objects", 210);
	t.description = "Lists objects and folders under a prefix of a bucket (folders have "
	                "folder: true). Only objects the caller may read are listed.";
	t.input_schema = object_schema(
	    {{"bucket", bucket_prop()},
	     {"prefix", {{"type", "string"}, {"description", "A folder, such as \"photos/\"."}}},
	     {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxListLimit}}},
	     {"offset", {{"type", "integer"}, {"minimum", 0}}},
	     {"search", {{"type", "string"}, {"description", "Only names containing this."}}},
	     {"sort",
	      {{"type", "object"},
	       {"properties",
	        {{"column",
	          {{"type", "string"},
	           {"enum", {"name", "created_at", "updated_at", "last_accessed_at"}}}},
	         {"order", {{"type", "string"}, {"enum", {"asc", "desc"}}}}}}}}},
	    {"bucket"});
	t.output_schema =
	    data_output_schema({{"objects", {{"type", "array"}, {"items", {{"type", "object"}}}}},
	                        {"count", {{"type", "integer"}}}},
	                       {"objects", "count"});
	t.read_only = true;
	t.build_http = list_objects_request;
	t.shape_http = list_objects_result;
	registry.add(t);

	t = storage_entry("get_object_info", "Get a Storage object's information", 211);
	t.description = "Shows an object's size, content type, dates and metadata.";
	t.input_schema =
	    object_schema({{"bucket", bucket_prop()}, {"path", path_prop()}}, {"bucket", "path"});
	t.output_schema = data_output_schema({{"info", {{"type", "object"}}}}, {"info"});
	t.read_only = true;
	t.build_http = get_object_info_request;
	t.shape_http = get_object_info_result;
	registry.add(t);

	t = storage_entry("download_object", "Download a Storage object", 213);
	t.description = "Downloads an object: text and JSON come back as text, PNG/JPEG/GIF/WebP "
	                "images as an image, anything else as an embedded resource (base64 blob). "
	                "Objects over the server's mcp_supa.storage_max_bytes are refused with their "
	                "size; use create_signed_url for those.";
	t.input_schema =
	    object_schema({{"bucket", bucket_prop()}, {"path", path_prop()}}, {"bucket", "path"});
	t.output_schema =
	    data_output_schema({{"bucket", {{"type", "string"}}},
	                        {"path", {{"type", "string"}}},
	                        {"content_type", {{"type", "string"}}},
	                        {"size", {{"type", "integer"}}},
	                        {"sha256", {{"type", "string"}}},
	                        {"kind", {{"type", "string"}}}},
	                       {"bucket", "path", "content_type", "size", "sha256", "kind"});
	t.read_only = true;
	t.build_http = download_object_request;
	t.shape_http = download_object_result;
	registry.add(t);
}

void add_object_write_tools(Registry &registry)
{
	ToolEntry t = storage_entry("upload_object", "Upload a Storage object", 212);
	t.description = "Uploads content to a bucket path: text as is, binary as base64 "
	                "(encoding: \"base64\"). An existing path is refused unless upsert is true.";
	t.input_schema = object_schema(
	    {{"bucket", bucket_prop()},
	     {"path", path_prop()},
	     {"content", {{"type", "string"}, {"description", "The bytes, as text or base64."}}},
	     {"encoding", {{"type", "string"}, {"enum", {"text", "base64"}}}},
	     {"content_type", {{"type", "string"}, {"description", "Such as image/png."}}},
	     {"upsert", {{"type", "boolean"}, {"description", "Replace an existing object."}}},
	     {"cache_control", {{"type", "string"}, {"description", "max-age in seconds."}}}},
	    {"bucket", "path", "content"});
	t.output_schema = data_output_schema({{"key", {{"type", "string"}}},
	                                      {"bucket", {{"type", "string"}}},
	                                      {"path", {{"type", "string"}}}},
	                                     {"key", "bucket", "path"});
	t.build_http = upload_object_request;
	t.shape_http = upload_object_result;
	registry.add(t);

	t = storage_entry("delete_objects", "Delete Storage objects", 214);
	t.description = "Deletes objects by path. Paths the caller cannot see are skipped: the "
	                "result lists what was deleted.";
	t.input_schema = object_schema(
	    {{"bucket", bucket_prop()},
	     {"paths", {{"type", "array"}, {"items", path_prop()}, {"maxItems", kMaxDeletePaths}}}},
	    {"bucket", "paths"});
	t.output_schema =
	    data_output_schema({{"deleted", {{"type", "array"}, {"items", {{"type", "string"}}}}},
	                        {"count", {{"type", "integer"}}}},
	                       {"deleted", "count"});
	t.destructive = true;
	t.build_http = delete_objects_request;
	t.shape_http = delete_objects_result;
	registry.add(t);

	Json transfer = object_schema({{"bucket", bucket_prop()},
	                               {"from", path_prop("The object's current path.")},
	                               {"to", path_prop("The new path.")},
	                               {"to_bucket", bucket_prop("Another bucket to put it in.")}},
	                              {"bucket", "from", "to"});
	t = storage_entry("move_object", "Move a Storage object", 215);
	t.description = "Moves (renames) an object, optionally into another bucket.";
	t.input_schema = transfer;
	t.output_schema = message_schema();
	t.destructive = true;
	t.build_http = move_object_request;
	t.shape_http = message_result;
	registry.add(t);

	t = storage_entry("copy_object", "Copy a Storage object", 216);
	t.description = "Copies an object to a new path, optionally in another bucket.";
	t.input_schema = transfer;
	t.output_schema = data_output_schema({{"key", {{"type", "string"}}}}, {"key"});
	t.build_http = copy_object_request;
	t.shape_http = copy_object_result;
	registry.add(t);
}

void add_signed_url_tools(Registry &registry)
{
	ToolEntry t = storage_entry("create_signed_url", "Create a signed download URL", 217);
	t.description = "Creates a URL anyone holding it may download the object from, until it "
	                "expires (expires_in seconds). download: true (or a file name) makes "
	                "browsers save it.";
	t.input_schema = object_schema(
	    {{"bucket", bucket_prop()},
	     {"path", path_prop()},
	     {"expires_in", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxSignedSeconds}}},
	     {"download", {{"type", {"boolean", "string"}}}}},
	    {"bucket", "path", "expires_in"});
	t.output_schema = data_output_schema(
	    {{"signed_url", {{"type", "string"}}}, {"expires_in", {{"type", "integer"}}}},
	    {"signed_url", "expires_in"});
	t.read_only = true;
	t.build_http = create_signed_url_request;
	t.shape_http = create_signed_url_result;
	registry.add(t);

	t = storage_entry("create_signed_upload_url", "Create a signed upload URL", 218);
	t.description = "Creates a URL (with its token) anyone holding it may upload the object "
	                "to once, within two hours: for files too large to pass through a tool call.";
	t.input_schema = object_schema(
	    {{"bucket", bucket_prop()}, {"path", path_prop()}, {"upsert", {{"type", "boolean"}}}},
	    {"bucket", "path"});
	t.output_schema = data_output_schema({{"signed_url", {{"type", "string"}}},
	                                      {"token", {{"type", "string"}}},
	                                      {"path", {{"type", "string"}}}},
	                                     {"signed_url", "token", "path"});
	t.build_http = create_signed_upload_url_request;
	t.shape_http = create_signed_upload_url_result;
	registry.add(t);
}

} // namespace

void register_storage_tools(Registry &registry)
{
	add_bucket_tools(registry);
	add_object_read_tools(registry);
	add_object_write_tools(registry);
	add_signed_url_tools(registry);
}

} // namespace mcp_supa::tools
