// The mcp_supa.* GUCs, defined from the settings table (src/config/settings.cpp), and the
// gateway configuration they make.
#include "mcp_supa/pg/postgres_headers.h"

#include <array>
#include <utility>

#include "mcp_supa/config/settings.h"
#include "mcp_supa/pg/guc.h"

namespace mcp_supa::pg
{

// The settings the backend-side code reads directly; their GUCs write here (define_gucs sets
// the table's defaults, so none is repeated here).
char *guc_database = nullptr;
int guc_workers = 0;
char *guc_session_role = nullptr;
bool guc_read_only = false;
bool guc_allow_do = false;
int guc_max_work_mem = 0;
int guc_max_rows = 0;
int guc_max_result_bytes = 0;
int guc_statement_timeout_ms = 0;

namespace
{

// Check hooks exist for the first kMaxSettings settings (a hook cannot ask which GUC it is
// checking, so each index gets its own instance).
constexpr std::size_t kMaxSettings = 64;

// Where one GUC keeps its value: exactly one pointer is set.
struct Storage {
	bool *flag = nullptr;
	int *number = nullptr;
	char **text = nullptr;
};

// The variables above, by setting name.
struct NamedVariable {
	const char *name;
	Storage at;
};
const NamedVariable kNamedVariables[] = {
    {"database", {nullptr, nullptr, &guc_database}},
    {"workers", {nullptr, &guc_workers, nullptr}},
    {"session_role", {nullptr, nullptr, &guc_session_role}},
    {"read_only", {&guc_read_only, nullptr, nullptr}},
    {"allow_do", {&guc_allow_do, nullptr, nullptr}},
    {"max_work_mem", {nullptr, &guc_max_work_mem, nullptr}},
    {"max_rows", {nullptr, &guc_max_rows, nullptr}},
    {"max_result_bytes", {nullptr, &guc_max_result_bytes, nullptr}},
    {"statement_timeout", {nullptr, &guc_statement_timeout_ms, nullptr}},
};

// The values of the other settings, by table index.
struct Slot {
	bool flag;
	int number;
	char *text;
};
Slot slots[kMaxSettings];

// Where each setting's value is, by table index (filled by define_gucs).
Storage storage[kMaxSettings];

// Runs the table's validator on a new value; its complaint becomes the error's detail.
bool check_text(const Setting &s, const char *value)
{
	try {
		check_setting(s, value ? value : "");
		return true;
	} catch (const std::exception &e) {
		GUC_check_errdetail("%s", e.what());
		return false;
	}
}

// The check hook of the string setting at table index I.
template <std::size_t I> bool check_hook(char **newval, void **, GucSource)
{
	return check_text(all_settings()[I], *newval);
}

// One check hook per table index.
template <std::size_t... I>
constexpr std::array<GucStringCheckHook, sizeof...(I)> make_check_hooks(std::index_sequence<I...>)
{
	return {&check_hook<I>...};
}
constexpr auto kCheckHooks = make_check_hooks(std::make_index_sequence<kMaxSettings>{});

// The named variable of the setting, or its slot.
Storage storage_for(std::size_t i)
{
	for (const NamedVariable &v : kNamedVariables)
		if (strcmp(v.name, all_settings()[i].name) == 0)
			return v.at;
	return {&slots[i].flag, &slots[i].number, &slots[i].text};
}

// The GUC flags of a setting: its unit and who may see it.
int guc_flags(const Setting &s)
{
	int flags = 0;
	switch (s.unit_of) {
		case SettingUnit::Bytes:
			flags |= GUC_UNIT_BYTE;
			break;
		case SettingUnit::Kilobytes:
			flags |= GUC_UNIT_KB;
			break;
		case SettingUnit::Milliseconds:
			flags |= GUC_UNIT_MS;
			break;
		case SettingUnit::Seconds:
			flags |= GUC_UNIT_S;
			break;
		case SettingUnit::None:
			break;
	}
	if (s.visibility_of != SettingVisibility::Everyone)
		flags |= GUC_SUPERUSER_ONLY;
	if (s.visibility_of == SettingVisibility::Secret)
		flags |= GUC_NO_SHOW_ALL;
	return flags;
}

// The GUC context of a setting.
GucContext guc_context(const Setting &s)
{
	switch (s.context_of) {
		case SettingContext::Postmaster:
			return PGC_POSTMASTER;
		case SettingContext::Superuser:
			return PGC_SUSET;
		case SettingContext::Sighup:
			break;
	}
	return PGC_SIGHUP;
}

// True when the storage has the pointer a setting of type t writes through.
bool fits(const Storage &at, SettingType t)
{
	return t == SettingType::Bool  ? at.flag != nullptr
	       : t == SettingType::Int ? at.number != nullptr
	                               : at.text != nullptr;
}

// Defines the GUC of the setting at table index i.
void define_guc(std::size_t i)
{
	const Setting &s = all_settings()[i];
	storage[i] = storage_for(i);
	if (!fits(storage[i], s.type))
		elog(ERROR, "mcp_supa: the variable of mcp_supa.%s has the wrong type", s.name);
	std::string name = std::string("mcp_supa.") + s.name; // PostgreSQL copies the name
	switch (s.type) {
		case SettingType::Bool:
			DefineCustomBoolVariable(name.c_str(), s.short_desc, s.long_desc, storage[i].flag,
			                         s.default_number != 0, guc_context(s), guc_flags(s), nullptr,
			                         nullptr, nullptr);
			break;
		case SettingType::Int:
			DefineCustomIntVariable(name.c_str(), s.short_desc, s.long_desc, storage[i].number,
			                        s.default_number, s.min, s.max, guc_context(s), guc_flags(s),
			                        nullptr, nullptr, nullptr);
			break;
		case SettingType::String:
			DefineCustomStringVariable(name.c_str(), s.short_desc, s.long_desc, storage[i].text,
			                           s.default_text, guc_context(s), guc_flags(s),
			                           s.check ? kCheckHooks[i] : nullptr, nullptr, nullptr);
			break;
	}
}

} // namespace

void define_gucs()
{
	if (all_settings().size() > kMaxSettings)
		elog(ERROR, "mcp_supa: %zu settings, but check hooks for only %zu", all_settings().size(),
		     kMaxSettings);
	for (const NamedVariable &v : kNamedVariables)
		if (!find_setting(v.name))
			elog(ERROR, "mcp_supa: a variable is named after mcp_supa.%s, which is no setting",
			     v.name);
	for (std::size_t i = 0; i < all_settings().size(); i++)
		define_guc(i);
	MarkGUCPrefixReserved("mcp_supa");
}

GatewayConfig gateway_config_from_gucs()
{
	GatewayConfig cfg;
	for (std::size_t i = 0; i < all_settings().size(); i++) {
		const Setting &s = all_settings()[i];
		if (!s.gateway_key)
			continue;
		if (s.type == SettingType::Bool)
			set_gateway_flag(cfg, s, *storage[i].flag);
		else if (s.type == SettingType::Int)
			set_gateway_number(cfg, s, *storage[i].number);
		else
			set_gateway_text(cfg, s, *storage[i].text ? *storage[i].text : s.default_text);
	}
	return cfg;
}

} // namespace mcp_supa::pg
