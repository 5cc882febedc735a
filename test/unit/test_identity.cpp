// Identity for assistants: API keys that act as users and carry tool scopes, the mcp_tools JWT
// claim, tool scopes against the registry (by name and by family), and the OAuth
// protected-resource metadata and 401 challenge.
#include <catch2/catch.hpp>

#include <openssl/sha.h>

#include "mcp_supa/auth/authenticator.h"
#include "mcp_supa/auth/jwt.h"
#include "mcp_supa/common/text.h"
#include "mcp_supa/config/gateway_config.h"
#include "mcp_supa/core/protected_resource.h"
#include "mcp_supa/tools/registry.h"
#include "mcp_supa/tools/scope.h"

using namespace mcp_supa;
using Json = nlohmann::json;

namespace
{

// The hex SHA-256 create_api_key stores for a secret.
std::string key_hash(const std::string &secret)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	SHA256(reinterpret_cast<const unsigned char *>(secret.data()), secret.size(), d);
	return common::hex_encode(d, sizeof(d));
}

// The names of the registry's tools the caller may use under features.
std::vector<std::string> usable(const std::vector<std::string> &features,
                                const auth::Principal &caller)
{
	std::vector<std::string> out;
	for (const auto &t : tools::registry().entries())
		if (tools::tool_refusal(t, features, caller).empty())
			out.push_back(t.name);
	return out;
}

// The names of the registry's tools of one family.
std::vector<std::string> family(const std::string &name)
{
	std::vector<std::string> out;
	for (const auto &t : tools::registry().entries())
		if (t.family == name)
			out.push_back(t.name);
	return out;
}

} // namespace

TEST_CASE("a key with a sub acts as that user and keeps its name and tools", "[auth][identity]")
{
	auth::Authenticator a(auth_settings(GatewayConfig{}));
	std::string secret = "mcps_user_key_secret";
	std::string scoped = "mcps_scoped_key_secret";
	std::string broken = "mcps_broken_scope_secret";
	a.set_api_keys(Json::array(
	    {{{"hash", key_hash(secret)},
	      {"name", "alice-claude"},
	      {"role", "authenticated"},
	      {"claims", {{"sub", "11111111-1111-1111-1111-111111111111"}, {"email", "a@x"}}},
	      {"tools", nullptr}},
	     {{"hash", key_hash(scoped)},
	      {"name", "catalog-only"},
	      {"role", "anon"},
	      {"claims", Json::object()},
	      {"tools", {"catalog", "execute_sql"}}},
	     {{"hash", key_hash(broken)},
	      {"name", "broken"},
	      {"role", "anon"},
	      {"claims", Json::object()},
	      {"tools", "sql"}}}));
	auto r = a.authenticate(secret, 1800000000);
	REQUIRE(r.ok);
	CHECK(r.principal.subject == "alice-claude"); // audit principal: the key's name
	CHECK(r.principal.claims["sub"] == "11111111-1111-1111-1111-111111111111");
	CHECK(r.principal.claims["role"] == "authenticated");
	CHECK(r.principal.claims["mcp_key"] == "alice-claude");
	CHECK_FALSE(r.principal.tools_limited);
	auto s = a.authenticate(scoped, 1800000000);
	REQUIRE(s.ok);
	CHECK(s.principal.tools_limited);
	CHECK(s.principal.tools == std::vector<std::string>{"catalog", "execute_sql"});
	// A scope that cannot be read leaves the key no tool at all, never every tool.
	auto b = a.authenticate(broken, 1800000000);
	REQUIRE(b.ok);
	CHECK(b.principal.tools_limited);
	CHECK(b.principal.tools.empty());
	CHECK(usable({"all"}, b.principal).empty());
}

TEST_CASE("the mcp_tools claim scopes a JWT; a malformed one is refused", "[auth][identity]")
{
	GatewayConfig cfg;
	cfg.jwt_secret = std::string(40, 'q');
	auth::Authenticator a(auth_settings(cfg));
	int64_t now = 1800000000;
	auto ok = a.authenticate(
	    auth::sign_hs256({{"role", "authenticated"}, {"mcp_tools", {"catalog"}}}, cfg.jwt_secret),
	    now);
	REQUIRE(ok.ok);
	CHECK(ok.principal.tools_limited);
	CHECK(ok.principal.tools == std::vector<std::string>{"catalog"});
	auto bad = a.authenticate(
	    auth::sign_hs256({{"role", "authenticated"}, {"mcp_tools", "catalog"}}, cfg.jwt_secret),
	    now);
	CHECK_FALSE(bad.ok);
	CHECK(bad.error.find("mcp_tools") != std::string::npos);
	auto none = a.authenticate(auth::sign_hs256({{"role", "anon"}}, cfg.jwt_secret), now);
	REQUIRE(none.ok);
	CHECK_FALSE(none.principal.tools_limited);
}

TEST_CASE("tool scopes match tool names and families from the registry", "[tools][identity]")
{
	std::vector<std::string> sql = family("sql"), catalog = family("catalog");
	REQUIRE_FALSE(sql.empty());
	REQUIRE_FALSE(catalog.empty());
	auth::Principal everyone;
	CHECK(usable({"all"}, everyone).size() == tools::registry().entries().size());
	CHECK(tools::every_tool({"all"}, everyone));
	CHECK(usable({"catalog"}, everyone) == catalog);
	CHECK_FALSE(tools::every_tool({"catalog"}, everyone));
	auth::Principal key;
	key.auth_method = "api_key";
	key.tools_limited = true;
	key.tools = {"sql"};
	CHECK(usable({"all"}, key) == sql);
	CHECK_FALSE(tools::every_tool({"all"}, key));
	// The server's features and the caller's scope both apply.
	CHECK(usable({"catalog"}, key).empty());
	key.tools = {catalog[0]};
	CHECK(usable({"catalog"}, key) == std::vector<std::string>{catalog[0]});
	const tools::ToolEntry *t = tools::registry().find(sql[0]);
	REQUIRE(t);
	CHECK(tools::tool_refusal(*t, {"catalog"}, everyone).find("mcp_supa.features") !=
	      std::string::npos);
	CHECK(tools::tool_refusal(*t, {"all"}, key).find("the API key's tools") != std::string::npos);
	key.auth_method = "jwt";
	CHECK(tools::tool_refusal(*t, {"all"}, key).find("mcp_tools") != std::string::npos);
	CHECK(tools::tool_refusal(*t, {"all", "sql"}, everyone).empty());
	CHECK(tools::unmatched_names({"all", "sql", catalog[0], "sqll"}) ==
	      std::vector<std::string>{"sqll"});
}

TEST_CASE("mcp_supa.features is all or a list of names", "[config][identity]")
{
	CHECK(parse_feature_list("all") == std::vector<std::string>{"all"});
	CHECK(parse_feature_list(" sql , catalog ") == std::vector<std::string>{"sql", "catalog"});
	CHECK_THROWS_AS(parse_feature_list(""), ConfigError);
	CHECK_THROWS_AS(parse_feature_list("all,sql"), ConfigError);
	CHECK_THROWS_AS(parse_feature_list("SQL"), ConfigError);
	CHECK_THROWS_AS(parse_feature_list(std::string(64, 'a')), ConfigError);
	CHECK(GatewayConfig{}.features == std::vector<std::string>{"all"});
}

TEST_CASE("protected-resource metadata names the issuer and the resource", "[oauth][identity]")
{
	GatewayConfig cfg;
	cfg.port = 8432;
	cfg.listen_addresses = {"127.0.0.1"};
	CHECK(core::resource_url(cfg) == "http://127.0.0.1:8432/mcp");
	CHECK(core::protected_resource_body(cfg) == ""); // no issuer: nothing to serve
	CHECK(core::bearer_challenge(cfg, false, "") == "Bearer realm=\"mcp_supa\"");
	cfg.listen_addresses = {"*"};
	CHECK(core::resource_url(cfg) == "http://localhost:8432/mcp");
	cfg.listen_addresses = {"::1"};
	cfg.tls_cert_file = "server.crt";
	CHECK(core::resource_url(cfg) == "https://[::1]:8432/mcp");
	cfg.public_url = "https://db.example.com/mcp";
	cfg.auth_issuer = "https://project.supabase.co/auth/v1";
	CHECK(core::resource_metadata_url(cfg) ==
	      "https://db.example.com/.well-known/oauth-protected-resource/mcp");
	Json doc = Json::parse(core::protected_resource_body(cfg));
	CHECK(doc["resource"] == "https://db.example.com/mcp");
	CHECK(doc["authorization_servers"] == Json::array({"https://project.supabase.co/auth/v1"}));
	CHECK(doc["bearer_methods_supported"] == Json::array({"header"}));
	CHECK(core::bearer_challenge(cfg, true, "expired") ==
	      "Bearer realm=\"mcp_supa\", resource_metadata=\"https://db.example.com/.well-known/"
	      "oauth-protected-resource/mcp\", error=\"invalid_token\", error_description=\"expired\"");
	cfg.public_url = "https://db.example.com";
	CHECK(core::resource_metadata_url(cfg) ==
	      "https://db.example.com/.well-known/oauth-protected-resource");
	CHECK(core::protected_resource_path("/.well-known/oauth-protected-resource"));
	CHECK(core::protected_resource_path("/.well-known/oauth-protected-resource/mcp"));
	CHECK_FALSE(core::protected_resource_path("/.well-known/oauth-protected-resourcex"));
	CHECK_FALSE(core::protected_resource_path("/.well-known/oauth-authorization-server"));
}
