#pragma once
// Typed functions from a library opened with dlopen at first use (libcurl, libpq, libcrypto: not
// linked, so a start of llmops never loads them; docs/development.md, "Dependencies").

#include <cstring>

#include <dlfcn.h>

namespace llmops::util {

// Sets `function` (a pointer typed by the library's own header: `decltype(&::PQexec)`) to the
// symbol `name` of `library`, a dlopen handle. False, and `function` null, when it has none.
template <typename Function>
bool resolve_symbol(void* library, const char* name, Function& function) {
    void* symbol = ::dlsym(library, name);
    static_assert(sizeof function == sizeof symbol);
    std::memcpy(&function, &symbol, sizeof function);
    return symbol != nullptr;
}

} // namespace llmops::util
