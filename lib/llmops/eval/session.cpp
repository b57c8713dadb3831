#include <llmops/eval/session.hpp>

// See session.hpp. The order of things matters for a kill -9 at any moment: results are
// committed between engine rounds, the lease before the results it guards.

#include <fmt/format.h>

#include <llmops/util/time.hpp>

namespace llmops::eval {

Expected<RunSession> RunSession::open(store::Database& db, const std::filesystem::path& project_dir,
                                      const SessionOptions& options) {
    RunSession session(db, options);
    // The store's 16 MB page cache filled up as a run's results grew, so an eval's peak memory
    // grew with its cases (SPEC §13 wants it flat). Writing results touches the last pages of
    // the table and one leaf of its key index each: SQLite's default 2 MB holds them, and the
    // OS caches the file. For this connection only, for the rest of the command.
    LLMOPS_TRY(db.exec("PRAGMA cache_size = -2000"));
    if (options.cache_mode != provider::CacheMode::off) {
        auto opened = store::ResponseCache::open(project_dir / "cache.db");
        if (opened) {
            session.m_cache.emplace(std::move(*opened));
        } else {
            // The cache is an optimisation: a broken one is reported, never fatal.
            session.m_warnings.push_back(
                fmt::format("response cache not used: {}", opened.error().message()));
        }
    }
    if (options.record) {
        session.m_recorder = LLMOPS_TRY(provider::Recorder::open(*options.record));
    }
    return session;
}

Expected<void> RunSession::create(const store::RunRecord& run) {
    m_run_id = LLMOPS_TRY(store::create_run(*m_db, run, &m_identity));
    m_writer = std::make_unique<store::ResultWriter>(*m_db, m_run_id);
    m_lease_renewed_ms = util::unix_ms();
    return {};
}

Expected<std::optional<store::Lease>> RunSession::resume(int64_t run_id) {
    auto previous = LLMOPS_TRY(store::reopen_run(*m_db, run_id, m_identity));
    m_run_id = run_id;
    m_writer = std::make_unique<store::ResultWriter>(*m_db, m_run_id);
    m_lease_renewed_ms = util::unix_ms();
    if (previous && previous->holder.pid == m_identity.pid) {
        return std::optional<store::Lease>();
    }
    return previous;
}

void RunSession::drive(const std::function<void(provider::CallEngine&)>& start,
                       const std::function<bool()>& stop) {
    provider::CallEngine engine({m_options.concurrency, m_cache ? &*m_cache : nullptr,
                                 m_options.cache_mode, m_recorder.get(), m_options.prices});
    start(engine);
    engine.run([&] { return stop() || failed(); },
               [&] {
                   renew_lease(); // first: a run taken over gets nothing more from this one
                   commit();
               });
    if (const auto& c = engine.counters(); c.record_failures > 0) {
        m_warnings.push_back(fmt::format("--record: {} answer(s) could not be recorded: {}",
                                         c.record_failures, c.first_record_error));
    }
}

void RunSession::commit() {
    if (failed()) {
        return;
    }
    if (auto ok = m_writer->flush(); !ok) {
        m_write_error = ok.error();
    }
}

// At most once a second; a lease lost to another process stops the run as a write error.
void RunSession::renew_lease() {
    const int64_t now = util::unix_ms();
    if (failed() || now - m_lease_renewed_ms < 1000) {
        return;
    }
    m_lease_renewed_ms = now;
    if (auto ok = store::renew_lease(*m_db, m_run_id, m_identity); !ok) {
        m_lease_lost = ok.error().code() == ErrorCode::conflict;
        m_write_error = ok.error();
    }
}

void RunSession::add(store::ResultRecord record) {
    if (failed()) {
        return;
    }
    if (auto ok = m_writer->add(std::move(record)); !ok) {
        // The store cannot be written: the caller stops spending money on results not kept.
        m_write_error = ok.error();
    }
}

Expected<void> RunSession::finish(std::string_view status, const nlohmann::json& summary) {
    if (m_cache) {
        (void)m_cache->flush();
    }
    if (m_lease_lost) {
        // The run is someone else's now: neither its results nor its status are ours to write.
        m_writer->discard();
        return fail(m_write_error->code(), "run {}: {}", m_run_id, m_write_error->message());
    }
    if (auto flushed = m_writer->flush(); !flushed && !m_write_error) {
        m_write_error = flushed.error();
    }
    if (auto ok = store::finish_run(*m_db, m_run_id, status, summary); !ok && !m_write_error) {
        m_write_error = ok.error();
    }
    if (m_write_error) {
        return fail(m_write_error->code(), "run {}: results could not be stored: {}", m_run_id,
                    m_write_error->message());
    }
    return {};
}

} // namespace llmops::eval
