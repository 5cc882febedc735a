// The settings table: its consistency, its validators, the gateway's config frame it drives,
// GatewayConfig's defaults, and the settings table of docs/configuration.md.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "mcp_supa/config/settings.h"

using namespace mcp_supa;
using Json = nlohmann::json;

namespace
{

// A valid value other than the default for every string setting.
const std::map<std::string, std::string> kGoodText = {
    {"listen_addresses", "127.0.0.1,::1"},
    {"database", "app"},
    {"jwt_secret", std::string(40, 's')},
    {"session_role", "mcp_login"},
    {"allowed_roles", "anon,authenticated"},
    {"allowed_origins", "https://app.example,*"},
    {"rate_limit", "100/s"},
    {"auth_fail_limit", "0"},
    {"trusted_proxies", "10.0.0.0/8,::1"},
    {"tls_cert_file", "server.crt"},
    {"tls_key_file", "server.key"},
    {"jwks", R"({"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1",)"
             R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})"},
    {"jwks_url", "https://project.supabase.co/auth/v1/.well-known/jwks.json"},
    {"public_url", "https://db.example.com/mcp"},
    {"jwt_audience", "authenticated"},
    {"allowed_statements", "SELECT, explain,\tshow"},
    {"storage_url", "https://project.supabase.co/storage/v1"},
    {"storage_api_key", "eyJhbGciOiJIUzI1NiJ9.anon.key"},
    {"storage_ca_file", "/etc/ssl/certs/ca-certificates.crt"},
    {"features", "sql,catalog,list_tables"},
    {"auth_issuer", "https://project.supabase.co/auth/v1"},
};

// A refused value, and what the refusal says, for every setting with a validator (the same
// details pg_regress expects in expected/guc.out).
const std::map<std::string, std::pair<std::string, std::string>> kBadText = {
    {"listen_addresses",
     {"example.com",
      "\"example.com\" is not a valid listen address (use *, localhost or a numeric IP)"}},
    {"database", {"", "mcp_supa.database must name a database."}},
    {"jwt_secret", {"too-short", "mcp_supa.jwt_secret must be at least 32 characters long."}},
    {"session_role", {"", "mcp_supa.session_role must name a login role."}},
    {"allowed_roles", {"", "mcp_supa.allowed_roles must name at least one role."}},
    {"allowed_origins",
     {"evil.example", "\"evil.example\" is not an origin (use scheme://host[:port] or *)"}},
    {"rate_limit", {"fast", "\"fast\" is not a rate (use N/s, N/min or N/hour, or 0 for none)"}},
    {"auth_fail_limit", {"10/week", "\"10/week\" has an unknown period (use s, min or hour)"}},
    {"trusted_proxies", {"kong", "\"kong\" is not an IP address or CIDR range"}},
    {"jwks", {R"({"keys": []})", "JWKS document has no keys"}},
    {"jwks_url",
     {"ftp://example.com/jwks", "mcp_supa.jwks_url must be an http:// or https:// URL."}},
    {"public_url", {"example.com/mcp", "mcp_supa.public_url must be an http:// or https:// URL."}},
    {"features",
     {"sql, Bad!", "\"Bad!\" is not a tool family or tool name (lowercase letters, digits, "
                   "\"_\"; such as sql, catalog, rows, storage)"}},
    {"auth_issuer",
     {"project.supabase.co/auth/v1", "mcp_supa.auth_issuer must be an http:// or https:// URL."}},
    {"allowed_statements",
     {"select, drop_everything",
      "\"drop_everything\" is not a statement class (select, values, insert, update, delete, "
      "merge, ddl, truncate, explain, show, set, call, lock, maintenance, do)."}},
    {"storage_url",
     {"project.supabase.co/storage/v1",
      "mcp_supa.storage_url must be an http:// or https:// URL."}},
    {"storage_api_key",
     {"anon key with blanks", "mcp_supa.storage_api_key must be at most 4096 printable ASCII "
                              "characters without blanks."}},
};

// The setting called name; fails the test when there is none.
const Setting &setting(const std::string &name)
{
	const Setting *s = find_setting(name);
	INFO(name);
	REQUIRE(s != nullptr);
	return *s;
}

// The message check_setting throws for value, or "" when it accepts it.
std::string refusal(const Setting &s, const std::string &value)
{
	try {
		check_setting(s, value);
		return "";
	} catch (const std::exception &e) {
		return e.what();
	}
}

// A config with every gateway setting at a valid value other than its default.
GatewayConfig non_default_config()
{
	GatewayConfig cfg;
	for (const Setting &s : all_settings()) {
		if (!s.gateway_key)
			continue;
		if (s.type == SettingType::Bool)
			set_gateway_flag(cfg, s, !s.default_number);
		else if (s.type == SettingType::Int)
			set_gateway_number(cfg, s, s.default_number == s.max ? s.min : s.max);
		else
			set_gateway_text(cfg, s, kGoodText.at(s.name));
	}
	return cfg;
}

// One cell of a markdown table row, trimmed, by 0-based index.
std::vector<std::string> cells(const std::string &row)
{
	std::vector<std::string> out;
	std::size_t start = row.find('|');
	while (start != std::string::npos) {
		std::size_t end = row.find('|', start + 1);
		if (end == std::string::npos)
			break;
		std::string c = row.substr(start + 1, end - start - 1);
		c.erase(0, c.find_first_not_of(' '));
		c.erase(c.find_last_not_of(' ') + 1);
		out.push_back(c);
		start = end;
	}
	return out;
}

// docs/configuration.md, read from the repository root (where scripts/test.sh runs us) or
// from test/unit.
std::vector<std::string> configuration_doc()
{
	std::ifstream in("docs/configuration.md");
	if (!in)
		in.open("../../docs/configuration.md");
	std::vector<std::string> lines;
	for (std::string line; std::getline(in, line);)
		lines.push_back(line);
	return lines;
}

// The first cells a setting's row in docs/configuration.md must have.
std::vector<std::string> expected_doc_cells(const Setting &s)
{
	std::string def = setting_default_text(s);
	return {std::string("`mcp_supa.") + s.name + "`", setting_type_name(s.type),
	        def.empty() ? "empty" : "`" + def + "`", setting_unit_name(s.unit_of),
	        setting_reload_name(s.context_of)};
}

} // namespace

TEST_CASE("every setting is declared consistently", "[settings]")
{
	std::set<std::string> names, keys;
	for (const Setting &s : all_settings()) {
		INFO(s.name);
		CHECK(names.insert(s.name).second);
		CHECK(std::string(s.name).find_first_not_of("abcdefghijklmnopqrstuvwxyz_") ==
		      std::string::npos);
		CHECK(std::string(s.short_desc).rfind("Sets ", 0) == 0);
		if (s.type == SettingType::Int) {
			CHECK(s.min <= s.default_number);
			CHECK(s.default_number <= s.max);
		} else {
			CHECK(s.unit_of == SettingUnit::None);
		}
		if (s.type != SettingType::String)
			CHECK(s.check == nullptr);
		if (s.check)
			CHECK(kBadText.count(s.name) == 1); // every validator is tested below
		if (!s.gateway_key)
			continue;
		CHECK(keys.insert(s.gateway_key).second);
		const GatewayField &f = s.field;
		int members =
		    (f.flag != nullptr) + (f.number != nullptr) + (f.text != nullptr) + (f.list != nullptr);
		CHECK(members == 1);
		CHECK((s.type == SettingType::Bool) == (f.flag != nullptr));
		CHECK((s.type == SettingType::Int) == (f.number != nullptr));
		CHECK((f.list != nullptr) == (f.split != nullptr));
	}
	CHECK(all_settings().size() == 41);
	CHECK(keys.count("version") == 0);
	CHECK(keys.count("executor_socket") == 0);
}

// The self-service key settings are read by SQL (mcp_supa.create_my_api_key), not the gateway.
TEST_CASE("only session_role, allow_do, max_work_mem and the key settings stay in PostgreSQL",
          "[settings]")
{
	std::set<std::string> executors_only;
	for (const Setting &s : all_settings())
		if (!s.gateway_key)
			executors_only.insert(s.name);
	CHECK(executors_only == std::set<std::string>{"allow_do", "max_key_lifetime",
	                                              "max_keys_per_user", "max_work_mem",
	                                              "self_service_keys", "session_role"});
}

TEST_CASE("every default passes its own validator", "[settings]")
{
	for (const Setting &s : all_settings()) {
		INFO(s.name);
		CHECK(refusal(s, s.default_text) == "");
	}
}

TEST_CASE("validators refuse bad values with the GUC's detail and accept good ones", "[settings]")
{
	for (const auto &[name, bad] : kBadText) {
		INFO(name);
		CHECK(refusal(setting(name), bad.first) == bad.second);
		CHECK(refusal(setting(name), kGoodText.at(name)) == "");
	}
	CHECK(refusal(setting("jwt_secret"), std::string(4097, 'k')) ==
	      "mcp_supa.jwt_secret must be at most 4096 characters long.");
	CHECK(refusal(setting("jwt_secret"), std::string(4096, 'k')) == "");
	CHECK(refusal(setting("allowed_statements"), " , ,Maintenance ,") == "");
	CHECK(refusal(setting("allowed_roles"), "anon; drop role x") ==
	      "\"anon; drop role x\" is not a plain role name");
}

TEST_CASE("GatewayConfig{} holds the table's defaults", "[settings]")
{
	GatewayConfig cfg;
	for (const Setting &s : all_settings()) {
		INFO(s.name);
		if (!s.gateway_key)
			continue;
		if (s.type == SettingType::Bool)
			CHECK(gateway_flag(cfg, s) == (s.default_number != 0));
		else if (s.type == SettingType::Int)
			CHECK(gateway_number(cfg, s) == s.default_number);
		else
			CHECK(gateway_text(cfg, s) == s.default_text);
	}
	// A few by hand, so a changed default in the table is a visible change here too.
	CHECK(cfg.port == 8432);
	CHECK(cfg.listen_addresses == std::vector<std::string>{"127.0.0.1"});
	CHECK(cfg.allowed_roles == std::vector<std::string>{"anon", "authenticated", "service_role"});
	CHECK(cfg.statement_timeout_ms == 30000);
	CHECK(cfg.rate_limit == "6000/min");
	CHECK(cfg.confirm_destructive);
	CHECK_FALSE(cfg.read_only);
	CHECK(cfg.executor_socket == "mcp_supa/executor.sock");
}

TEST_CASE("every gateway setting survives serialize and parse", "[settings]")
{
	GatewayConfig sent = non_default_config();
	Json frame = Json::parse(serialize_gateway_config(sent));
	GatewayConfig got = parse_gateway_config(frame.dump());
	GatewayConfig defaults;
	for (const Setting &s : all_settings()) {
		INFO(s.name);
		if (!s.gateway_key) {
			CHECK_FALSE(frame.contains(s.name));
			continue;
		}
		CHECK(frame.contains(s.gateway_key));
		if (s.type == SettingType::Bool) {
			CHECK(gateway_flag(got, s) == gateway_flag(sent, s));
			CHECK(gateway_flag(got, s) != gateway_flag(defaults, s));
		} else if (s.type == SettingType::Int) {
			CHECK(gateway_number(got, s) == gateway_number(sent, s));
			CHECK(gateway_number(got, s) != gateway_number(defaults, s));
		} else {
			CHECK(gateway_text(got, s) == gateway_text(sent, s));
			CHECK(gateway_text(got, s) != gateway_text(defaults, s));
		}
	}
}

TEST_CASE("the config frame refuses numbers outside the table's bounds", "[settings]")
{
	for (const Setting &s : all_settings()) {
		if (!s.gateway_key || s.type != SettingType::Int)
			continue;
		INFO(s.name);
		Json j = Json::object();
		j[s.gateway_key] = s.min;
		CHECK(gateway_number(parse_gateway_config(j.dump()), s) == s.min);
		j[s.gateway_key] = s.max;
		CHECK(gateway_number(parse_gateway_config(j.dump()), s) == s.max);
		j[s.gateway_key] = static_cast<long long>(s.min) - 1;
		CHECK_THROWS_WITH(parse_gateway_config(j.dump()), Catch::Contains("outside"));
		j[s.gateway_key] = static_cast<long long>(s.max) + 1;
		CHECK_THROWS_WITH(parse_gateway_config(j.dump()), Catch::Contains("outside"));
	}
}

TEST_CASE("the config frame refuses what the GUC check hooks refuse", "[settings]")
{
	for (const auto &[name, bad] : kBadText) {
		const Setting &s = setting(name);
		if (!s.gateway_key)
			continue;
		INFO(name);
		Json j = {{s.gateway_key, bad.first}};
		CHECK_THROWS_WITH(parse_gateway_config(j.dump()), Catch::Contains(bad.second));
	}
}

TEST_CASE("secret settings are refused without their value in the message", "[settings]")
{
	for (const Setting &s : all_settings()) {
		if (s.visibility_of != SettingVisibility::Secret)
			continue;
		INFO(s.name);
		const std::string &bad = kBadText.at(s.name).first;
		REQUIRE_FALSE(bad.empty());
		std::string why = refusal(s, bad);
		CHECK(why != "");
		CHECK(why.find(bad) == std::string::npos);
		Json j = {{s.gateway_key, bad}};
		CHECK_THROWS_WITH(parse_gateway_config(j.dump()), !Catch::Contains(bad));
	}
}

// A gateway binary replaced by make install can get frames from an older supervisor: a renamed
// member would silently fall back to its default there.
TEST_CASE("the config frame's member names stay the same", "[settings]")
{
	Json frame = Json::parse(serialize_gateway_config(GatewayConfig{}));
	std::set<std::string> keys;
	for (const auto &item : frame.items())
		keys.insert(item.key());
	CHECK(keys == std::set<std::string>{"allow_anonymous",
	                                    "allowed_origins",
	                                    "allowed_roles",
	                                    "allowed_statements",
	                                    "audit",
	                                    "audit_flush_ms",
	                                    "auth_ban_seconds",
	                                    "auth_fail_limit",
	                                    "auth_issuer",
	                                    "confirm_destructive",
	                                    "database",
	                                    "executor_socket",
	                                    "features",
	                                    "jwks",
	                                    "jwks_url",
	                                    "jwt_audience",
	                                    "jwt_secret",
	                                    "listen_addresses",
	                                    "max_queued_calls",
	                                    "max_request_bytes",
	                                    "max_result_bytes",
	                                    "max_rows",
	                                    "port",
	                                    "public_url",
	                                    "rate_limit",
	                                    "read_only",
	                                    "statement_timeout_ms",
	                                    "storage_api_key",
	                                    "storage_ca_file",
	                                    "storage_max_bytes",
	                                    "storage_timeout_ms",
	                                    "storage_url",
	                                    "tls_cert_file",
	                                    "tls_key_file",
	                                    "trusted_proxies",
	                                    "version",
	                                    "workers"});
}

TEST_CASE("defaults print as SHOW prints them", "[settings]")
{
	CHECK(setting_default_text(setting("statement_timeout")) == "30s");
	CHECK(setting_default_text(setting("audit_flush_interval")) == "200ms");
	CHECK(setting_default_text(setting("auth_ban_time")) == "5min");
	CHECK(setting_default_text(setting("max_work_mem")) == "64MB");
	CHECK(setting_default_text(setting("max_result_bytes")) == "32kB");
	CHECK(setting_default_text(setting("max_request_bytes")) == "1MB");
	CHECK(setting_default_text(setting("port")) == "8432");
	CHECK(setting_default_text(setting("audit")) == "on");
	CHECK(setting_default_text(setting("read_only")) == "off");
	CHECK(setting_default_text(setting("jwt_secret")) == "");
}

TEST_CASE("docs/configuration.md has one row per setting, in one table", "[settings][docs]")
{
	std::vector<std::string> doc = configuration_doc();
	REQUIRE_FALSE(doc.empty());
	auto header = std::find_if(doc.begin(), doc.end(),
	                           [](const std::string &l) { return l.rfind("| Setting |", 0) == 0; });
	REQUIRE(header != doc.end());
	CHECK(cells(*header) ==
	      std::vector<std::string>{"Setting", "Type", "Default", "Unit", "Reload", "Description"});
	// The rows are the lines right after the header and its rule, up to the first non-row: a
	// blank line would end the table there and leave the next rows as stray text.
	std::map<std::string, std::vector<std::string>> rows;
	for (auto line = header + 2; line < doc.end() && line->rfind("|", 0) == 0; ++line) {
		std::vector<std::string> c = cells(*line);
		REQUIRE(c.size() == 6);
		CHECK(rows.emplace(c[0], std::vector<std::string>(c.begin(), c.begin() + 5)).second);
	}
	std::size_t anywhere = std::count_if(doc.begin(), doc.end(), [](const std::string &l) {
		return l.rfind("| `mcp_supa.", 0) == 0;
	});
	CHECK(anywhere == rows.size());
	for (const Setting &s : all_settings()) {
		std::vector<std::string> want = expected_doc_cells(s);
		INFO("docs/configuration.md wants the row | " << want[0] << " | " << want[1] << " | "
		                                              << want[2] << " | " << want[3] << " | "
		                                              << want[4] << " | <description> |");
		auto row = rows.find(want[0]);
		REQUIRE(row != rows.end());
		CHECK(row->second == want);
		rows.erase(row);
	}
	for (const auto &[name, row] : rows)
		FAIL("docs/configuration.md documents " << name << ", which is no setting");
}
