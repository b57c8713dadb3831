#pragma once
// `llmops advise` as terminal text (fits `width` columns) and as stable JSON (docs/advise.md).

#include <cstddef>
#include <string>

#include <llmops/online/advise.hpp>

namespace llmops::report {

std::string advise_text(const online::Advice& advice, size_t width);
std::string advise_json(const online::Advice& advice);

} // namespace llmops::report
