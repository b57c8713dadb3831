#include <doctest/doctest.h>

#include <llmops/provider/rate_limit.hpp>

using namespace llmops;
using provider::TokenBucket;
using namespace std::chrono_literals;

TEST_SUITE("provider") {

    TEST_CASE("provider::TokenBucket") {
        const auto t0 = TokenBucket::Clock::time_point{} + 1h;
        SUBCASE("holds ten seconds' worth, then refills at the rate") {
            TokenBucket bucket(60, t0); // one per second, burst of 10
            CHECK(bucket.capacity() == 10.0);
            for (int i = 0; i < 10; ++i) {
                CHECK(bucket.try_take(1, t0) == TokenBucket::Clock::duration::zero());
            }
            const auto wait = bucket.try_take(1, t0);
            CHECK(wait > 999ms);
            CHECK(wait < 1001ms);
            CHECK(bucket.try_take(1, t0 + 1s) == TokenBucket::Clock::duration::zero());
        }
        SUBCASE("a slow rate still allows one request") {
            TokenBucket bucket(3, t0);
            CHECK(bucket.capacity() == 1.0);
            CHECK(bucket.try_take(1, t0) == TokenBucket::Clock::duration::zero());
            CHECK(bucket.try_take(1, t0 + 19s) > TokenBucket::Clock::duration::zero());
            CHECK(bucket.try_take(1, t0 + 20s) == TokenBucket::Clock::duration::zero());
        }
        SUBCASE("an amount past the capacity is granted on a full bucket, leaving a debt") {
            TokenBucket bucket(600, t0); // capacity 100
            CHECK(bucket.try_take(250, t0) == TokenBucket::Clock::duration::zero());
            CHECK(bucket.level(t0) == doctest::Approx(-150));
            CHECK(bucket.try_take(1, t0 + 10s) > TokenBucket::Clock::duration::zero());
        }
        SUBCASE("adjust settles an estimate") {
            TokenBucket bucket(600, t0);
            (void)bucket.try_take(80, t0);
            bucket.adjust(50); // the call used 30, not 80
            CHECK(bucket.level(t0) == doctest::Approx(70));
            bucket.adjust(1000);
            CHECK(bucket.level(t0) == doctest::Approx(100)); // never past the capacity
        }
    }

    TEST_CASE("provider::RateLimits") {
        const auto t0 = TokenBucket::Clock::time_point{} + 1h;
        provider::RateLimits limits;
        limits.requests.emplace(600, t0); // 100 burst
        limits.tokens.emplace(60, t0);    // 10 burst
        CHECK(limits.try_take(8, t0) == TokenBucket::Clock::duration::zero());
        SUBCASE("a refusal by one bucket takes nothing from the other") {
            CHECK(limits.try_take(8, t0) > TokenBucket::Clock::duration::zero());
            CHECK(limits.requests->level(t0) == doctest::Approx(99));
        }
    }

} // TEST_SUITE
