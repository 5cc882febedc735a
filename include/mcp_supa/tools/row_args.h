// The row tools' arguments (select_rows, insert_rows, update_rows, delete_rows): the filter
// grammar, order, column lists, values and rows, checked in the gateway with clear errors that
// name the offending field, and normalized into the spec of a "rows" job (docs/ipc.md). Names
// are only checked for shape here; the executor checks them against the catalog as the caller
// sees it and builds the SQL (src/pg/row_sql.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace mcp_supa::tools::rows
{

using Json = nlohmann::json;

// Size limits of every input (docs/tools.md, "Row tools").
constexpr int kMaxFilterDepth = 8;            // nesting of and/or/not
constexpr std::size_t kMaxConditions = 100;   // conditions in one filter
constexpr std::size_t kMaxInValues = 1000;    // elements of one "in" list
constexpr std::size_t kMaxPathKeys = 8;       // JSON keys after a column
constexpr std::size_t kMaxPathKeyBytes = 255; // bytes of one JSON key
constexpr std::size_t kMaxValueBytes = 65536; // JSON text of one value
constexpr std::size_t kMaxColumns = 100;      // columns named in one list or object
constexpr std::size_t kMaxOrder = 8;          // order entries
constexpr std::size_t kMaxInsertRows = 1000;  // rows of one insert_rows call
constexpr int64_t kMaxLimit = 100000;         // select_rows' limit
constexpr int64_t kMaxOffset = 1000000000;    // select_rows' offset

// A table or column name: 1 to 63 bytes, no NUL (checked against the catalog later).
bool check_identifier(const Json &name, const std::string &at, std::string &error);

// A column reference "col", "col->key", "col->a->>b" into {column, path, text}.
bool parse_column_ref(const std::string &ref, const std::string &at, Json &out, std::string &error);

// A value within the limits: JSON text of at most kMaxValueBytes, no NUL in any string.
bool check_value(const Json &value, const std::string &at, std::string &error);

// The filter grammar into a normalized tree: {"and": [...]}, {"or": [...]}, {"not": node} and
// conditions {at, column, path, text, op, value}; null for an empty filter.
bool normalize_filter(const Json &filter, Json &out, std::string &error);

// order: [{column, desc?, nulls?}] into [{at, column, path, text, desc, nulls}].
bool normalize_order(const Json &order, Json &out, std::string &error);

// A list of column names (select_rows' columns, on_conflict.columns), 1 to kMaxColumns.
bool normalize_columns(const Json &columns, const std::string &at, Json &out, std::string &error);

// returning: true (every column), false (none), or a list of column names; null when none.
bool normalize_returning(const Json &returning, Json &out, std::string &error);

// An object of column → value (update_rows' values, one row of insert_rows).
bool check_row(const Json &row, const std::string &at, std::string &error);

// insert_rows' rows: 1 to kMaxInsertRows objects.
bool check_insert_rows(const Json &rows, std::string &error);

// on_conflict: {columns?, action: "ignore"|"update"} ("update" needs columns).
bool normalize_on_conflict(const Json &on_conflict, Json &out, std::string &error);

} // namespace mcp_supa::tools::rows
