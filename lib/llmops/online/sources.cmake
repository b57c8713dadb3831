# Sources of the online module (production analyses over imported calls and online-eval runs:
# time windows, A/B verdicts, drift, routing advice), relative to lib/.
set(LLMOPS_ONLINE_SOURCES
  llmops/online/window.cpp
  llmops/online/advise.cpp
  llmops/online/drift.cpp
  llmops/online/ab.cpp
)
