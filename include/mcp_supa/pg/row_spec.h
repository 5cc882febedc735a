// A "rows" job's spec (docs/ipc.md, "Row jobs") as plain data: decoded from the job's JSON by
// RowSpecStore (C++, before the job runs), read by the PostgreSQL-style code that builds and
// runs its SQL (src/pg/row_sql.cpp, src/pg/row_runner.cpp), which must hold no C++ objects.
// Lists are (first, count) ranges into the spec's pools.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace mcp_supa::pg
{

enum class RowOp { Select, Insert, Update, Delete };
enum class RowCount { None, Exact, Estimated };
enum class RowConflict { None, Ignore, Update };
enum class RowValueKind { Null, Bool, Number, String, Object, Array };
enum class RowCondKind { And, Or, Not, Leaf };

// A range of a pool.
struct RowRange {
	int first;
	int count;
};

// One JSON value: text is a string's content or the JSON text of anything else; json is
// always the JSON text; an array's elements are values[elements].
struct RowValue {
	RowValueKind kind;
	const char *text;
	const char *json;
	RowRange elements;
};

// A column, optionally followed by JSON keys (names[path]); as_text: the last step is ->>.
struct RowRef {
	const char *column;
	RowRange path;
	bool as_text;
	const char *at; // where it was in the arguments, for errors
};

// A filter node: and/or/not over conds[children], or one condition.
struct RowCond {
	RowCondKind kind;
	RowRange children; // indexes in child_index
	RowRef ref;
	const char *op; // "eq", "in", ...
	int value;      // index in values
};

struct RowOrder {
	RowRef ref;
	bool desc;
	int nulls; // 0: default, 1: first, 2: last
};

struct RowSpec {
	RowOp op;
	const char *schema;
	const char *table;
	RowRange columns; // select_rows' columns in names; count 0: every column
	int filter;       // root in conds, or -1
	RowRange order;   // in orders
	int64_t limit;    // -1: none
	int64_t offset;
	RowCount count;
	RowRange insert_columns; // in names: every column any row names
	int insert_rows;
	int cells; // in ints: insert_rows × insert_columns value indexes, -1: DEFAULT
	RowConflict conflict;
	RowRange conflict_columns; // in names
	RowRange set_columns;      // update_rows' values: names, and their values in ints
	int set_values;
	bool returning;
	RowRange returning_columns; // count 0 with returning: every column
	// The pools.
	const char *const *names;
	const int *ints;
	const int *child_index;
	const RowCond *conds;
	const RowValue *values;
	const RowOrder *orders;
};

// Owns a decoded spec; spec() stays valid while the store lives and is not decoded again.
class RowSpecStore
{
public:
	RowSpecStore() = default;
	RowSpecStore(const RowSpecStore &) = delete; // spec_ points into the pools
	RowSpecStore &operator=(const RowSpecStore &) = delete;
	// Decodes the spec's JSON text; throws std::runtime_error with the reason.
	void decode(const std::string &json_text);
	const RowSpec *spec() const { return &spec_; }

private:
	friend struct RowSpecDecoder;
	RowSpec spec_{};
	std::deque<std::string> strings_;
	std::vector<const char *> names_;
	std::vector<int> ints_, child_index_;
	std::vector<RowCond> conds_;
	std::vector<RowValue> values_;
	std::vector<RowOrder> orders_;
};

} // namespace mcp_supa::pg
