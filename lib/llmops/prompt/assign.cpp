#include <llmops/prompt/assign.hpp>

#include <algorithm>
#include <string>

#include <llmops/util/hash.hpp>

namespace llmops::prompt {

uint64_t assignment_bucket(std::string_view prompt, std::string_view label, std::string_view unit) {
    std::string key;
    key.reserve(prompt.size() + label.size() + unit.size() + 2);
    key.append(prompt).append("/").append(label).append(":").append(unit);
    const std::string digest = util::sha256_digest(key);
    uint64_t value = 0;
    for (size_t i = 0; i < 8; ++i) {
        value = (value << 8) | static_cast<unsigned char>(digest[i]);
    }
    return value % k_assignment_buckets;
}

std::optional<store::LabelArm> assign_arm(std::vector<store::LabelArm> arms, uint64_t bucket) {
    std::sort(arms.begin(), arms.end(), [](const store::LabelArm& a, const store::LabelArm& b) {
        return a.number < b.number;
    });
    uint64_t end = 0;
    for (const auto& arm : arms) {
        end += static_cast<uint64_t>(std::max<int64_t>(arm.weight, 0)) * 100;
        if (bucket < end) {
            return arm;
        }
    }
    return std::nullopt;
}

} // namespace llmops::prompt
