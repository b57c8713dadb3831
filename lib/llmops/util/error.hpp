#pragma once
// Errors are values: every library function that a user's input can make fail returns
// `Expected<T>`. Only cmd/main.cpp prints errors and picks exit codes.

#include <expected>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace llmops {

// What kind of failure this is; callers branch on it (exit codes, retries), so add a code only
// when some caller acts on it.
enum class ErrorCode {
    invalid_input, // the user's file, argument or data is wrong (exit 2)
    not_found,     // a named thing does not exist (exit 2)
    conflict,      // the request contradicts the store's state (exit 2)
    io,            // the file system or database failed (exit 3)
    network,       // a connection failed (exit 3)
    timeout,       // something took longer than allowed (exit 3)
    rate_limited,  // a provider asked us to slow down (exit 3)
    provider,      // a provider answered with an error or garbage (exit 3)
    internal,      // a bug in llmops (exit 3)
    interrupted,   // the user pressed Ctrl-C; the work was not done (exit 130)
};

// A failure: a code and a one-line, lowercase message without a full stop.
class Error {
public:
    Error(ErrorCode code, std::string message) : m_code(code), m_message(std::move(message)) {}

    ErrorCode code() const { return m_code; }
    const std::string& message() const { return m_message; }

    // Returns a copy whose message is prefixed with `context: `, for errors travelling up.
    template <typename... Args>
    Error context(fmt::format_string<Args...> format, Args&&... args) const {
        return Error(m_code, fmt::format(format, std::forward<Args>(args)...) + ": " + m_message);
    }

private:
    ErrorCode m_code;
    std::string m_message;
};

template <typename T>
using Expected = std::expected<T, Error>;

// Builds the unexpected value of an `Expected`: `return fail(ErrorCode::io, "...", ...);`
template <typename... Args>
std::unexpected<Error> fail(ErrorCode code, fmt::format_string<Args...> format, Args&&... args) {
    return std::unexpected<Error>(Error(code, fmt::format(format, std::forward<Args>(args)...)));
}

// Re-wraps an error for another `Expected` type, adding context.
template <typename... Args>
std::unexpected<Error> fail(const Error& error, fmt::format_string<Args...> format,
                            Args&&... args) {
    return std::unexpected<Error>(error.context(format, std::forward<Args>(args)...));
}

// Passes an error through unchanged to an `Expected` of another type.
inline std::unexpected<Error> fail(const Error& error) {
    return std::unexpected<Error>(error);
}

} // namespace llmops

// LLMOPS_TRY(expr): evaluates `expr`, an `Expected<T>`. On an error, returns it unchanged from
// the enclosing function (whose return type must accept `fail(error)`: an `Expected` of any
// type); otherwise the whole expression is the value, moved out (`void` for `Expected<void>`):
//
//     auto stmt = LLMOPS_TRY(db.prepare("SELECT ..."));   // stmt is a Statement
//     LLMOPS_TRY(tx.commit());
//
// replaces `auto x = ...; if (!x) { return fail(x.error()); }` and the uses of `*x`. Errors that
// need context keep the long form (`return fail(x.error(), "loading '{}'", path);`). It is a GNU
// statement expression (g++ and clang; `__extension__` keeps -Wpedantic quiet), so it cannot be
// used in a lambda that does not return an `Expected`, nor outside a function body. `expr` is
// evaluated once; the temporary's name is unique per use, so uses nest without -Wshadow.
#define LLMOPS_TRY(...) LLMOPS_TRY_IMPL_(LLMOPS_TRY_NAME_(llmops_try_, __COUNTER__), __VA_ARGS__)

// ------------------------------------------------------------------------------------------------
// Private parts of LLMOPS_TRY.

#define LLMOPS_TRY_NAME_(prefix, n) LLMOPS_TRY_CONCAT_(prefix, n)
#define LLMOPS_TRY_CONCAT_(a, b) a##b
#define LLMOPS_TRY_IMPL_(name, ...)                                                                \
    __extension__({                                                                                \
        auto&& name = (__VA_ARGS__);                                                               \
        if (!name) {                                                                               \
            return ::llmops::fail(name.error());                                                   \
        }                                                                                          \
        *std::move(name);                                                                          \
    })
