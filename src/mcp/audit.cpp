// Audit records and their buffer (see include/mcp_supa/audit.h).
#include "mcp_supa/audit.h"

#include <chrono>
#include <ctime>

namespace mcp_supa::audit
{

std::string now_iso()
{
	auto now = std::chrono::system_clock::now();
	std::time_t secs = std::chrono::system_clock::to_time_t(now);
	int ms =
	    int(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
	        1000);
	std::tm tm;
	gmtime_r(&secs, &tm);
	char buf[40];
	std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", ms);
	return buf;
}

Json base_record(const mcp::Principal *principal, const std::string &client_address,
                 const std::string &session_id)
{
	Json r = {{"at", now_iso()}, {"client_address", client_address}};
	if (!session_id.empty())
		r["session_id"] = session_id;
	if (principal) {
		r["principal"] = principal->subject.empty() ? principal->role : principal->subject;
		r["role"] = principal->role;
		r["auth_method"] = principal->auth_method;
	}
	return r;
}

void add_outcome(Json &record, const Json &result)
{
	if (result.value("ok", false)) {
		record["status"] = "ok";
		record["rows"] = result.value("row_count", 0);
		record["bytes"] = result.value("bytes", 0);
		return;
	}
	record["status"] = result.value("refused", false) ? "refused" : "error";
	const Json &err = result.contains("error") ? result["error"] : Json::object();
	if (err.contains("sqlstate") && err["sqlstate"].is_string())
		record["sqlstate"] = err["sqlstate"];
	if (err.contains("message") && err["message"].is_string())
		record["message"] = err["message"];
}

bool AuditBuffer::add(Json record)
{
	if (records_.size() >= max_) {
		dropped_++;
		return false;
	}
	records_.push_back(std::move(record));
	return true;
}

Json AuditBuffer::take(std::size_t max)
{
	Json batch = Json::array();
	while (!records_.empty() && batch.size() < max) {
		batch.push_back(std::move(records_.front()));
		records_.pop_front();
	}
	return batch;
}

} // namespace mcp_supa::audit
