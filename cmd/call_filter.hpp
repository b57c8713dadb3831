#pragma once
// The options that choose imported calls, shared by `traces list`, `traces stats` and `usage`.

#include <string>

#include <CLI/CLI.hpp>

#include "cli.hpp"

#include <llmops/online/window.hpp>
#include <llmops/store/calls.hpp>

namespace llmops::cmd {

// Which calls: --prompt, --version, --model, --since, --until; and --json.
struct FilterOptions {
    store::CallFilter filter;
    std::string since;
    std::string until;
    bool json = false;

    void add_to(CLI::App& sub) {
        sub.add_option("--prompt", filter.prompt, "Only calls of this prompt")
            ->type_name(k_value_prompt);
        sub.add_option("--version", filter.version, "Only calls of this prompt version (as given)");
        sub.add_option("--model", filter.model, "Only calls answered by this model");
        sub.add_option("--since", since, "Only calls from then on: 24h, 7d, or an ISO 8601 time");
        sub.add_option("--until", until, "Only calls before then: 24h, 7d, or an ISO 8601 time");
    }

    // The filter with its time bounds read. Fails with `invalid_input` naming the option.
    Expected<store::CallFilter> resolved() const {
        store::CallFilter out = filter;
        const int64_t now = online::now_unix_ns();
        out.since_unix_ns = LLMOPS_TRY(online::parse_time_bound(since, "--since", now));
        out.until_unix_ns = LLMOPS_TRY(online::parse_time_bound(until, "--until", now));
        return out;
    }
};

} // namespace llmops::cmd
