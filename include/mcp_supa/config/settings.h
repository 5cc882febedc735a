// The mcp_supa.* settings, each declared once (src/config/settings.cpp): the GUCs, the
// gateway's configuration frame, GatewayConfig's defaults and docs/configuration.md follow it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mcp_supa/config/gateway_config.h"

namespace mcp_supa
{

enum class SettingType { Bool, Int, String };

// What a bare number means, as the GUC's unit (pg_settings.unit) says.
enum class SettingUnit { None, Bytes, Kilobytes, Milliseconds, Seconds };

// When a new value takes effect: at server start, on reload, or per session for superusers.
enum class SettingContext { Postmaster, Sighup, Superuser };

// Who may read the value: Secret ones are also left out of SHOW ALL and never logged.
enum class SettingVisibility { Everyone, Superuser, Secret };

// Throws ConfigError (or std::invalid_argument) with the reason a value is refused.
using SettingCheck = void (*)(std::string_view value);

// The GatewayConfig member a gateway setting fills: exactly one pointer is set. A list member
// is filled by split, which also validates.
struct GatewayField {
	bool GatewayConfig::*flag = nullptr;
	int GatewayConfig::*number = nullptr;
	std::string GatewayConfig::*text = nullptr;
	std::vector<std::string> GatewayConfig::*list = nullptr;
	std::vector<std::string> (*split)(std::string_view) = nullptr;
};

// One setting. Built with bool_setting(), int_setting() or text_setting() in settings.cpp, then
// refined with unit(), context(), visibility(), checked() and gateway().
struct Setting {
	const char *name = nullptr; // without the "mcp_supa." prefix
	SettingType type = SettingType::String;
	int default_number = 0;        // Int; Bool (0 or 1)
	const char *default_text = ""; // String
	int min = 0, max = 0;          // Int, in units of unit
	SettingUnit unit_of = SettingUnit::None;
	SettingContext context_of = SettingContext::Sighup;
	SettingVisibility visibility_of = SettingVisibility::Everyone;
	const char *short_desc = nullptr;  // "Sets ...", as pg_settings shows it
	const char *long_desc = nullptr;   // or nullptr
	SettingCheck check = nullptr;      // String only; nullptr: any text
	const char *gateway_key = nullptr; // member of the gateway's config frame; nullptr: not sent
	GatewayField field;

	constexpr Setting unit(SettingUnit u) const
	{
		Setting s = *this;
		s.unit_of = u;
		return s;
	}
	constexpr Setting context(SettingContext c) const
	{
		Setting s = *this;
		s.context_of = c;
		return s;
	}
	constexpr Setting visibility(SettingVisibility v) const
	{
		Setting s = *this;
		s.visibility_of = v;
		return s;
	}
	constexpr Setting checked(SettingCheck c) const
	{
		Setting s = *this;
		s.check = c;
		return s;
	}
	// The gateway gets it as config frame member key, into member m.
	constexpr Setting gateway(const char *key, bool GatewayConfig::*m) const
	{
		Setting s = sent_as(key);
		s.field.flag = m;
		return s;
	}
	constexpr Setting gateway(const char *key, int GatewayConfig::*m) const
	{
		Setting s = sent_as(key);
		s.field.number = m;
		return s;
	}
	constexpr Setting gateway(const char *key, std::string GatewayConfig::*m) const
	{
		Setting s = sent_as(key);
		s.field.text = m;
		return s;
	}
	constexpr Setting gateway(const char *key, std::vector<std::string> GatewayConfig::*m,
	                          std::vector<std::string> (*split)(std::string_view)) const
	{
		Setting s = sent_as(key);
		s.field.list = m;
		s.field.split = split;
		return s;
	}

private:
	// A copy that the gateway gets as config frame member key.
	constexpr Setting sent_as(const char *key) const
	{
		Setting s = *this;
		s.gateway_key = key;
		return s;
	}
};

// A bool setting.
constexpr Setting bool_setting(const char *name, bool def, const char *short_desc,
                               const char *long_desc)
{
	Setting s;
	s.name = name, s.type = SettingType::Bool, s.default_number = def ? 1 : 0;
	s.short_desc = short_desc, s.long_desc = long_desc;
	return s;
}

// An integer setting within [min, max].
constexpr Setting int_setting(const char *name, int def, int min, int max, const char *short_desc,
                              const char *long_desc)
{
	Setting s;
	s.name = name, s.type = SettingType::Int, s.default_number = def, s.min = min, s.max = max;
	s.short_desc = short_desc, s.long_desc = long_desc;
	return s;
}

// A string setting.
constexpr Setting text_setting(const char *name, const char *def, const char *short_desc,
                               const char *long_desc)
{
	Setting s;
	s.name = name, s.type = SettingType::String, s.default_text = def;
	s.short_desc = short_desc, s.long_desc = long_desc;
	return s;
}

// The table, as a range.
struct SettingList {
	const Setting *first;
	std::size_t count;
	const Setting *begin() const { return first; }
	const Setting *end() const { return first + count; }
	std::size_t size() const { return count; }
	const Setting &operator[](std::size_t i) const { return first[i]; }
};

// Every mcp_supa.* setting.
SettingList all_settings();

// The setting called name (without the prefix), or nullptr.
const Setting *find_setting(std::string_view name);

// Throws ConfigError with the reason value is refused (the GUC check hook's detail).
void check_setting(const Setting &s, std::string_view value);

// The default as SHOW prints it: on/off, a number in the largest unit that divides it
// (30s, 5min, 64MB), or the text.
std::string setting_default_text(const Setting &s);

// pg_settings' vartype ("bool", "integer", "string") and unit ("", "B", "kB", "ms", "s").
const char *setting_type_name(SettingType t);
const char *setting_unit_name(SettingUnit u);
// How a change is applied, as docs/configuration.md says: "restart", "sighup", "superuser".
const char *setting_reload_name(SettingContext c);

// A gateway setting's value in cfg, and setting it (lists are joined / split on commas; the
// split validates, nothing else does: check_setting first).
bool gateway_flag(const GatewayConfig &cfg, const Setting &s);
int gateway_number(const GatewayConfig &cfg, const Setting &s);
std::string gateway_text(const GatewayConfig &cfg, const Setting &s);
void set_gateway_flag(GatewayConfig &cfg, const Setting &s, bool value);
void set_gateway_number(GatewayConfig &cfg, const Setting &s, int value);
void set_gateway_text(GatewayConfig &cfg, const Setting &s, std::string_view value);

} // namespace mcp_supa
