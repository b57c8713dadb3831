// The runner's scheduler on its own, with a fake sink: the window, the walk's order, whole
// cases, stopping, and the loop that is never re-entered however many items finish at once.

#include <memory>
#include <vector>

#include <doctest/doctest.h>

#include <llmops/eval/scheduler.hpp>

using namespace llmops;

namespace {

// A walk over `cases` cases whose sink records what it was sent.
struct FakeWalk {
    int cases = 0;
    int next = 0;
    std::vector<eval::WorkItem> sent;

    eval::Scheduler::Walk walk() {
        eval::Scheduler::Walk w;
        w.next_case = [this]() -> std::shared_ptr<const eval::TestCase> {
            if (next >= cases) {
                return nullptr;
            }
            auto c = std::make_shared<eval::TestCase>();
            c->id = "case-" + std::to_string(next);
            c->position = next++;
            return c;
        };
        w.send = [this](const eval::WorkItem& item) {
            sent.push_back(item);
            return true;
        };
        return w;
    }
};

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::Scheduler") {
        FakeWalk fake;
        fake.cases = 3;

        SUBCASE("walks case-major, then variant, then repeat, and keeps the window") {
            eval::Scheduler s(4, 2, 2, fake.walk());
            s.pump();
            REQUIRE(fake.sent.size() == 4); // the window
            CHECK(s.outstanding() == 4);
            CHECK(fake.sent[0].variant == 0);
            CHECK(fake.sent[0].repeat == 0);
            CHECK(fake.sent[1].variant == 0);
            CHECK(fake.sent[1].repeat == 1);
            CHECK(fake.sent[2].variant == 1);
            CHECK(fake.sent[3].test->id == "case-0");
            s.finished();
            s.pump();
            CHECK(fake.sent.size() == 5);
            CHECK(fake.sent[4].test->id == "case-1");
            for (int i = 0; i < 20; ++i) {
                s.finished();
            }
            s.pump();
            CHECK(fake.sent.size() == 12); // 3 cases x 2 variants x 2 repeats, then the walk ends
        }
        SUBCASE("a skipped item is not outstanding") {
            auto walk = fake.walk();
            walk.send = [&](const eval::WorkItem& item) {
                fake.sent.push_back(item);
                return item.variant != 1; // variant 1 was stored before (--resume)
            };
            eval::Scheduler s(100, 2, 1, std::move(walk));
            s.pump();
            CHECK(fake.sent.size() == 6);
            CHECK(s.outstanding() == 3);
        }
        SUBCASE("a whole case passes the window") {
            auto walk = fake.walk();
            walk.whole = [](const eval::TestCase& c) { return c.position == 0; };
            eval::Scheduler s(1, 3, 1, std::move(walk));
            s.pump();
            CHECK(fake.sent.size() == 3); // case 0's three variants, though the window is 1
            CHECK(s.outstanding() == 3);
        }
        SUBCASE("stop and interruption end the walk") {
            auto walk = fake.walk();
            int asked = 0;
            walk.interrupted = [&] { return ++asked > 2; };
            eval::Scheduler s(100, 1, 1, std::move(walk));
            s.pump();
            CHECK(fake.sent.size() == 2);
            CHECK(s.stopped());
            s.pump();
            CHECK(fake.sent.size() == 2);
        }
        SUBCASE("items finishing inside the sink ask for another pass, never a nested one") {
            fake.cases = 100000;
            int depth = 0;
            int deepest = 0;
            std::unique_ptr<eval::Scheduler> s;
            auto walk = fake.walk();
            walk.send = [&](const eval::WorkItem&) {
                // A local provider answers at once: the answer finishes the item and pumps again.
                ++depth;
                deepest = std::max(deepest, depth);
                s->finished();
                s->pump();
                --depth;
                return true;
            };
            s = std::make_unique<eval::Scheduler>(1, 1, 1, std::move(walk));
            s->pump();
            CHECK(fake.next == 100000);
            CHECK(s->outstanding() == 0);
            CHECK(deepest == 1);
        }
    }

} // TEST_SUITE
