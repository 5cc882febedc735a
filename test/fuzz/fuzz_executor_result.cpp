// libFuzzer target: an executor's result frame (<JSON object>[NUL<rows JSON>]) as the
// dispatcher reads it, then shaped into each registered tool's CallToolResult. Rows carry database
// data (jsonb, EXPLAIN plans) that any database user can make deep or odd.
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
	for (const auto &tool : tools::registry().entries()) {
		if (tool.fast_shape)
			(void)tool.fast_shape(result, "tag");
		(void)mcp::serialize_message(tools::shape_result(tool, mcp::Json::object(), result, "t"));
	}
	return 0;
}
