// Job dispatch to executors (see include/mcp_supa/dispatcher.h).
#include "mcp_supa/ipc/dispatcher.h"
#include "mcp_supa/ipc/job_wire.h"
#include "mcp_supa/ipc/json_reader.h"

#include <cerrno>
#include <cstdlib>
#include <initializer_list>

namespace mcp_supa::ipc
{

Json Dispatcher::error_result(const std::string &sqlstate, const std::string &message)
{
	return Json{{wire::kType, wire::kTypeResult},
	            {wire::kOk, false},
	            {wire::kRefused, false},
	            {wire::kError, {{wire::kSqlstate, sqlstate}, {wire::kMessage, message}}}};
}

namespace
{

// The result members the gateway reads, by the JSON type it expects.
const char *const kStringMembers[] = {wire::kType, wire::kId, wire::kCommand};
const char *const kBoolMembers[] = {wire::kOk, wire::kRefused, wire::kTruncated};
const char *const kIntegerMembers[] = {wire::kPid, wire::kRowCount, wire::kStatements,
                                       wire::kBytes};
const char *const kErrorStringMembers[] = {wire::kSqlstate, wire::kMessage, wire::kDetail,
                                           wire::kHint, wire::kContext};

// One member's value: strings decoded, numbers and literals converted, containers parsed.
Json span_value(const JsonSpan &v)
{
	switch (v.kind) {
		case JsonSpan::Null:
			return nullptr;
		case JsonSpan::Bool:
			return v.text == "true";
		case JsonSpan::String:
			return json_string_value(v.text);
		case JsonSpan::Number: {
			std::string text(v.text);
			if (text.find_first_of(".eE") == std::string::npos) {
				errno = 0;
				long long n = strtoll(text.c_str(), nullptr, 10);
				if (errno == 0)
					return int64_t(n);
			}
			return strtod(text.c_str(), nullptr);
		}
		default:
			return Json::parse(v.text, nullptr, false);
	}
}

// Removes null members of obj named in keys: absent, value() gives its default (a null would
// make it throw).
void drop_nulls(Json &obj, std::initializer_list<const char *> keys)
{
	for (const char *k : keys) {
		auto it = obj.find(k);
		if (it != obj.end() && it->is_null())
			obj.erase(it);
	}
}

// "" when each member the gateway reads has the JSON type it expects, else the first that
// does not (tools and the MCP layer read them with nlohmann's value(), which throws). Nulls
// must have been dropped first.
std::string mistyped_member(const Json &frame)
{
	for (const char *k : kStringMembers)
		if (frame.contains(k) && !frame[k].is_string())
			return k;
	for (const char *k : kBoolMembers)
		if (frame.contains(k) && !frame[k].is_boolean())
			return k;
	for (const char *k : kIntegerMembers)
		if (frame.contains(k) && !frame[k].is_number_integer())
			return k;
	auto error = frame.find(wire::kError);
	if (error == frame.end())
		return "";
	if (!error->is_object())
		return wire::kError;
	for (const char *k : kErrorStringMembers)
		if (error->contains(k) && !(*error)[k].is_string())
			return std::string("error.") + k;
	if (error->contains(wire::kPosition) && !(*error)[wire::kPosition].is_number_integer())
		return "error.position";
	return "";
}

} // namespace

Json Dispatcher::read_frame(std::string_view payload)
{
	std::size_t nul = payload.find('\0');
	JsonMembers members;
	std::string error;
	if (!json_object_members(payload.substr(0, nul), members, error))
		return Json(Json::value_t::discarded);
	Json out = Json::object();
	for (const auto &[key, value] : members) {
		if (key == wire::kColumns && value.kind == JsonSpan::Array)
			out[wire::kColumnsJson] = std::string(value.text);
		else
			out[key] = span_value(value);
	}
	if (nul != std::string_view::npos)
		out[wire::kRowsJson] = std::string(payload.substr(nul + 1));
	drop_nulls(out,
	           {wire::kType, wire::kId, wire::kCommand, wire::kOk, wire::kRefused, wire::kTruncated,
	            wire::kPid, wire::kRowCount, wire::kStatements, wire::kBytes});
	auto sql_error = out.find(wire::kError);
	if (sql_error != out.end() && sql_error->is_object())
		drop_nulls(*sql_error, {wire::kSqlstate, wire::kMessage, wire::kDetail, wire::kHint,
		                        wire::kContext, wire::kPosition});
	std::string bad = mistyped_member(out);
	if (bad.empty())
		return out;
	// Still delivered to its job (by type and id when those are usable), as an error.
	Json refused = error_result("XX000", "the executor sent a malformed result (" + bad + ")");
	if (bad != wire::kType && bad != wire::kId) {
		refused[wire::kType] = out.value(wire::kType, wire::kTypeResult);
		if (out.contains(wire::kId))
			refused[wire::kId] = out[wire::kId];
	}
	return refused;
}

uint64_t Dispatcher::submit(Json job, Done done, int64_t now_ms, bool exempt)
{
	uint64_t id = next_job_++;
	job[wire::kType] = wire::kTypeJob;
	job[wire::kId] = std::to_string(id);
	if (!exempt && queue_.size() >= max_queue_ && idle_executors() == 0) {
		done(error_result("53300", "server busy: all executors are busy and the queue is full"));
		return id;
	}
	(exempt ? urgent_ : queue_)
	    .push_back(Job{id, std::move(job), std::move(done), now_ms, std::string()});
	pump();
	return id;
}

uint64_t Dispatcher::submit_audit(std::string records, Done done, int64_t now_ms)
{
	uint64_t id = next_job_++;
	// The whole job text now, so that sending it copies the batch no more than framing does.
	std::string text = std::string("{\"") + wire::kId + "\":\"" + std::to_string(id) + "\",\"" +
	                   wire::kKind + "\":\"" + wire::kKindAudit + "\",\"" + wire::kType + "\":\"" +
	                   wire::kTypeJob + "\"}";
	text.reserve(text.size() + 1 + records.size());
	text += '\0';
	text += records;
	urgent_.push_back(Job{id, Json(), std::move(done), now_ms, std::move(text)});
	pump();
	return id;
}

bool Dispatcher::start_on(int executor, Job &job)
{
	bool sent =
	    job.body.is_null()
	        ? send_(executor, job.text)
	        : send_(executor, job.body.dump(-1, ' ', false, Json::error_handler_t::replace));
	if (!sent)
		return false;
	executors_[executor].job = job.id;
	running_[job.id] = {executor, std::move(job.done)};
	return true;
}

void Dispatcher::pump()
{
	for (auto &[eid, ex] : executors_) {
		std::deque<Job> &from = urgent_.empty() ? queue_ : urgent_;
		if (from.empty())
			return;
		if (ex.job != 0)
			continue;
		Job job = std::move(from.front());
		from.pop_front();
		if (!start_on(eid, job)) {
			// This executor's connection is failing; give the job to the next one.
			from.push_front(std::move(job));
			continue;
		}
	}
}

void Dispatcher::cancel(uint64_t job_id, int64_t now_ms)
{
	for (auto it = queue_.begin(); it != queue_.end(); ++it) {
		if (it->id == job_id) {
			Done done = std::move(it->done);
			queue_.erase(it);
			done(error_result("57014", "canceling statement due to user request"));
			return;
		}
	}
	auto r = running_.find(job_id);
	if (r == running_.end())
		return;
	auto ex = executors_.find(r->second.first);
	if (ex != executors_.end())
		cancel_(ex->second.pid);
	cancelled_at_.emplace(job_id, now_ms);
}

std::vector<pid_t> Dispatcher::overdue_cancels(int64_t now_ms, int64_t grace_ms)
{
	std::vector<pid_t> out;
	for (auto it = cancelled_at_.begin(); it != cancelled_at_.end();) {
		auto r = running_.find(it->first);
		if (r == running_.end()) {
			it = cancelled_at_.erase(it);
			continue;
		}
		if (now_ms - it->second < grace_ms) {
			++it;
			continue;
		}
		auto ex = executors_.find(r->second.first);
		if (ex != executors_.end())
			out.push_back(ex->second.pid);
		it = cancelled_at_.erase(it);
	}
	return out;
}

int Dispatcher::add_executor(pid_t pid)
{
	int id = next_executor_++;
	executors_[id] = Executor{pid, 0};
	pump();
	return id;
}

void Dispatcher::remove_executor(int executor)
{
	auto ex = executors_.find(executor);
	if (ex == executors_.end())
		return;
	uint64_t job = ex->second.job;
	executors_.erase(ex);
	cancelled_at_.erase(job);
	if (job != 0) {
		auto r = running_.find(job);
		if (r != running_.end()) {
			Done done = std::move(r->second.second);
			running_.erase(r);
			done(error_result("57P01", "the executor running this call terminated; the call "
			                           "was rolled back"));
		}
	}
	pump();
}

void Dispatcher::on_result(int executor, const Json &result)
{
	auto ex = executors_.find(executor);
	if (ex == executors_.end() || ex->second.job == 0)
		return;
	uint64_t job = ex->second.job;
	ex->second.job = 0;
	cancelled_at_.erase(job);
	auto r = running_.find(job);
	if (r != running_.end()) {
		Done done = std::move(r->second.second);
		running_.erase(r);
		done(result);
	}
	pump();
}

std::size_t Dispatcher::expire_queued(int64_t now_ms, int64_t max_wait_ms)
{
	std::size_t n = 0;
	while (!queue_.empty() && now_ms - queue_.front().queued_ms > max_wait_ms) {
		Done done = std::move(queue_.front().done);
		queue_.pop_front();
		done(error_result("53300", "server busy: no executor became free in time"));
		n++;
	}
	return n;
}

std::size_t Dispatcher::idle_executors() const
{
	std::size_t n = 0;
	for (const auto &[id, ex] : executors_)
		n += ex.job == 0;
	return n;
}

std::size_t Dispatcher::running() const
{
	return running_.size();
}

} // namespace mcp_supa::ipc
