// The row tools' argument checks and their normalization into a "rows" job's spec (see
// include/mcp_supa/tools/row_args.h; the grammar is documented in docs/tools.md).
#include "mcp_supa/tools/row_args.h"

#include <cstring>

#include "mcp_supa/ipc/job_wire.h"

namespace mcp_supa::tools::rows
{

namespace spec = ipc::wire::spec;

namespace
{

constexpr std::size_t kMaxIdentifierBytes = 63;

// The operators of a condition and what their value must be.
enum class ValueRule { Any, String, List, Is, Container };
struct Operator {
	const char *name;
	ValueRule rule;
};
constexpr Operator kOperators[] = {
    {"eq", ValueRule::Any},
    {"neq", ValueRule::Any},
    {"gt", ValueRule::Any},
    {"gte", ValueRule::Any},
    {"lt", ValueRule::Any},
    {"lte", ValueRule::Any},
    {"like", ValueRule::String},
    {"ilike", ValueRule::String},
    {"in", ValueRule::List},
    {"is", ValueRule::Is},
    {"contains", ValueRule::Container},
    {"contained_by", ValueRule::Container},
};

// The operator of that name, or null.
const Operator *find_operator(const std::string &name)
{
	for (const Operator &op : kOperators)
		if (name == op.name)
			return &op;
	return nullptr;
}

// Every operator name, for the error of an unknown one.
std::string operator_names()
{
	std::string out;
	for (const Operator &op : kOperators)
		out += (out.empty() ? "" : ", ") + std::string(op.name);
	return out;
}

// True when any string in v (keys included) holds a NUL character.
bool has_nul(const Json &v)
{
	if (v.is_string())
		return v.get_ref<const std::string &>().find('\0') != std::string::npos;
	if (v.is_object())
		for (auto it = v.begin(); it != v.end(); ++it)
			if (it.key().find('\0') != std::string::npos || has_nul(it.value()))
				return true;
	if (v.is_array())
		for (const auto &e : v)
			if (has_nul(e))
				return true;
	return false;
}

// Checks an operator's value against its rule.
bool check_operator_value(const Operator &op, const Json &v, const std::string &at,
                          std::string &error)
{
	switch (op.rule) {
		case ValueRule::Any:
			if (v.is_null())
				error = at + ": null never compares equal; use {\"is\": null}";
			break;
		case ValueRule::String:
			if (!v.is_string())
				error = at + ": the pattern must be a string";
			break;
		case ValueRule::List:
			if (!v.is_array() || v.size() > kMaxInValues)
				error = at + ": \"in\" takes an array of at most " + std::to_string(kMaxInValues) +
				        " values";
			break;
		case ValueRule::Is:
			if (!v.is_null() && !v.is_boolean())
				error = at + ": \"is\" takes null, true or false";
			break;
		case ValueRule::Container:
			if (!v.is_array() && !v.is_object())
				error = at + ": takes an array (array columns) or an object or array (jsonb)";
			break;
	}
	return error.empty() && check_value(v, at, error);
}

struct FilterWalk {
	std::size_t conditions = 0;
	std::string error;
};

bool filter_node(const Json &node, const std::string &at, int depth, FilterWalk &w, Json &out);

// One column's {operator: value, ...} into its conditions (several operators are ANDed).
bool column_conditions(const std::string &key, const Json &ops, const std::string &at,
                       FilterWalk &w, Json &and_list)
{
	Json ref;
	if (!parse_column_ref(key, at, ref, w.error))
		return false;
	if (!ops.is_object() || ops.empty()) {
		w.error = at + ": must be an object of operator and value, e.g. {\"eq\": 1}";
		return false;
	}
	for (auto it = ops.begin(); it != ops.end(); ++it) {
		const Operator *op = find_operator(it.key());
		std::string here = at + "." + it.key();
		if (!op) {
			w.error = here + ": unknown operator (use one of " + operator_names() + ")";
			return false;
		}
		if (++w.conditions > kMaxConditions) {
			w.error = "filter: more than " + std::to_string(kMaxConditions) + " conditions";
			return false;
		}
		if (!check_operator_value(*op, it.value(), here, w.error))
			return false;
		Json cond = ref;
		cond[spec::kAt] = at;
		cond[spec::kOperator] = op->name;
		cond[spec::kValue] = it.value();
		and_list.push_back(std::move(cond));
	}
	return true;
}

// The elements of an "and"/"or" array.
bool filter_list(const Json &list, const std::string &at, int depth, FilterWalk &w, Json &out)
{
	if (!list.is_array() || list.empty()) {
		w.error = at + ": must be a non-empty array of filters";
		return false;
	}
	out = Json::array();
	for (std::size_t i = 0; i < list.size(); i++) {
		Json child;
		if (!filter_node(list[i], at + "[" + std::to_string(i) + "]", depth + 1, w, child))
			return false;
		out.push_back(std::move(child));
	}
	return true;
}

// One member of a filter object: and/or/not, or a column's conditions.
bool filter_member(const std::string &key, const Json &value, const std::string &at, int depth,
                   FilterWalk &w, Json &and_list)
{
	std::string here = at + "." + key;
	if (key == spec::kAnd || key == spec::kOr) {
		Json list;
		if (!filter_list(value, here, depth, w, list))
			return false;
		and_list.push_back({{key, std::move(list)}});
		return true;
	}
	if (key == spec::kNot) {
		Json child;
		if (!filter_node(value, here, depth + 1, w, child))
			return false;
		and_list.push_back({{spec::kNot, std::move(child)}});
		return true;
	}
	return column_conditions(key, value, here, w, and_list);
}

// A filter object (its members ANDed) into one node.
bool filter_node(const Json &node, const std::string &at, int depth, FilterWalk &w, Json &out)
{
	if (depth > kMaxFilterDepth) {
		w.error = at + ": and/or/not nest deeper than " + std::to_string(kMaxFilterDepth);
		return false;
	}
	if (!node.is_object() || node.empty()) {
		w.error = at + ": must be a non-empty object of columns and and/or/not";
		return false;
	}
	Json and_list = Json::array();
	for (auto it = node.begin(); it != node.end(); ++it)
		if (!filter_member(it.key(), it.value(), at, depth, w, and_list))
			return false;
	out = and_list.size() == 1 ? and_list[0] : Json{{spec::kAnd, std::move(and_list)}};
	return true;
}

// Splits "a->b->>c" at each arrow; text is set when the last arrow is ->>.
bool split_path(const std::string &ref, std::vector<std::string> &parts, bool &text)
{
	text = false;
	std::size_t start = 0;
	while (true) {
		std::size_t arrow = ref.find("->", start);
		parts.push_back(ref.substr(start, arrow == std::string::npos ? arrow : arrow - start));
		if (arrow == std::string::npos)
			return true;
		if (text) // ->> only as the last step
			return false;
		start = arrow + 2;
		if (start < ref.size() && ref[start] == '>') {
			text = true;
			start++;
		}
	}
}

} // namespace

bool check_identifier(const Json &name, const std::string &at, std::string &error)
{
	if (!name.is_string() || name.get_ref<const std::string &>().empty() ||
	    name.get_ref<const std::string &>().size() > kMaxIdentifierBytes || has_nul(name)) {
		error = at + ": must be a name of 1 to 63 bytes";
		return false;
	}
	return true;
}

bool parse_column_ref(const std::string &ref, const std::string &at, Json &out, std::string &error)
{
	std::vector<std::string> parts;
	bool text = false;
	if (!split_path(ref, parts, text)) {
		error = at + ": ->> may only be the last step of a JSON path";
		return false;
	}
	if (!check_identifier(parts[0], at, error))
		return false;
	if (parts.size() - 1 > kMaxPathKeys) {
		error = at + ": a JSON path has at most " + std::to_string(kMaxPathKeys) + " keys";
		return false;
	}
	Json path = Json::array();
	for (std::size_t i = 1; i < parts.size(); i++) {
		if (parts[i].empty() || parts[i].size() > kMaxPathKeyBytes ||
		    parts[i].find('\0') != std::string::npos) {
			error = at + ": a JSON path key must be 1 to " + std::to_string(kMaxPathKeyBytes) +
			        " bytes";
			return false;
		}
		path.push_back(parts[i]);
	}
	out = {{spec::kColumn, parts[0]}, {spec::kPath, std::move(path)}, {spec::kAsText, text}};
	return true;
}

bool check_value(const Json &value, const std::string &at, std::string &error)
{
	if (has_nul(value)) {
		error = at + ": a string holds a NUL character, which PostgreSQL text cannot store";
		return false;
	}
	if (value.dump(-1, ' ', false, Json::error_handler_t::replace).size() > kMaxValueBytes) {
		error = at + ": the value is longer than " + std::to_string(kMaxValueBytes) + " bytes";
		return false;
	}
	return true;
}

bool normalize_filter(const Json &filter, Json &out, std::string &error)
{
	out = nullptr;
	if (filter.is_null() || (filter.is_object() && filter.empty()))
		return true;
	FilterWalk w;
	if (!filter_node(filter, "filter", 1, w, out)) {
		error = w.error;
		return false;
	}
	return true;
}

bool normalize_order(const Json &order, Json &out, std::string &error)
{
	out = Json::array();
	if (order.is_null())
		return true;
	if (!order.is_array() || order.size() > kMaxOrder) {
		error = "order: must be an array of at most " + std::to_string(kMaxOrder) + " entries";
		return false;
	}
	for (std::size_t i = 0; i < order.size(); i++) {
		std::string at = "order[" + std::to_string(i) + "]";
		const Json &e = order[i];
		Json entry;
		if (!e.is_object() || !e.contains("column") || !e["column"].is_string()) {
			error = at + ": must be {\"column\": name, \"desc\"?: bool, \"nulls\"?: first|last}";
			return false;
		}
		for (auto it = e.begin(); it != e.end(); ++it)
			if (it.key() != "column" && it.key() != "desc" && it.key() != "nulls") {
				error = at + ": unknown member \"" + it.key() + "\"";
				return false;
			}
		if (!parse_column_ref(e["column"].get<std::string>(), at + ".column", entry, error))
			return false;
		Json desc = e.value("desc", Json(false)), nulls = e.value("nulls", Json(nullptr));
		if (!desc.is_boolean() || !(nulls.is_null() || nulls == "first" || nulls == "last")) {
			error = at + ": desc must be a boolean and nulls \"first\" or \"last\"";
			return false;
		}
		entry[spec::kAt] = at + ".column";
		entry[spec::kDesc] = desc;
		entry[spec::kNulls] = nulls;
		out.push_back(std::move(entry));
	}
	return true;
}

bool normalize_columns(const Json &columns, const std::string &at, Json &out, std::string &error)
{
	if (!columns.is_array() || columns.empty() || columns.size() > kMaxColumns) {
		error = at + ": must be an array of 1 to " + std::to_string(kMaxColumns) + " column names";
		return false;
	}
	for (std::size_t i = 0; i < columns.size(); i++)
		if (!check_identifier(columns[i], at + "[" + std::to_string(i) + "]", error))
			return false;
	out = columns;
	return true;
}

bool normalize_returning(const Json &returning, Json &out, std::string &error)
{
	out = nullptr;
	if (returning.is_null() || returning == false)
		return true;
	if (returning == true) {
		out = "*";
		return true;
	}
	if (!returning.is_array()) {
		error = "returning: must be true, false or an array of column names";
		return false;
	}
	return normalize_columns(returning, "returning", out, error);
}

bool check_row(const Json &row, const std::string &at, std::string &error)
{
	if (!row.is_object() || row.empty() || row.size() > kMaxColumns) {
		error = at + ": must be an object of 1 to " + std::to_string(kMaxColumns) +
		        " column names and values";
		return false;
	}
	for (auto it = row.begin(); it != row.end(); ++it) {
		std::string here = at + "." + it.key();
		if (!check_identifier(it.key(), here, error) || !check_value(it.value(), here, error))
			return false;
	}
	return true;
}

bool check_insert_rows(const Json &rows, std::string &error)
{
	if (!rows.is_array() || rows.empty() || rows.size() > kMaxInsertRows) {
		error = "rows: must be an array of 1 to " + std::to_string(kMaxInsertRows) + " objects";
		return false;
	}
	for (std::size_t i = 0; i < rows.size(); i++)
		if (!check_row(rows[i], "rows[" + std::to_string(i) + "]", error))
			return false;
	return true;
}

bool normalize_on_conflict(const Json &on_conflict, Json &out, std::string &error)
{
	out = nullptr;
	if (on_conflict.is_null())
		return true;
	if (!on_conflict.is_object()) {
		error = "on_conflict: must be {\"columns\"?: [...], \"action\": \"ignore\"|\"update\"}";
		return false;
	}
	Json action = on_conflict.value(spec::kAction, Json(nullptr));
	if (action != "ignore" && action != "update") {
		error = "on_conflict.action: must be \"ignore\" or \"update\"";
		return false;
	}
	for (auto it = on_conflict.begin(); it != on_conflict.end(); ++it)
		if (it.key() != spec::kColumns && it.key() != spec::kAction) {
			error = "on_conflict: unknown member \"" + it.key() + "\"";
			return false;
		}
	Json columns = Json::array();
	if (on_conflict.contains(spec::kColumns) &&
	    !normalize_columns(on_conflict[spec::kColumns], "on_conflict.columns", columns, error))
		return false;
	if (action == "update" && columns.empty()) {
		error = "on_conflict.columns: \"update\" needs the columns of a unique constraint";
		return false;
	}
	out = {{spec::kColumns, columns}, {spec::kAction, action}};
	return true;
}

} // namespace mcp_supa::tools::rows
