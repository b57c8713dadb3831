# Sources of the stats module (pure functions: no I/O, no store).
set(LLMOPS_STATS_SOURCES
  llmops/stats/stats.cpp
  llmops/stats/distribution.cpp
  llmops/stats/proportion.cpp
  llmops/stats/pass_at_k.cpp
  llmops/stats/bootstrap.cpp
  llmops/stats/clustered.cpp
  llmops/stats/agreement.cpp
  llmops/stats/power.cpp
  llmops/stats/drift.cpp
  llmops/stats/ab.cpp
)
