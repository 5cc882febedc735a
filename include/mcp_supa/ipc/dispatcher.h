// The gateway's side of the executor pool: a bounded queue of jobs, idle executors, and the
// callbacks waiting for results. Pure logic; the network layer supplies send and cancel.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace mcp_supa::ipc
{

using Json = nlohmann::json;

class Dispatcher
{
public:
	using Done = std::function<void(const Json &result)>;
	// Sends one frame payload to an executor; false when the connection is gone.
	using SendFn = std::function<bool(int executor, const std::string &payload)>;
	// Interrupts the statement an executor runs (SIGINT to its pid).
	using CancelFn = std::function<void(pid_t pid)>;

	Dispatcher(std::size_t max_queue, SendFn send, CancelFn cancel)
	    : max_queue_(max_queue), send_(std::move(send)), cancel_(std::move(cancel))
	{
	}

	void set_max_queue(std::size_t n) { max_queue_ = n; }

	// Submits a job; done runs exactly once, with the executor's result or an error result.
	// Returns the job id (never 0).
	// exempt jobs (the gateway's bookkeeping: the API-key refresh) skip the queue bound, go
	// before every queued call and never expire: a call burst must not keep a revoked key
	// alive or lose audit rows.
	uint64_t submit(Json job, Done done, int64_t now_ms = 0, bool exempt = false);
	// Submits an audit batch (exempt, as above), records encoded by audit::encode. The job is
	// {"id":…,"kind":"audit","type":"job"}, a NUL byte, and the records.
	uint64_t submit_audit(std::string records, Done done, int64_t now_ms = 0);
	// Cancels a job: dropped if still queued, interrupted if running (noted at now_ms, so
	// overdue_cancels() can escalate when the job catches the interrupt).
	void cancel(uint64_t job_id, int64_t now_ms = 0);
	// The executors whose job was interrupted at least grace_ms ago and still runs (a plpgsql
	// block can catch the cancel): each is named once, to be terminated.
	std::vector<pid_t> overdue_cancels(int64_t now_ms, int64_t grace_ms);

	// An executor connected (after its hello); returns its id.
	int add_executor(pid_t pid);
	// An executor's connection closed: its running job fails.
	void remove_executor(int executor);
	// A result frame arrived from an executor.
	void on_result(int executor, const Json &result);

	std::size_t executors() const { return executors_.size(); }
	std::size_t idle_executors() const;
	std::size_t queued() const { return queue_.size() + urgent_.size(); }
	std::size_t running() const;

	// Fails queued calls that waited longer than max_wait_ms for an executor (exempt jobs
	// never expire).
	std::size_t expire_queued(int64_t now_ms, int64_t max_wait_ms);

	// Reads an executor's frame: its JSON header without a full tree parse (scalar members as
	// values, "columns" kept as text in "columns_json") and the rows after a NUL byte as text
	// in "rows_json" (docs/ipc.md). A discarded Json when the frame is not valid.
	static Json read_frame(std::string_view payload);

	// The error result a job gets when it never reaches SQL (busy, executor died, cancelled).
	static Json error_result(const std::string &sqlstate, const std::string &message);

private:
	struct Job {
		uint64_t id;
		Json body;
		Done done;
		int64_t queued_ms;
		std::string text; // an audit batch's whole job text (body null)
	};
	struct Executor {
		pid_t pid;
		uint64_t job = 0; // 0 when idle
	};

	std::size_t max_queue_;
	SendFn send_;
	CancelFn cancel_;
	uint64_t next_job_ = 1;
	int next_executor_ = 1;
	std::deque<Job> queue_;
	std::deque<Job> urgent_; // exempt jobs: served before queue_, never expired
	std::map<int, Executor> executors_;
	std::map<uint64_t, std::pair<int, Done>> running_; // job id -> executor, callback
	std::map<uint64_t, int64_t> cancelled_at_;         // running job id -> when interrupted

	void pump();
	bool start_on(int executor, Job &job);
};

} // namespace mcp_supa::ipc
