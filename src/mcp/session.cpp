// The session table (see include/mcp_supa/session.h).
#include "mcp_supa/mcp/session.h"

#include "mcp_supa/common/random.h"

namespace mcp_supa::mcp
{

Session *SessionTable::create(const std::string &transport, const std::string &principal_key,
                              int64_t now_ms, const std::string &caller, const std::string &address)
{
	if (!caller.empty() && per_caller_[caller] >= limits_.per_caller)
		evict_oldest(&Session::caller, caller);
	if (!address.empty() && per_address_[address] >= limits_.per_address)
		evict_oldest(&Session::address, address);
	if (sessions_.size() >= limits_.total) {
		expire(now_ms);
		if (sessions_.size() >= limits_.total)
			return nullptr;
	}
	auto s = std::make_unique<Session>();
	s->id = common::random_hex(16);
	s->transport = transport;
	s->principal_key = principal_key;
	s->caller = caller;
	s->address = address;
	s->created_ms = s->last_used_ms = now_ms;
	Session *raw = s.get();
	sessions_[raw->id] = std::move(s);
	if (!caller.empty())
		per_caller_[caller]++;
	if (!address.empty())
		per_address_[address]++;
	return raw;
}

void SessionTable::evict_oldest(std::string Session::*member, const std::string &value)
{
	auto oldest = sessions_.end();
	for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
		if ((*it->second).*member == value &&
		    (oldest == sessions_.end() || it->second->last_used_ms < oldest->second->last_used_ms))
			oldest = it;
	if (oldest == sessions_.end())
		return;
	evicted_.push_back(oldest->first);
	remove(oldest);
}

std::vector<std::string> SessionTable::take_evicted()
{
	std::vector<std::string> out;
	out.swap(evicted_);
	return out;
}

std::map<std::string, std::unique_ptr<Session>>::iterator
SessionTable::remove(std::map<std::string, std::unique_ptr<Session>>::iterator it)
{
	// Drops one count of key, and the key when it reaches zero.
	auto uncount = [](std::map<std::string, std::size_t> &counts, const std::string &key) {
		auto c = counts.find(key);
		if (c != counts.end() && --c->second == 0)
			counts.erase(c);
	};
	if (!it->second->caller.empty())
		uncount(per_caller_, it->second->caller);
	if (!it->second->address.empty())
		uncount(per_address_, it->second->address);
	return sessions_.erase(it);
}

Session *SessionTable::find(const std::string &id, int64_t now_ms)
{
	auto it = sessions_.find(id);
	if (it == sessions_.end())
		return nullptr;
	if (now_ms - it->second->last_used_ms > idle_ms_) {
		remove(it);
		return nullptr;
	}
	it->second->last_used_ms = now_ms;
	return it->second.get();
}

bool SessionTable::erase(const std::string &id)
{
	auto it = sessions_.find(id);
	if (it == sessions_.end())
		return false;
	remove(it);
	return true;
}

std::vector<std::string> SessionTable::expire(int64_t now_ms)
{
	std::vector<std::string> gone;
	for (auto it = sessions_.begin(); it != sessions_.end();) {
		// WebSocket sessions live as long as their connection, which removes them.
		if (it->second->transport != "ws" && now_ms - it->second->last_used_ms > idle_ms_) {
			gone.push_back(it->first);
			it = remove(it);
		} else
			++it;
	}
	return gone;
}

} // namespace mcp_supa::mcp
