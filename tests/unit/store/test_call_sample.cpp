// The seeded sample of imported calls a suite's `tests: {traces: ...}` grades.

#include <llmops/store/call_sample.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <doctest/doctest.h>

#include <llmops/store/schema.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using llmops::test::TempDir;
namespace store = llmops::store;

namespace {

// A store holding `n` calls one second apart, of support/triage (but call 7, of another
// prompt), version 3 every fourth and 2 otherwise, imported oldest first or newest first.
store::Database store_with_calls(const TempDir& dir, const std::string& name, int n,
                                 bool reversed) {
    auto db = store::Database::open(dir / name, store::OpenMode::read_write);
    REQUIRE_OK(db);
    REQUIRE_OK(store::migrate(*db));
    store::CallWriter writer(*db);
    for (int k = 0; k < n; ++k) {
        const int i = reversed ? n - 1 - k : k;
        store::CallRecord call;
        call.span_id = "span" + std::to_string(i);
        call.time_unix_ns = (1'000 + i) * 1'000'000'000LL;
        call.prompt = i == 7 ? "other" : "support/triage";
        call.prompt_version = i % 4 == 0 ? "3" : "2";
        call.source = "jsonl";
        call.output = "billing";
        call.error = i == 9; // failed calls are never sampled
        REQUIRE_OK(writer.add(call));
    }
    REQUIRE_OK(writer.flush());
    return std::move(*db);
}

} // namespace

TEST_SUITE("store") {
    TEST_CASE("store::sample_calls") {
        TempDir dir;
        auto forward = store_with_calls(dir, "a.db", 200, false);
        auto backward = store_with_calls(dir, "b.db", 200, true);
        store::CallSample s;
        s.filter.prompt = "support/triage";
        s.size = 20;
        s.seed = "7";
        auto a = store::sample_calls(forward, s);
        auto b = store::sample_calls(backward, s);
        REQUIRE_OK(a);
        REQUIRE_OK(b);
        CHECK(a->size() == 20);
        CHECK(*a == *b);                                             // import order does not matter
        CHECK(std::find(a->begin(), a->end(), "span7") == a->end()); // another prompt
        // Oldest first.
        auto time_of = [](const std::string& id) { return std::stoi(id.substr(4)); };
        CHECK(std::is_sorted(a->begin(), a->end(), [&](const auto& x, const auto& y) {
            return time_of(x) < time_of(y);
        }));
        // A larger sample holds the smaller one; another seed is another sample.
        s.size = 60;
        auto larger = store::sample_calls(forward, s);
        REQUIRE_OK(larger);
        const std::set<std::string> big(larger->begin(), larger->end());
        CHECK(std::all_of(a->begin(), a->end(), [&](const auto& id) { return big.contains(id); }));
        s.size = 20;
        s.seed = "8";
        auto other = store::sample_calls(forward, s);
        REQUIRE_OK(other);
        CHECK(*other != *a);
        // No size: every matching call; a window cuts it.
        s.size = 0;
        s.filter.since_unix_ns = 1'100 * 1'000'000'000LL;
        auto all = store::sample_calls(forward, s);
        REQUIRE_OK(all);
        CHECK(all->size() == 100);
        CHECK(all->front() == "span100");
        s.filter.since_unix_ns.reset();
        auto every = store::sample_calls(forward, s);
        REQUIRE_OK(every);
        CHECK(every->size() == 198); // not span7 (another prompt), not span9 (failed)
        s.answered = false;
        every = store::sample_calls(forward, s);
        REQUIRE_OK(every);
        CHECK(every->size() == 199);
    }

    TEST_CASE("store::sample_calls stratified by version") {
        TempDir dir;
        auto db = store_with_calls(dir, "a.db", 200, false);
        store::CallSample s;
        s.filter.prompt = "support/triage";
        s.size = 30;
        s.by_version = true;
        auto ids = store::sample_calls(db, s);
        REQUIRE_OK(ids);
        // 50 calls of version 3 (every fourth), 148 answered of version 2: 30 of each.
        std::map<std::string, int> per_version;
        for (const auto& id : *ids) {
            per_version[std::stoi(id.substr(4)) % 4 == 0 ? "3" : "2"]++;
        }
        CHECK(per_version["2"] == 30);
        CHECK(per_version["3"] == 30);
    }

    TEST_CASE("store::sample_rank is SHA-256 of seed:span") {
        // python3 -c "import hashlib; print(int(hashlib.sha256(b'1:abc').hexdigest()[:16], 16))"
        CHECK(store::sample_rank("1", "abc") == 0xfac4d75282e3de35ULL);
    }
}
