#pragma once
// The entry of one prompt file in a `prompt status` result, for the workspace and stat-index tests.

#include <string_view>

#include <doctest/doctest.h>

#include <llmops/prompt/workspace.hpp>

namespace llmops::test {

// The entry whose file displays as `display` ("prompts/greet.yaml"); fails the test when none does.
inline const prompt::StatusEntry& entry_for(const prompt::WorkspaceStatus& status,
                                            std::string_view display) {
    for (const auto& e : status.files) {
        if (e.file.display == display) {
            return e;
        }
    }
    FAIL("no status entry for " << display);
    return status.files.front();
}

} // namespace llmops::test
