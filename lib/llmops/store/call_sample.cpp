#include <llmops/store/call_sample.hpp>

#include <algorithm>
#include <map>
#include <queue>
#include <tuple>

#include <llmops/util/hash.hpp>

namespace llmops::store {

namespace {

struct Ranked {
    uint64_t rank = 0;
    int64_t time_unix_ns = 0;
    std::string span_id;

    bool operator<(const Ranked& other) const {
        return std::tie(rank, span_id) < std::tie(other.rank, other.span_id);
    }
};

// The `size` lowest ranks seen: a max-heap whose top is the first to go.
class Lowest {
public:
    explicit Lowest(int64_t size) : m_size(size) {}

    void offer(Ranked r) {
        if (m_size <= 0 || static_cast<int64_t>(m_heap.size()) < m_size) {
            m_heap.push(std::move(r));
        } else if (r < m_heap.top()) {
            m_heap.pop();
            m_heap.push(std::move(r));
        }
    }

    void drain_into(std::vector<Ranked>& out) {
        while (!m_heap.empty()) {
            out.push_back(m_heap.top());
            m_heap.pop();
        }
    }

private:
    int64_t m_size;
    std::priority_queue<Ranked> m_heap;
};

} // namespace

uint64_t sample_rank(std::string_view seed, std::string_view span_id) {
    std::string text;
    text.reserve(seed.size() + 1 + span_id.size());
    text.append(seed).append(":").append(span_id);
    const std::string digest = util::sha256_digest(text);
    uint64_t rank = 0;
    for (size_t i = 0; i < 8; ++i) {
        rank = (rank << 8) | static_cast<unsigned char>(digest[i]);
    }
    return rank;
}

Expected<std::vector<std::string>> sample_calls(Database& db, const CallSample& sample) {
    auto stmt = LLMOPS_TRY(db.prepare(
        std::string("SELECT span_id, prompt_version, time_unix_ns FROM calls WHERE ") +
        detail::k_call_filter_where + " AND (?6 = 0 OR (error = 0 AND output IS NOT NULL))"));
    detail::bind_call_filter(stmt, sample.filter);
    stmt.bind(6, static_cast<int64_t>(sample.answered ? 1 : 0));
    std::map<std::string, Lowest> strata;
    while (LLMOPS_TRY(stmt.step())) {
        Ranked r;
        r.span_id = stmt.text(0);
        r.time_unix_ns = stmt.integer(2);
        r.rank = sample_rank(sample.seed, r.span_id);
        const std::string stratum = sample.by_version ? stmt.text(1) : std::string();
        strata.try_emplace(stratum, sample.size).first->second.offer(std::move(r));
    }
    std::vector<Ranked> kept;
    for (auto& [stratum, lowest] : strata) {
        lowest.drain_into(kept);
    }
    std::sort(kept.begin(), kept.end(), [](const Ranked& a, const Ranked& b) {
        return std::tie(a.time_unix_ns, a.span_id) < std::tie(b.time_unix_ns, b.span_id);
    });
    std::vector<std::string> ids;
    ids.reserve(kept.size());
    for (auto& r : kept) {
        ids.push_back(std::move(r.span_id));
    }
    return ids;
}

} // namespace llmops::store
