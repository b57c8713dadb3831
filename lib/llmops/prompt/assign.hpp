#pragma once
// Which arm of a split label serves a unit (a user, a session, a request): the documented,
// deterministic assignment rule of A/B tests (SPEC §14, docs/ab.md), which apps reimplement in a
// few lines, so the same unit gets the same version in every process and language.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <llmops/store/prompts.hpp>

namespace llmops::prompt {

// The rule's name and version, carried by `prompt render --format json` and `prompt export`:
// a change of the rule is a new version, never a silent reshuffle of users.
inline constexpr std::string_view k_assignment_rule = "sha256-mod-10000/v1";

// The number of buckets: a weight of w percent owns w · 100 of them.
inline constexpr uint64_t k_assignment_buckets = 10000;

// The bucket of `unit` for `label` of prompt `prompt`: the first 8 bytes of
// SHA-256("<prompt>/<label>:<unit>") (UTF-8) read as a big-endian unsigned 64-bit integer,
// modulo 10000. E.g. ("support/triage", "production", "user-17").
uint64_t assignment_bucket(std::string_view prompt, std::string_view label, std::string_view unit);

// The arm that owns `bucket`: the arms in ascending version order take consecutive ranges of
// weight · 100 buckets (a 90/10 split of versions 2 and 3: buckets 0-8999 are version 2,
// 9000-9999 version 3). nullopt when `arms` is empty or its weights do not reach `bucket`.
std::optional<store::LabelArm> assign_arm(std::vector<store::LabelArm> arms, uint64_t bucket);

} // namespace llmops::prompt
