#pragma once
// A project's remotes (SPEC §16): names for PostgreSQL databases that share its store, kept in
// `.llmops/remotes.yaml` (not committed, as git's remotes are not). A remote's URL never holds a
// password: libpq reads it from PGPASSWORD or ~/.pgpass, or the URL names an environment variable
// that holds it (`?password_env=NAME`, taken out before libpq sees the URL).

#include <optional>
#include <string>
#include <vector>

#include <llmops/remote/pg.hpp>
#include <llmops/store/project.hpp>

namespace llmops::remote {

struct Remote {
    std::string name; // [a-z0-9._-]+, as labels
    std::string url;  // postgresql://... as given, without a password
};

// The remotes file of `project`.
std::filesystem::path remotes_path(const store::Project& project);

// Reads the project's remotes (none when the file does not exist). Fails with `invalid_input`
// naming the file and line for a malformed one.
Expected<std::vector<Remote>> read_remotes(const store::Project& project);

// The remote called `name`. Fails with `not_found` listing the remotes there are.
Expected<Remote> find_remote(const store::Project& project, const std::string& name);

// Adds a remote. Fails with `invalid_input` for a bad name or URL, or a URL holding a password
// (naming where to put it instead), `conflict` when the name is taken, `io` when the file cannot
// be written.
Expected<Remote> add_remote(const store::Project& project, const std::string& name,
                            const std::string& url);

// Removes a remote. Fails with `not_found`, `io`.
Expected<void> remove_remote(const store::Project& project, const std::string& name);

// Connects to a remote: the URL without its `password_env` parameter, and the password from the
// environment variable it names. Fails with `invalid_input` when that variable is not set,
// `network` when the server cannot be reached or refuses the login.
Expected<PgConnection> connect(const Remote& remote);

// The URL without a password (the user is kept), for messages and listings.
std::string display_url(const std::string& url);

// "remote 'origin' (postgresql://ci@db/llmops)", for messages.
std::string describe(const Remote& remote);

} // namespace llmops::remote
