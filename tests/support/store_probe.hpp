#pragma once
// Looks into a project's store from a test while llmops processes write it (read-only).

#include <cstdint>
#include <filesystem>

#include <llmops/store/database.hpp>

namespace llmops::test {

// How many results the store under `root` holds (-1 when it cannot be read yet).
inline int64_t stored_results(const std::filesystem::path& root) {
    auto db = store::Database::open(root / ".llmops" / "llmops.db", store::OpenMode::read_only);
    if (!db)
        return -1;
    auto stmt = db->prepare("SELECT count(*) FROM results");
    if (!stmt || !stmt->step().value_or(false))
        return -1;
    return stmt->integer(0);
}

} // namespace llmops::test
