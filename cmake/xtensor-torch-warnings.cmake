# Warnings in xtensor-torch's own targets (tests, examples, benchmarks);
# LibTorch, xtensor and Eigen come in as SYSTEM headers. They are errors with
# XTENSOR_TORCH_WERROR, which the presets and CI turn on; it is off by default,
# so that a build with a compiler newer than CI's still succeeds.
option(XTENSOR_TORCH_WERROR "Treat warnings as errors in xtensor-torch's tests, examples and benchmarks" OFF)
set(XTT_WARNING_OPTIONS)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  list(APPEND XTT_WARNING_OPTIONS -Wall -Wextra -Wpedantic $<$<BOOL:${XTENSOR_TORCH_WERROR}>:-Werror>)
  # g++ 14 and 16 report two warnings from inside SYSTEM headers once their
  # code is inlined into ours, both false: -Warray-bounds in xtensor's and
  # xtl's shape copies (a full reduction "writes" into its rank-0 result shape
  # in a loop that can't run; g++ 14 at -O1 already flags std::copy of a
  # runtime-sized shape into the std::array of a rank-1 result) and, with g++
  # 16, -Wmaybe-uninitialized in LibTorch 2.14's c10::InferenceMode and
  # c10::SmallVector. They stay warnings, not errors.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 14)
    list(APPEND XTT_WARNING_OPTIONS -Wno-error=array-bounds -Wno-error=maybe-uninitialized)
  endif()
elseif(MSVC)
  list(APPEND XTT_WARNING_OPTIONS /W4 $<$<BOOL:${XTENSOR_TORCH_WERROR}>:/WX>)
endif()
# (a target that needs exceptions to these appends them after XTT_WARNING_OPTIONS:
# with clang, the last of two opposite flags wins)
add_library(xtensor-torch-warnings INTERFACE)
target_compile_options(xtensor-torch-warnings INTERFACE ${XTT_WARNING_OPTIONS})
