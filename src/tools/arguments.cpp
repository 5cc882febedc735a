// Argument checks shared by every tool family (see include/mcp_supa/tools/arguments.h).
#include "mcp_supa/tools/arguments.h"

namespace mcp_supa::tools
{

bool only_keys(const Json &args, std::initializer_list<const char *> keys, std::string &error)
{
	for (auto it = args.begin(); it != args.end(); ++it) {
		bool known = false;
		for (const char *k : keys)
			known = known || it.key() == k;
		if (!known) {
			error = "unknown argument \"" + it.key() + "\"";
			return false;
		}
	}
	return true;
}

bool required_string(const Json &args, const char *name, std::size_t max_bytes, std::string &out,
                     std::string &error)
{
	auto it = args.find(name);
	if (it == args.end() || !it->is_string()) {
		error = std::string("argument \"") + name + "\" must be a string";
		return false;
	}
	out = it->get<std::string>();
	if (out.empty() || out.size() > max_bytes) {
		error = std::string("argument \"") + name + "\" must be 1 to " + std::to_string(max_bytes) +
		        " bytes long";
		return false;
	}
	return true;
}

bool optional_bool(const Json &args, const char *name, bool &out, std::string &error)
{
	auto it = args.find(name);
	if (it == args.end() || it->is_null())
		return true;
	if (!it->is_boolean()) {
		error = std::string("argument \"") + name + "\" must be a boolean";
		return false;
	}
	out = it->get<bool>();
	return true;
}

} // namespace mcp_supa::tools
