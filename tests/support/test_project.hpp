#pragma once
// A project with an initialised, open store in a temporary folder, for library tests that need
// a real store.

#include <optional>

#include <doctest/doctest.h>

#include <llmops/store/database.hpp>
#include <llmops/store/project.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

struct TestProject {
    TempDir dir;
    store::Project project;
    std::optional<store::Database> db;

    TestProject() {
        auto init = store::init_project(dir.path());
        REQUIRE_OK(init);
        project = init->first;
        auto opened = store::open_store(project);
        REQUIRE_OK(opened);
        db.emplace(std::move(*opened));
    }
};

} // namespace llmops::test
