// Confirmation tokens for destructive SQL: bound to the principal, the exact SQL text and a
// five-minute expiry, signed with a key that lives only in this gateway process.
#pragma once

#include <cstdint>
#include <string>

namespace mcp_supa::mcp
{

class ConfirmationTokens
{
public:
	static constexpr int kTtlSeconds = 300;

	ConfirmationTokens(); // a fresh random key: tokens die with the gateway
	// A token for running sql as principal_key until now + kTtlSeconds.
	std::string issue(const std::string &principal_key, const std::string &sql,
	                  int64_t now_unix) const;
	// True when token was issued for exactly this principal and SQL and has not expired.
	bool verify(const std::string &token, const std::string &principal_key, const std::string &sql,
	            int64_t now_unix) const;

private:
	std::string key_;
	std::string mac(const std::string &principal_key, const std::string &sql,
	                int64_t expires) const;
};

} // namespace mcp_supa::mcp
