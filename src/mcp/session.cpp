// The session table (see include/mcp_supa/session.h).
#include "mcp_supa/session.h"

#include "mcp_supa/random.h"

namespace mcp_supa::mcp
{

Session *SessionTable::create(const std::string &transport, const std::string &principal_key,
                              int64_t now_ms)
{
	if (sessions_.size() >= max_) {
		expire(now_ms);
		if (sessions_.size() >= max_)
			return nullptr;
	}
	auto s = std::make_unique<Session>();
	s->id = random_hex(16);
	s->transport = transport;
	s->principal_key = principal_key;
	s->created_ms = s->last_used_ms = now_ms;
	Session *raw = s.get();
	sessions_[raw->id] = std::move(s);
	return raw;
}

Session *SessionTable::find(const std::string &id, int64_t now_ms)
{
	auto it = sessions_.find(id);
	if (it == sessions_.end())
		return nullptr;
	if (now_ms - it->second->last_used_ms > idle_ms_) {
		sessions_.erase(it);
		return nullptr;
	}
	it->second->last_used_ms = now_ms;
	return it->second.get();
}

bool SessionTable::erase(const std::string &id)
{
	return sessions_.erase(id) > 0;
}

std::vector<std::string> SessionTable::expire(int64_t now_ms)
{
	std::vector<std::string> gone;
	for (auto it = sessions_.begin(); it != sessions_.end();) {
		// WebSocket sessions live as long as their connection, which removes them.
		if (it->second->transport != "ws" && now_ms - it->second->last_used_ms > idle_ms_) {
			gone.push_back(it->first);
			it = sessions_.erase(it);
		} else
			++it;
	}
	return gone;
}

} // namespace mcp_supa::mcp
