// Confirmation tokens (see include/mcp_supa/confirmation.h): "c1.<expiry>.<hmac hex>".
#include "mcp_supa/mcp/confirmation.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mcp_supa/common/random.h"
#include "mcp_supa/common/text.h"

namespace mcp_supa::mcp
{

ConfirmationTokens::ConfirmationTokens() : key_(common::random_hex(32)) {}

std::string ConfirmationTokens::mac(const std::string &principal_key, const std::string &sql,
                                    int64_t expires) const
{
	// Length-prefixed fields: no two (principal, sql) pairs can produce the same input.
	std::string input = std::to_string(principal_key.size()) + ":" + principal_key +
	                    std::to_string(sql.size()) + ":" + sql + std::to_string(expires);
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	HMAC(EVP_sha256(), key_.data(), int(key_.size()),
	     reinterpret_cast<const unsigned char *>(input.data()), input.size(), out, &len);
	return common::hex_encode(out, len);
}

std::string ConfirmationTokens::issue(const std::string &principal_key, const std::string &sql,
                                      int64_t now_unix) const
{
	int64_t expires = now_unix + kTtlSeconds;
	return "c1." + std::to_string(expires) + "." + mac(principal_key, sql, expires);
}

bool ConfirmationTokens::verify(const std::string &token, const std::string &principal_key,
                                const std::string &sql, int64_t now_unix) const
{
	if (token.size() > 200 || token.rfind("c1.", 0) != 0)
		return false;
	auto dot = token.find('.', 3);
	if (dot == std::string::npos || dot == 3 || dot - 3 > 12)
		return false;
	std::string exp_text = token.substr(3, dot - 3);
	if (exp_text.find_first_not_of("0123456789") != std::string::npos)
		return false;
	int64_t expires = std::stoll(exp_text);
	if (expires <= now_unix || expires > now_unix + kTtlSeconds)
		return false;
	std::string want = mac(principal_key, sql, expires);
	std::string got = token.substr(dot + 1);
	return got.size() == want.size() && CRYPTO_memcmp(got.data(), want.data(), want.size()) == 0;
}

} // namespace mcp_supa::mcp
