#include <llmops/util/redact.hpp>

namespace llmops::util {

std::string redact(std::string_view text, const std::vector<std::string>& secrets) {
    std::string out(text);
    for (const auto& secret : secrets) {
        if (secret.empty()) {
            continue;
        }
        size_t pos = 0;
        while ((pos = out.find(secret, pos)) != std::string::npos) {
            out.replace(pos, secret.size(), "[redacted]");
            pos += 10;
        }
    }
    return out;
}

} // namespace llmops::util
