// `llmops cache stats|clear|prune`: the response cache, `.llmops/cache.db` (SPEC §5).

#include <memory>
#include <optional>

#include "cli.hpp"

#include <llmops/report/cache_report.hpp>
#include <llmops/store/cache.hpp>

namespace llmops::cmd {

namespace {

// The project's cache, or nullopt when it has none yet: inspecting or shrinking a cache never
// creates one. Fails outside a project, like every command that works on one.
struct OpenCache {
    std::filesystem::path path;
    std::optional<store::ResponseCache> cache;
};
Expected<OpenCache> open_cache(const Context& ctx) {
    auto project = LLMOPS_TRY(ctx.project());
    OpenCache open{store::cache_path(project), std::nullopt};
    open.cache = LLMOPS_TRY(store::ResponseCache::open_existing(open.path));
    return open;
}

void add_stats(CLI::App& group, Context& ctx) {
    auto json_flag = std::make_shared<bool>(false);
    auto* sub =
        group.add_subcommand("stats", "Show the cache's size, age and entries per provider");
    sub->add_flag("--json", *json_flag, "Print the statistics as JSON");
    on_run(sub, ctx, [json_flag](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_cache(c));
        store::CacheStats stats;
        if (open.cache) {
            stats = LLMOPS_TRY(open.cache->stats());
        }
        return print_ok(*json_flag ? report::cache_stats_json(stats, open.path)
                                   : report::cache_stats_text(stats, open.path));
    });
}

void add_clear(CLI::App& group, Context& ctx) {
    auto json_flag = std::make_shared<bool>(false);
    auto* sub = group.add_subcommand("clear", "Delete every cached response");
    sub->add_flag("--json", *json_flag, "Print the result as JSON");
    on_run(sub, ctx, [json_flag](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_cache(c));
        int64_t removed = 0;
        if (open.cache) {
            removed = LLMOPS_TRY(open.cache->clear());
        }
        return print_ok(*json_flag ? report::cache_clear_json(removed, open.path)
                                   : report::cache_clear_text(removed));
    });
}

void add_prune(CLI::App& group, Context& ctx) {
    struct Options {
        std::string older_than;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand("prune", "Delete cached responses older than a duration");
    sub->add_option("--older-than", o->older_than,
                    "Age of the entries to delete: 30d, 12h, 45m, 90s, 2w, or several (1d12h)")
        ->required();
    sub->add_flag("--json", o->json, "Print the result as JSON");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        // A bad duration is a usage error, whatever state the project is in.
        auto seconds = LLMOPS_TRY(store::parse_duration_seconds(o->older_than));
        auto open = LLMOPS_TRY(open_cache(c));
        int64_t removed = 0;
        if (open.cache) {
            removed = LLMOPS_TRY(open.cache->prune(seconds));
        }
        return print_ok(o->json
                            ? report::cache_prune_json(removed, o->older_than, seconds, open.path)
                            : report::cache_prune_text(removed, o->older_than));
    });
}

} // namespace

void register_cache(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand(
        "cache", "The response cache (.llmops/cache.db: safe to delete, easy to cache in CI)");
    group->require_subcommand(1);
    add_stats(*group, ctx);
    add_clear(*group, ctx);
    add_prune(*group, ctx);
}

} // namespace llmops::cmd
