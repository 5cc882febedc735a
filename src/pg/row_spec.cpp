// Decoding a "rows" job's spec into plain data (see include/mcp_supa/pg/row_spec.h). Plain
// C++ that runs before the job: the gateway checked the grammar, this checks the shapes again
// (a spec that does not fit is an invalid job, SQLSTATE 08P01) and never trusts a name: the
// SQL builder looks every one up in the catalog and quotes it.
#include "mcp_supa/pg/row_spec.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "mcp_supa/ipc/job_wire.h"

namespace mcp_supa::pg
{

namespace spec = ipc::wire::spec;
using json = nlohmann::json;

namespace
{

// Throws the decoding error.
[[noreturn]] void invalid(const std::string &why)
{
	throw std::runtime_error("invalid rows spec: " + why);
}

// The operation of an "op" member.
RowOp row_op(const json &op)
{
	if (op == "select")
		return RowOp::Select;
	if (op == "insert")
		return RowOp::Insert;
	if (op == "update")
		return RowOp::Update;
	if (op == "delete")
		return RowOp::Delete;
	invalid("unknown op");
}

} // namespace

// Fills a store's pools from the JSON spec (a friend of RowSpecStore).
struct RowSpecDecoder {
	RowSpecStore &s;

	// A string kept in the store; NUL characters would cut it short, so they are refused.
	const char *keep(const std::string &text)
	{
		if (text.find('\0') != std::string::npos)
			invalid("a string holds a NUL character");
		s.strings_.push_back(text);
		return s.strings_.back().c_str();
	}

	// A string member, which must be there.
	const char *name(const json &j, const char *key)
	{
		auto it = j.find(key);
		if (it == j.end() || !it->is_string() || it->get_ref<const std::string &>().empty())
			invalid(std::string("\"") + key + "\" must be a non-empty string");
		return keep(it->get<std::string>());
	}

	// A list of strings into the names pool.
	RowRange names(const json &list)
	{
		if (list.is_null())
			return {0, 0};
		if (!list.is_array())
			invalid("a list of names must be an array");
		RowRange r{int(s.names_.size()), 0};
		for (const auto &n : list) {
			if (!n.is_string() || n.get_ref<const std::string &>().empty())
				invalid("a name must be a non-empty string");
			s.names_.push_back(keep(n.get<std::string>()));
			r.count++;
		}
		return r;
	}

	// A JSON value into the values pool (an array's elements after it); its index.
	int value(const json &v)
	{
		int index = int(s.values_.size());
		s.values_.push_back(RowValue{RowValueKind::Null, nullptr, nullptr, {0, 0}});
		std::string text = v.dump(-1, ' ', false, json::error_handler_t::strict);
		RowValue out{RowValueKind::Null, nullptr, keep(text), {0, 0}};
		if (v.is_boolean())
			out.kind = RowValueKind::Bool;
		else if (v.is_number())
			out.kind = RowValueKind::Number;
		else if (v.is_string())
			out.kind = RowValueKind::String;
		else if (v.is_object())
			out.kind = RowValueKind::Object;
		else if (v.is_array())
			out.kind = RowValueKind::Array;
		out.text = v.is_string() ? keep(v.get<std::string>()) : out.json;
		if (v.is_array()) {
			std::vector<int> elements;
			for (const auto &e : v)
				elements.push_back(value(e));
			out.elements = {int(s.ints_.size()), int(elements.size())};
			s.ints_.insert(s.ints_.end(), elements.begin(), elements.end());
		}
		s.values_[std::size_t(index)] = out;
		return index;
	}

	// A column reference {column, path, text} with where it was.
	RowRef ref(const json &j)
	{
		return RowRef{name(j, spec::kColumn), names(j.value(spec::kPath, json::array())),
		              j.value(spec::kAsText, false), name(j, spec::kAt)};
	}

	// A filter node and its children; its index in conds.
	int cond(const json &j, int depth)
	{
		if (!j.is_object() || depth > 32)
			invalid("a filter node must be an object, nested at most 32 deep");
		RowCond c{RowCondKind::Leaf, {0, 0}, {}, nullptr, -1};
		std::vector<int> children;
		if (j.contains(spec::kAnd) || j.contains(spec::kOr)) {
			c.kind = j.contains(spec::kAnd) ? RowCondKind::And : RowCondKind::Or;
			const json &list = j.contains(spec::kAnd) ? j[spec::kAnd] : j[spec::kOr];
			if (!list.is_array() || list.empty())
				invalid("and/or need a non-empty array");
			for (const auto &child : list)
				children.push_back(cond(child, depth + 1));
		} else if (j.contains(spec::kNot)) {
			c.kind = RowCondKind::Not;
			children.push_back(cond(j[spec::kNot], depth + 1));
		} else {
			c.ref = ref(j);
			c.op = name(j, spec::kOperator);
			c.value = value(j.value(spec::kValue, json(nullptr)));
		}
		c.children = {int(s.child_index_.size()), int(children.size())};
		s.child_index_.insert(s.child_index_.end(), children.begin(), children.end());
		s.conds_.push_back(c);
		return int(s.conds_.size()) - 1;
	}

	// The order entries.
	RowRange order(const json &list)
	{
		RowRange r{int(s.orders_.size()), 0};
		if (!list.is_array())
			return r;
		for (const auto &e : list) {
			json nulls = e.value(spec::kNulls, json(nullptr));
			s.orders_.push_back(RowOrder{ref(e), e.value(spec::kDesc, false),
			                             nulls == "first"  ? 1
			                             : nulls == "last" ? 2
			                                               : 0});
			r.count++;
		}
		return r;
	}

	// An optional non-negative integer member, -1 when absent.
	static int64_t count_member(const json &j, const char *key)
	{
		auto it = j.find(key);
		if (it == j.end() || it->is_null())
			return -1;
		if (!it->is_number_integer() || it->get<int64_t>() < 0)
			invalid(std::string("\"") + key + "\" must be a non-negative integer");
		return it->get<int64_t>();
	}

	// insert_rows' rows: the union of their columns, and one value index (or -1) per cell.
	void insert_rows(RowSpec &out, const json &rows)
	{
		if (!rows.is_array() || rows.empty())
			invalid("\"rows\" must be a non-empty array");
		std::vector<std::string> columns;
		for (const auto &row : rows) {
			if (!row.is_object() || row.empty())
				invalid("each row must be a non-empty object");
			for (auto it = row.begin(); it != row.end(); ++it)
				if (std::find(columns.begin(), columns.end(), it.key()) == columns.end())
					columns.push_back(it.key());
		}
		out.insert_columns = names(json(columns));
		out.insert_rows = int(rows.size());
		std::vector<int> cells;
		for (const auto &row : rows)
			for (const auto &c : columns)
				cells.push_back(row.contains(c) ? value(row[c]) : -1);
		out.cells = int(s.ints_.size());
		s.ints_.insert(s.ints_.end(), cells.begin(), cells.end());
	}

	// update_rows' values: names and value indexes.
	void set_values(RowSpec &out, const json &values)
	{
		if (!values.is_object() || values.empty())
			invalid("\"values\" must be a non-empty object");
		std::vector<std::string> columns;
		std::vector<int> indexes;
		for (auto it = values.begin(); it != values.end(); ++it) {
			columns.push_back(it.key());
			indexes.push_back(value(it.value()));
		}
		out.set_columns = names(json(columns));
		out.set_values = int(s.ints_.size());
		s.ints_.insert(s.ints_.end(), indexes.begin(), indexes.end());
	}

	// on_conflict: {columns, action}.
	void on_conflict(RowSpec &out, const json &j)
	{
		if (!j.is_object())
			return;
		out.conflict =
		    j.value(spec::kAction, "") == "update" ? RowConflict::Update : RowConflict::Ignore;
		out.conflict_columns = names(j.value(spec::kColumns, json::array()));
	}

	// returning: null, "*" or a list of names.
	void returning(RowSpec &out, const json &j)
	{
		out.returning = !j.is_null();
		if (j.is_array())
			out.returning_columns = names(j);
	}

	// The whole spec.
	void decode(const json &j)
	{
		RowSpec &out = s.spec_;
		out = RowSpec{};
		out.op = row_op(j.value(spec::kOp, json(nullptr)));
		out.schema = name(j, spec::kSchema);
		out.table = name(j, spec::kTable);
		out.columns = names(j.value(spec::kColumns, json(nullptr)));
		json filter = j.value(spec::kFilter, json(nullptr));
		out.filter = filter.is_null() ? -1 : cond(filter, 0);
		out.order = order(j.value(spec::kOrder, json(nullptr)));
		out.limit = count_member(j, spec::kLimit);
		out.offset = count_member(j, spec::kOffset);
		json count = j.value(spec::kCount, json(nullptr));
		out.count = count == "exact"       ? RowCount::Exact
		            : count == "estimated" ? RowCount::Estimated
		                                   : RowCount::None;
		if (out.op == RowOp::Insert) {
			insert_rows(out, j.value(spec::kRows, json(nullptr)));
			on_conflict(out, j.value(spec::kOnConflict, json(nullptr)));
		}
		if (out.op == RowOp::Update)
			set_values(out, j.value(spec::kValues, json(nullptr)));
		if ((out.op == RowOp::Update || out.op == RowOp::Delete) && out.filter < 0)
			invalid("update and delete need a filter");
		returning(out, j.value(spec::kReturning, json(nullptr)));
	}
};

void RowSpecStore::decode(const std::string &json_text)
{
	json j = json::parse(json_text, nullptr, false);
	if (!j.is_object())
		invalid("not a JSON object");
	RowSpecDecoder{*this}.decode(j);
	spec_.names = names_.data();
	spec_.ints = ints_.data();
	spec_.child_index = child_index_.data();
	spec_.conds = conds_.data();
	spec_.values = values_.data();
	spec_.orders = orders_.data();
}

} // namespace mcp_supa::pg
