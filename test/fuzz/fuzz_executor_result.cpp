// libFuzzer target: an executor's result frame (<JSON object>[NUL<rows JSON>]) as the
// dispatcher reads it, then shaped into each tool's CallToolResult. Rows carry database data
// (jsonb, EXPLAIN plans) that any database user can make deep or odd.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mcp_supa/ipc/dispatcher.h"
#include "mcp_supa/mcp/jsonrpc.h"
#include "mcp_supa/tools/tools.h"

using namespace mcp_supa;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size)
{
	std::string_view payload(reinterpret_cast<const char *>(data), size);
	mcp::Json result = ipc::Dispatcher::read_frame(payload);
	if (result.is_discarded())
		return 0;
	(void)tools::sql_result_text(result, "tag");
	for (const char *tool :
	     {"execute_sql", "list_tables", "describe_table", "list_extensions", "explain_query"})
		(void)mcp::serialize_message(tools::shape_result(tool, mcp::Json::object(), result, "t"));
	return 0;
}
